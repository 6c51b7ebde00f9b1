package keeper_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestUpdateParamsByAuthority(t *testing.T) {
	f := newInitializedFixture(t)
	ctx := f.ctx.WithEventManager(sdk.NewEventManager())
	newParams := types.NewParams(256, 500)

	resp, err := f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.authority, Params: newParams})
	require.NoError(t, err)
	require.NotNil(t, resp)

	stored, err := f.keeper.Params.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, newParams, stored)

	events := ctx.EventManager().Events()
	require.Len(t, events, 1)
	require.Equal(t, "medchain.issuers.v1.EventParamsUpdated", events[0].Type)
	msg, err := sdk.ParseTypedEvent(abci.Event(events[0]))
	require.NoError(t, err)
	require.Equal(t, &types.EventParamsUpdated{Authority: f.authority, Params: newParams}, msg)
}

func TestUpdateParamsRejected(t *testing.T) {
	f := newInitializedFixture(t)
	wrongPrefix := "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn" // the gov account under another chain's prefix

	tests := []struct {
		name      string
		authority string
		params    types.Params
		wantErr   error
	}{
		{"signed by a stranger", f.stranger, types.NewParams(256, 500), types.ErrInvalidAuthority},
		{"malformed authority", "not-an-address", types.NewParams(256, 500), types.ErrInvalidAuthority},
		{"authority with wrong bech32 prefix", wrongPrefix, types.NewParams(256, 500), types.ErrInvalidAuthority},
		{"empty authority", "", types.NewParams(256, 500), types.ErrInvalidAuthority},
		{"stranger with invalid params", f.stranger, types.NewParams(0, 0), types.ErrInvalidAuthority},
		{"zero max_name_length", f.authority, types.NewParams(0, 500), types.ErrInvalidParams},
		{"zero max_practitioners_per_organisation", f.authority, types.NewParams(256, 0), types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.ctx.WithEventManager(sdk.NewEventManager())
			before, err := f.keeper.Params.Get(ctx)
			require.NoError(t, err)

			resp, err := f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: tc.authority, Params: tc.params})
			require.ErrorIs(t, err, tc.wantErr)
			require.Nil(t, resp)

			after, err := f.keeper.Params.Get(ctx)
			require.NoError(t, err)
			require.Equal(t, before, after, "params must not change")
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
		})
	}
}
