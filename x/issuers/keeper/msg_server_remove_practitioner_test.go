package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestRemovePractitioner(t *testing.T) {
	f := newPopulatedFixture(t)
	ctx := f.freshCtx()

	resp, err := f.msgServer.RemovePractitioner(ctx, &types.MsgRemovePractitioner{Organisation: f.hospital, Practitioner: f.doctor})
	require.NoError(t, err)
	require.NotNil(t, resp)

	_, found, err := f.keeper.GetPractitioner(ctx, f.mustAddr(t, f.doctor))
	require.NoError(t, err)
	require.False(t, found)
	n, err := f.keeper.MemberCount.Get(ctx, f.mustAddr(t, f.hospital))
	require.NoError(t, err)
	require.Equal(t, uint64(1), n)

	events.RequireSingle(t, ctx, &types.EventPractitionerRemoved{
		Organisation: f.hospital, Practitioner: f.doctor, Role: types.PractitionerRoleDoctor,
	})

	auth, err := f.keeper.IsAuthorised(ctx, f.mustAddr(t, f.doctor))
	require.NoError(t, err)
	require.False(t, auth.Authorised)
	require.Equal(t, "not a registered issuer or practitioner", auth.Reason)

	// A removed practitioner may join another organisation.
	_, err = f.msgServer.AddPractitioner(f.freshCtx(), &types.MsgAddPractitioner{
		Organisation: f.clinic, Practitioner: f.doctor, Role: types.PractitionerRoleDoctor,
	})
	require.NoError(t, err)
}

func TestRemoveLastPractitionerDropsCount(t *testing.T) {
	f := newPopulatedFixture(t)
	_, err := f.msgServer.RemovePractitioner(f.freshCtx(), &types.MsgRemovePractitioner{Organisation: f.clinic, Practitioner: f.clinicNurse})
	require.NoError(t, err)
	_, err = f.keeper.MemberCount.Get(f.ctx, f.mustAddr(t, f.clinic))
	require.ErrorIs(t, err, collections.ErrNotFound)
}

func TestRemovePractitionerRejected(t *testing.T) {
	f := newPopulatedFixture(t)

	tests := []struct {
		name    string
		msg     types.MsgRemovePractitioner
		wantErr error
		wantMsg string
	}{
		{"signed by the gov authority", types.MsgRemovePractitioner{Organisation: f.authority, Practitioner: f.doctor},
			types.ErrNotOrganisation, ""},
		{"signed by another organisation", types.MsgRemovePractitioner{Organisation: f.clinic, Practitioner: f.doctor},
			types.ErrNotMember, "only its own organisation may remove it"},
		{"signed by the practitioner itself", types.MsgRemovePractitioner{Organisation: f.doctor, Practitioner: f.doctor},
			types.ErrNotOrganisation, "sign with the organisation's own account"},
		{"signed by a suspended organisation", types.MsgRemovePractitioner{Organisation: f.suspendedHospital, Practitioner: f.suspendedDoctor},
			types.ErrOrganisationNotActive, "SUSPENDED"},
		{"signed by a revoked organisation", types.MsgRemovePractitioner{Organisation: f.revokedHospital, Practitioner: f.revokedDoctor},
			types.ErrOrganisationNotActive, "REVOKED"},
		{"signed by a stranger", types.MsgRemovePractitioner{Organisation: f.stranger, Practitioner: f.doctor},
			types.ErrNotOrganisation, ""},
		{"unknown practitioner", types.MsgRemovePractitioner{Organisation: f.hospital, Practitioner: f.stranger},
			types.ErrPractitionerNotFound, "medchaind q issuers practitioners"},
		{"an organisation is not a practitioner", types.MsgRemovePractitioner{Organisation: f.hospital, Practitioner: f.clinic},
			types.ErrPractitionerNotFound, ""},
		{"malformed practitioner", types.MsgRemovePractitioner{Organisation: f.hospital, Practitioner: "doctor"},
			types.ErrInvalidAddress, ""},
		{"malformed organisation", types.MsgRemovePractitioner{Organisation: "", Practitioner: f.doctor},
			types.ErrInvalidAddress, "organisation is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)

			resp, err := f.msgServer.RemovePractitioner(ctx, &tc.msg)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}
