package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/datanft/types"
)

// Listing removal reasons, in EventListingRemoved.
const (
	RemovedCancelled = "CANCELLED"
	RemovedMoved     = "MOVED"
)

// listing loads a listing that must exist.
func (k Keeper) listing(ctx context.Context, classID, nftID string) (types.Listing, error) {
	l, err := k.Listings.Get(ctx, collections.Join(classID, nftID))
	if errors.Is(err, collections.ErrNotFound) {
		return l, errorsmod.Wrapf(types.ErrNotListed, "%s/%s is not for sale", classID, nftID)
	}
	return l, err
}

func (k Keeper) removeListing(ctx context.Context, l types.Listing, reason string) error {
	if err := k.Listings.Remove(ctx, collections.Join(l.ClassId, l.NftId)); err != nil {
		return err
	}
	return emit(ctx, &types.EventListingRemoved{ClassId: l.ClassId, NftId: l.NftId, Seller: l.Seller, Reason: reason})
}

// AfterNFTMoved is called after x/nft MsgSend moved a token (see the nft
// module wrapper in the datanft package): a listing whose seller no longer
// owns the NFT is removed, so no listing outlives its seller's ownership.
func (k Keeper) AfterNFTMoved(ctx context.Context, classID, nftID string) error {
	l, err := k.Listings.Get(ctx, collections.Join(classID, nftID))
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sameAddr(k.addressCodec, l.Seller, k.nft.GetOwner(ctx, classID, nftID)) {
		return nil
	}
	return k.removeListing(ctx, l, RemovedMoved)
}
