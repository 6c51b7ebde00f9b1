package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestAddPractitioner(t *testing.T) {
	for _, tc := range []struct {
		name string
		org  func(f fixture) string
	}{
		{"by a hospital", func(f fixture) string { return f.hospital }},
		{"by another organisation (a clinic)", func(f fixture) string { return f.clinic }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPopulatedFixture(t)
			org := tc.org(f)
			newcomer := f.bech32(t, sample.Addr("new-doctor"))
			before, err := f.keeper.MemberCount.Get(f.ctx, f.mustAddr(t, org))
			require.NoError(t, err)
			ctx := f.freshCtx()

			resp, err := f.msgServer.AddPractitioner(ctx, &types.MsgAddPractitioner{
				Organisation: org, Practitioner: newcomer, Role: types.PractitionerRoleLabTech,
			})
			require.NoError(t, err)
			require.NotNil(t, resp)

			stored, err := f.keeper.Practitioners.Get(ctx, f.mustAddr(t, newcomer))
			require.NoError(t, err)
			require.Equal(t, types.Practitioner{
				Address: newcomer, Organisation: org, Role: types.PractitionerRoleLabTech, AddedAt: genesisTime,
			}, stored, "stored without a status")

			got, found, err := f.keeper.GetPractitioner(ctx, f.mustAddr(t, newcomer))
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, types.PractitionerStatusActive, got.Status)

			after, err := f.keeper.MemberCount.Get(ctx, f.mustAddr(t, org))
			require.NoError(t, err)
			require.Equal(t, before+1, after)

			events.RequireSingle(t, ctx, &types.EventPractitionerAdded{
				Organisation: org, Practitioner: newcomer, Role: types.PractitionerRoleLabTech,
			})
		})
	}
}

func TestAddPractitionerRejected(t *testing.T) {
	f := newPopulatedFixture(t)
	newcomer := f.bech32(t, sample.Addr("new-doctor"))

	tests := []struct {
		name    string
		msg     types.MsgAddPractitioner
		wantErr error
		wantMsg string
	}{
		// Every kind of signer other than an ACTIVE organisation.
		{"signed by the gov authority", types.MsgAddPractitioner{Organisation: f.authority, Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrNotOrganisation, "not a registered issuer"},
		{"signed by a practitioner", types.MsgAddPractitioner{Organisation: f.doctor, Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrNotOrganisation, "is a practitioner of " + f.hospital},
		{"signed by a suspended organisation", types.MsgAddPractitioner{Organisation: f.suspendedHospital, Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrOrganisationNotActive, "is SUSPENDED"},
		{"signed by a revoked organisation", types.MsgAddPractitioner{Organisation: f.revokedHospital, Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrOrganisationNotActive, "is REVOKED"},
		{"signed by a stranger", types.MsgAddPractitioner{Organisation: f.stranger, Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrNotOrganisation, "register-issuer"},
		{"malformed organisation", types.MsgAddPractitioner{Organisation: "hospital", Practitioner: newcomer, Role: types.PractitionerRoleDoctor},
			types.ErrInvalidAddress, "organisation"},

		{"another organisation poaching a practitioner", types.MsgAddPractitioner{Organisation: f.clinic, Practitioner: f.doctor, Role: types.PractitionerRoleDoctor},
			types.ErrAlreadyPractitioner, "another organisation (" + f.hospital + ")"},
		{"adding a member twice", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: f.doctor, Role: types.PractitionerRoleNurse},
			types.ErrAlreadyPractitioner, "already a DOCTOR of this organisation"},
		{"adding another organisation", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: f.clinic, Role: types.PractitionerRoleDoctor},
			types.ErrIsIssuer, "cannot be a practitioner"},
		{"adding itself", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: f.hospital, Role: types.PractitionerRoleAdmin},
			types.ErrIsIssuer, ""},
		{"adding a revoked organisation", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: f.revokedHospital, Role: types.PractitionerRoleAdmin},
			types.ErrIsIssuer, ""},
		{"empty practitioner", types.MsgAddPractitioner{Organisation: f.hospital, Role: types.PractitionerRoleDoctor},
			types.ErrInvalidAddress, "practitioner is empty"},
		{"malformed practitioner", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: "med1", Role: types.PractitionerRoleDoctor},
			types.ErrInvalidAddress, "practitioner"},
		{"unspecified role", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: newcomer},
			types.ErrInvalidRole, "doctor, nurse, lab-tech, admin, other"},
		{"undefined role", types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: newcomer, Role: 77},
			types.ErrInvalidRole, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)

			resp, err := f.msgServer.AddPractitioner(ctx, &tc.msg)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}

func TestAddPractitionerLimit(t *testing.T) {
	f := newPopulatedFixture(t)
	// The hospital has 2 practitioners; allow 3.
	_, err := f.msgServer.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: types.NewParams(128, 3)})
	require.NoError(t, err)

	third := f.bech32(t, sample.Addr("third"))
	_, err = f.msgServer.AddPractitioner(f.freshCtx(), &types.MsgAddPractitioner{
		Organisation: f.hospital, Practitioner: third, Role: types.PractitionerRoleOther,
	})
	require.NoError(t, err)

	before := state.Take(f.ctx, f.storeKey)
	_, err = f.msgServer.AddPractitioner(f.freshCtx(), &types.MsgAddPractitioner{
		Organisation: f.hospital, Practitioner: f.bech32(t, sample.Addr("fourth")), Role: types.PractitionerRoleOther,
	})
	require.ErrorIs(t, err, types.ErrTooManyPractitioners)
	require.ErrorContains(t, err, "has 3 practitioners")
	state.RequireSame(t, before, f.ctx, f.storeKey)

	// Another organisation is not affected by the hospital's count.
	_, err = f.msgServer.AddPractitioner(f.freshCtx(), &types.MsgAddPractitioner{
		Organisation: f.clinic, Practitioner: f.bech32(t, sample.Addr("fourth")), Role: types.PractitionerRoleOther,
	})
	require.NoError(t, err)

	// Removing one makes room again.
	_, err = f.msgServer.RemovePractitioner(f.freshCtx(), &types.MsgRemovePractitioner{Organisation: f.hospital, Practitioner: third})
	require.NoError(t, err)
	_, err = f.msgServer.AddPractitioner(f.freshCtx(), &types.MsgAddPractitioner{
		Organisation: f.hospital, Practitioner: f.bech32(t, sample.Addr("fifth")), Role: types.PractitionerRoleOther,
	})
	require.NoError(t, err)
}
