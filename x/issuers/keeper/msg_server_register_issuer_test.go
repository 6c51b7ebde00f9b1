package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func validRegistration(f fixture, t *testing.T) *types.MsgRegisterIssuer {
	return &types.MsgRegisterIssuer{
		Authority:    f.authority,
		Address:      f.bech32(t, sample.Addr("new-hospital")),
		Name:         "St Mary's Hospital",
		Kind:         types.IssuerKindHospital,
		Jurisdiction: "GB-ENG",
		LicenseId:    "RJ1",
		Website:      "https://stmarys.example/about",
	}
}

func TestRegisterIssuer(t *testing.T) {
	f := newPopulatedFixture(t)
	ctx := f.freshCtx()
	msg := validRegistration(f, t)

	resp, err := f.msgServer.RegisterIssuer(ctx, msg)
	require.NoError(t, err)
	require.NotNil(t, resp)

	got, found, err := f.keeper.GetIssuer(ctx, f.mustAddr(t, msg.Address))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, types.Issuer{
		Address: msg.Address, Name: msg.Name, Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive,
		Jurisdiction: "GB-ENG", LicenseId: "RJ1", Website: "https://stmarys.example/about",
		AddedAt: genesisTime, UpdatedAt: genesisTime,
	}, got)

	events.RequireSingle(t, ctx, &types.EventIssuerRegistered{
		Address: msg.Address, Name: msg.Name, Kind: types.IssuerKindHospital,
		Jurisdiction: "GB-ENG", LicenseId: "RJ1", Website: "https://stmarys.example/about",
	})

	auth, err := f.keeper.IsAuthorised(ctx, f.mustAddr(t, msg.Address))
	require.NoError(t, err)
	require.True(t, auth.Authorised)
}

func TestRegisterIssuerOptionalFieldsAndEveryKind(t *testing.T) {
	f := newPopulatedFixture(t)
	for i, kind := range []types.IssuerKind{
		types.IssuerKindHospital, types.IssuerKindClinic, types.IssuerKindLab, types.IssuerKindInsurer, types.IssuerKindResearch,
	} {
		addr := f.bech32(t, sample.Addr("kind-"+string(rune('a'+i))))
		_, err := f.msgServer.RegisterIssuer(f.freshCtx(), &types.MsgRegisterIssuer{
			Authority: f.authority, Address: addr, Name: kind.Label(), Kind: kind,
		})
		require.NoError(t, err, kind)
		got, _, err := f.keeper.GetIssuer(f.ctx, f.mustAddr(t, addr))
		require.NoError(t, err)
		require.Equal(t, kind, got.Kind)
		require.Empty(t, got.Website)
	}
}

// An address given in upper case is stored in canonical lower case.
func TestRegisterIssuerStoresCanonicalAddress(t *testing.T) {
	f := newPopulatedFixture(t)
	msg := validRegistration(f, t)
	canonical := msg.Address
	msg.Address = strings.ToUpper(msg.Address)

	_, err := f.msgServer.RegisterIssuer(f.freshCtx(), msg)
	require.NoError(t, err)
	got, found, err := f.keeper.GetIssuer(f.ctx, f.mustAddr(t, canonical))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, canonical, got.Address)
}

func TestRegisterIssuerRejected(t *testing.T) {
	f := newPopulatedFixture(t)

	tests := []struct {
		name    string
		mutate  func(m *types.MsgRegisterIssuer)
		wantErr error
		wantMsg string
	}{
		// Every kind of signer other than the authority.
		{"signed by a stranger", func(m *types.MsgRegisterIssuer) { m.Authority = f.stranger }, types.ErrInvalidAuthority, "governance proposal"},
		{"signed by an active organisation", func(m *types.MsgRegisterIssuer) { m.Authority = f.hospital }, types.ErrInvalidAuthority, ""},
		{"signed by another organisation", func(m *types.MsgRegisterIssuer) { m.Authority = f.clinic }, types.ErrInvalidAuthority, ""},
		{"signed by a practitioner", func(m *types.MsgRegisterIssuer) { m.Authority = f.doctor }, types.ErrInvalidAuthority, ""},
		{"signed by a suspended organisation", func(m *types.MsgRegisterIssuer) { m.Authority = f.suspendedHospital }, types.ErrInvalidAuthority, ""},
		{"signed by a revoked organisation", func(m *types.MsgRegisterIssuer) { m.Authority = f.revokedHospital }, types.ErrInvalidAuthority, ""},
		{"malformed authority", func(m *types.MsgRegisterIssuer) { m.Authority = "gov" }, types.ErrInvalidAuthority, ""},

		{"empty address", func(m *types.MsgRegisterIssuer) { m.Address = "" }, types.ErrInvalidAddress, "address is empty"},
		{"malformed address", func(m *types.MsgRegisterIssuer) { m.Address = "med1notanaddress" }, types.ErrInvalidAddress, ""},
		{"address of another chain", func(m *types.MsgRegisterIssuer) {
			m.Address = "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"
		}, types.ErrInvalidAddress, ""},

		{"empty name", func(m *types.MsgRegisterIssuer) { m.Name = "" }, types.ErrInvalidName, "must not be empty"},
		{"blank name", func(m *types.MsgRegisterIssuer) { m.Name = "   " }, types.ErrInvalidName, "must not be empty"},
		{"name too long", func(m *types.MsgRegisterIssuer) {
			m.Name = strings.Repeat("x", int(types.DefaultMaxNameLength)+1)
		}, types.ErrInvalidName, "max_name_length"},
		{"name with a newline", func(m *types.MsgRegisterIssuer) { m.Name = "St Mary's\nHospital" }, types.ErrInvalidName, "control characters"},
		{"name with trailing space", func(m *types.MsgRegisterIssuer) { m.Name = "St Mary's " }, types.ErrInvalidName, "trailing"},
		{"name not UTF-8", func(m *types.MsgRegisterIssuer) { m.Name = "St \xff" }, types.ErrInvalidName, "UTF-8"},

		{"unspecified kind", func(m *types.MsgRegisterIssuer) { m.Kind = types.IssuerKindUnspecified }, types.ErrInvalidKind, "hospital, clinic, lab, insurer, research"},
		{"undefined kind", func(m *types.MsgRegisterIssuer) { m.Kind = 42 }, types.ErrInvalidKind, ""},

		{"website not http(s)", func(m *types.MsgRegisterIssuer) { m.Website = "ftp://stmarys.example" }, types.ErrInvalidWebsite, "https://"},
		{"website without scheme", func(m *types.MsgRegisterIssuer) { m.Website = "stmarys.example" }, types.ErrInvalidWebsite, ""},
		{"website without host", func(m *types.MsgRegisterIssuer) { m.Website = "https://" }, types.ErrInvalidWebsite, "host"},
		{"website with user info", func(m *types.MsgRegisterIssuer) {
			m.Website = "https://stmarys.example@evil.example"
		}, types.ErrInvalidWebsite, "user name"},
		{"website with spaces", func(m *types.MsgRegisterIssuer) { m.Website = "https://st marys.example" }, types.ErrInvalidWebsite, "spaces"},
		{"website too long", func(m *types.MsgRegisterIssuer) {
			m.Website = "https://stmarys.example/" + strings.Repeat("a", types.MaxWebsiteLength)
		}, types.ErrInvalidWebsite, "limit"},
		{"license id too long", func(m *types.MsgRegisterIssuer) {
			m.LicenseId = strings.Repeat("1", types.MaxLicenseIDLength+1)
		}, types.ErrInvalidLicenseID, "limit"},
		{"jurisdiction too long", func(m *types.MsgRegisterIssuer) {
			m.Jurisdiction = strings.Repeat("G", types.MaxJurisdictionLength+1)
		}, types.ErrInvalidJurisdiction, "limit"},
		{"jurisdiction with a tab", func(m *types.MsgRegisterIssuer) { m.Jurisdiction = "GB\tENG" }, types.ErrInvalidJurisdiction, ""},

		{"duplicate of an active issuer", func(m *types.MsgRegisterIssuer) { m.Address = f.hospital }, types.ErrIssuerExists, "set-issuer-status"},
		{"duplicate of a revoked issuer", func(m *types.MsgRegisterIssuer) { m.Address = f.revokedHospital }, types.ErrIssuerExists, "REVOKED"},
		{"address is a practitioner", func(m *types.MsgRegisterIssuer) { m.Address = f.doctor }, types.ErrIsPractitioner, f.hospital},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)
			msg := validRegistration(f, t)
			tc.mutate(msg)

			resp, err := f.msgServer.RegisterIssuer(ctx, msg)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}

// The name limit follows the params in force.
func TestRegisterIssuerNameLimitFollowsParams(t *testing.T) {
	f := newPopulatedFixture(t)
	_, err := f.msgServer.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: types.NewParams(9, 100)})
	require.NoError(t, err)

	msg := validRegistration(f, t)
	msg.Name = "0123456789"
	_, err = f.msgServer.RegisterIssuer(f.freshCtx(), msg)
	require.ErrorIs(t, err, types.ErrInvalidName)

	msg.Name = "012345678"
	_, err = f.msgServer.RegisterIssuer(f.freshCtx(), msg)
	require.NoError(t, err)
}
