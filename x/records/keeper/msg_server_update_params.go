package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/records/types"
)

// UpdateParams replaces the module parameters. Only the authority may call
// it, normally through a governance proposal. Params bind new writes only,
// so records stored under older params stay valid.
func (k msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, errorsmod.Wrap(err, "storing records params")
	}
	if err := emit(ctx, &types.EventParamsUpdated{Authority: msg.Authority, Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
