package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestQueryParams(t *testing.T) {
	f := newInitializedFixture(t)

	resp, err := f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), resp.Params)

	updated := types.NewParams(64, 20)
	_, err = f.msgServer.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: updated})
	require.NoError(t, err)

	resp, err = f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, updated, resp.Params)
}

func TestQueryParamsErrors(t *testing.T) {
	f := newFixture(t)

	_, err := f.querier.Params(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	_, err = f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.Equal(t, codes.NotFound, status.Code(err), "params are unset before genesis")
}
