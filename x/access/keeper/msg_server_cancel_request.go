package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

// CancelRequest withdraws a pending request (its requester only).
func (k msgServer) CancelRequest(ctx context.Context, msg *types.MsgCancelRequest) (*types.MsgCancelRequestResponse, error) {
	if _, err := k.decodeAddress("requester", msg.Requester); err != nil {
		return nil, err
	}
	r, err := k.pendingRequest(ctx, msg.RequestId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.Requester, msg.Requester) {
		return nil, errorsmod.Wrapf(types.ErrNotRequester, "request %d was made by %s; only it may cancel the request", r.Id, r.Requester)
	}
	if err := k.closeRequest(ctx, r, "CANCELLED", 0); err != nil {
		return nil, err
	}
	return &types.MsgCancelRequestResponse{}, nil
}
