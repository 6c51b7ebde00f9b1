package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestUpdateParamsByAuthority(t *testing.T) {
	f := newPopulatedFixture(t)
	ctx := f.freshCtx()
	newParams := types.NewParams(256, 500)

	resp, err := f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.authority, Params: newParams})
	require.NoError(t, err)
	require.NotNil(t, resp)

	stored, err := f.keeper.Params.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, newParams, stored)

	events.RequireSingle(t, ctx, &types.EventParamsUpdated{Authority: f.authority, Params: newParams})
}

func TestUpdateParamsRejected(t *testing.T) {
	f := newPopulatedFixture(t)
	wrongPrefix := "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn" // the gov account under another chain's prefix

	tests := []struct {
		name      string
		authority string
		params    types.Params
		wantErr   error
		wantMsg   string
	}{
		{"signed by a stranger", f.stranger, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"signed by an organisation", f.hospital, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"signed by another organisation", f.clinic, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"signed by a practitioner", f.doctor, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"signed by a suspended organisation", f.suspendedHospital, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"signed by a revoked organisation", f.revokedHospital, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"malformed authority", "not-an-address", types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"authority with wrong bech32 prefix", wrongPrefix, types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"empty authority", "", types.NewParams(256, 500), types.ErrInvalidAuthority, ""},
		{"stranger with invalid params", f.stranger, types.NewParams(0, 0), types.ErrInvalidAuthority, ""},
		{"zero max_name_length", f.authority, types.NewParams(0, 500), types.ErrInvalidParams, ""},
		{"zero max_practitioners_per_organisation", f.authority, types.NewParams(256, 0), types.ErrInvalidParams, ""},
		// "suspended" is the longest issuer name (9 bytes); the hospital has 2 practitioners.
		{"name limit below an existing name", f.authority, types.NewParams(8, 500), types.ErrInvalidParams, "shorter than the name of issuer " + f.suspendedHospital},
		{"member limit below an organisation's members", f.authority, types.NewParams(256, 1), types.ErrInvalidParams, "below the 2 practitioners of organisation " + f.hospital},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)

			resp, err := f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: tc.authority, Params: tc.params})
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}

// Limits exactly at the current usage are accepted.
func TestUpdateParamsAtCurrentUsage(t *testing.T) {
	f := newPopulatedFixture(t)
	_, err := f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: types.NewParams(9, 2)})
	require.NoError(t, err)
}
