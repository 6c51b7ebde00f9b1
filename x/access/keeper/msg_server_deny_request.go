package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

// DenyRequest turns a pending request down (its owner only).
func (k msgServer) DenyRequest(ctx context.Context, msg *types.MsgDenyRequest) (*types.MsgDenyRequestResponse, error) {
	if _, err := k.decodeAddress("owner", msg.Owner); err != nil {
		return nil, err
	}
	r, err := k.pendingRequest(ctx, msg.RequestId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.Owner, msg.Owner) {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "request %d was made to %s; only that patient may deny it", r.Id, r.Owner)
	}
	if err := k.closeRequest(ctx, r, "DENIED", 0); err != nil {
		return nil, err
	}
	return &types.MsgDenyRequestResponse{}, nil
}
