package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/datanft/types"
)

// CancelListing withdraws the seller's listing.
func (k msgServer) CancelListing(ctx context.Context, msg *types.MsgCancelListing) (*types.MsgCancelListingResponse, error) {
	seller, err := k.decode("seller", msg.Seller)
	if err != nil {
		return nil, err
	}
	l, err := k.listing(ctx, msg.ClassId, msg.NftId)
	if err != nil {
		return nil, err
	}
	if !sameAddr(k.addressCodec, l.Seller, seller) {
		return nil, errorsmod.Wrapf(types.ErrNotNFTOwner, "%s/%s was listed by %s; only the seller may cancel the listing", l.ClassId, l.NftId, l.Seller)
	}
	if err := k.removeListing(ctx, l, RemovedCancelled); err != nil {
		return nil, err
	}
	return &types.MsgCancelListingResponse{}, nil
}
