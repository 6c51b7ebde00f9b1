package keeper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestUpdateIssuerProfile(t *testing.T) {
	tests := []struct {
		name        string
		issuer      func(f fixture) string
		newName     string
		newWebsite  string
		wantName    string
		wantWebsite string
	}{
		{"name and website", func(f fixture) string { return f.hospital },
			"St Mary's University Hospital", "https://stmarys.example", "St Mary's University Hospital", "https://stmarys.example"},
		{"name only keeps the website", func(f fixture) string { return f.hospital },
			"St Mary's", "", "St Mary's", "https://hospital.example"},
		{"website only keeps the name", func(f fixture) string { return f.hospital },
			"", "http://hospital.example:8080/", "hospital", "http://hospital.example:8080/"},
		{"another organisation updates its own profile", func(f fixture) string { return f.clinic },
			"Riverside Clinic", "", "Riverside Clinic", "https://clinic.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newPopulatedFixture(t)
			later := genesisTime.Add(time.Hour)
			ctx := f.freshCtx().WithBlockTime(later)
			addr := tc.issuer(f)
			before, _, err := f.keeper.GetIssuer(ctx, f.mustAddr(t, addr))
			require.NoError(t, err)

			resp, err := f.msgServer.UpdateIssuerProfile(ctx, &types.MsgUpdateIssuerProfile{Issuer: addr, Name: tc.newName, Website: tc.newWebsite})
			require.NoError(t, err)
			require.NotNil(t, resp)

			after, _, err := f.keeper.GetIssuer(ctx, f.mustAddr(t, addr))
			require.NoError(t, err)
			want := before
			want.Name, want.Website, want.UpdatedAt = tc.wantName, tc.wantWebsite, later
			require.Equal(t, want, after, "only name, website and updated_at change")

			events.RequireSingle(t, ctx, &types.EventIssuerProfileUpdated{Address: addr, Name: tc.wantName, Website: tc.wantWebsite})
		})
	}
}

func TestUpdateIssuerProfileRejected(t *testing.T) {
	f := newPopulatedFixture(t)

	tests := []struct {
		name    string
		msg     types.MsgUpdateIssuerProfile
		wantErr error
		wantMsg string
	}{
		{"signed by the gov authority", types.MsgUpdateIssuerProfile{Issuer: f.authority, Name: "Gov"}, types.ErrNotOrganisation, ""},
		{"signed by a practitioner", types.MsgUpdateIssuerProfile{Issuer: f.doctor, Name: "Dr Who"}, types.ErrNotOrganisation, "practitioner"},
		{"signed by a suspended organisation", types.MsgUpdateIssuerProfile{Issuer: f.suspendedHospital, Name: "New"}, types.ErrOrganisationNotActive, "SUSPENDED"},
		{"signed by a revoked organisation", types.MsgUpdateIssuerProfile{Issuer: f.revokedHospital, Name: "New"}, types.ErrOrganisationNotActive, "REVOKED"},
		{"signed by a stranger", types.MsgUpdateIssuerProfile{Issuer: f.stranger, Name: "New"}, types.ErrNotOrganisation, ""},
		{"malformed issuer", types.MsgUpdateIssuerProfile{Issuer: "med1abc", Name: "New"}, types.ErrInvalidAddress, "issuer"},

		{"nothing to change", types.MsgUpdateIssuerProfile{Issuer: f.hospital}, types.ErrEmptyProfileUpdate, "--name"},
		{"blank name", types.MsgUpdateIssuerProfile{Issuer: f.hospital, Name: "  "}, types.ErrInvalidName, ""},
		{"name too long", types.MsgUpdateIssuerProfile{Issuer: f.hospital, Name: strings.Repeat("n", 129)}, types.ErrInvalidName, "max_name_length"},
		{"bad website", types.MsgUpdateIssuerProfile{Issuer: f.hospital, Website: "javascript:alert(1)"}, types.ErrInvalidWebsite, ""},
		{"good name, bad website", types.MsgUpdateIssuerProfile{Issuer: f.hospital, Name: "Fine", Website: "mailto:x@y"}, types.ErrInvalidWebsite, ""},
		{"vault URL of another scheme", types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: "ftp://vault.example"}, types.ErrInvalidVaultURL, "https://"},
		{"vault URL with a user", types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: "https://hospital.example@evil.example"}, types.ErrInvalidVaultURL, "user name"},
		{"vault URL with a query", types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: "https://vault.example/?x=1"}, types.ErrInvalidVaultURL, "query"},
		{"vault URL too long", types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: "https://v.example/" + strings.Repeat("a", 300)}, types.ErrInvalidVaultURL, "limit"},
		{"vault URL by a suspended organisation", types.MsgUpdateIssuerProfile{Issuer: f.suspendedHospital, VaultUrl: "https://v.example"}, types.ErrOrganisationNotActive, ""},
		{"vault URL by a practitioner", types.MsgUpdateIssuerProfile{Issuer: f.doctor, VaultUrl: "https://v.example"}, types.ErrNotOrganisation, ""},
		{"vault URL by a stranger", types.MsgUpdateIssuerProfile{Issuer: f.stranger, VaultUrl: "https://v.example"}, types.ErrNotOrganisation, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)

			resp, err := f.msgServer.UpdateIssuerProfile(ctx, &tc.msg)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}

// TestVaultURLAndActiveHospitalVaults: a hospital registers, moves and
// withdraws its vault; only ACTIVE hospitals with a vault are replicas.
func TestVaultURLAndActiveHospitalVaults(t *testing.T) {
	f := newPopulatedFixture(t)
	vaults := func() []string {
		hs, err := f.keeper.ActiveHospitalVaults(f.ctx)
		require.NoError(t, err)
		var out []string
		for _, h := range hs {
			out = append(out, h.Address+" "+h.VaultUrl)
		}
		return out
	}
	require.Empty(t, vaults())
	for _, org := range []string{f.hospital, f.clinic, f.suspendedHospital} {
		if org == f.suspendedHospital {
			continue // may not update its profile
		}
		_, err := f.msgServer.UpdateIssuerProfile(f.freshCtx(), &types.MsgUpdateIssuerProfile{Issuer: org, VaultUrl: "https://vault." + org[:8] + ".example"})
		require.NoError(t, err)
	}
	require.Equal(t, []string{f.hospital + " https://vault." + f.hospital[:8] + ".example"}, vaults(), "a clinic's vault is no replica")

	ctx := f.freshCtx()
	_, err := f.msgServer.UpdateIssuerProfile(ctx, &types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: "http://127.0.0.1:27005"})
	require.NoError(t, err)
	events.RequireSingle(t, ctx, &types.EventIssuerProfileUpdated{Address: f.hospital, Name: "hospital", Website: "https://hospital.example", VaultUrl: "http://127.0.0.1:27005"})
	require.Equal(t, []string{f.hospital + " http://127.0.0.1:27005"}, vaults())

	_, err = f.msgServer.UpdateIssuerProfile(f.freshCtx(), &types.MsgUpdateIssuerProfile{Issuer: f.hospital, VaultUrl: types.VaultURLNone})
	require.NoError(t, err)
	require.Empty(t, vaults(), "withdrawn")
}
