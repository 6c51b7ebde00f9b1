package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

// Listing removal reasons, in EventListingRemoved.
const (
	RemovedCancelled = "CANCELLED"
	RemovedMoved     = "MOVED"
)

// ListNFT offers a data-NFT its owner holds for sale, or changes the price
// of its listing.
func (k msgServer) ListNFT(ctx context.Context, msg *types.MsgListNFT) (*types.MsgListNFTResponse, error) {
	seller, err := k.decode("seller", msg.Seller)
	if err != nil {
		return nil, err
	}
	if err := types.ValidatePrice("the price", msg.Price, false); err != nil {
		return nil, err
	}
	n, err := k.dataNFT(ctx, msg.ClassId, msg.NftId)
	if err != nil {
		return nil, err
	}
	if owner := k.nft.GetOwner(ctx, n.ClassId, n.Id); !seller.Equals(owner) {
		return nil, errorsmod.Wrapf(types.ErrNotNFTOwner, "%s/%s belongs to %s; only its owner may list it", n.ClassId, n.Id, k.str(owner))
	}
	if _, err := k.activeRecordOf(ctx, n); err != nil {
		return nil, err
	}
	l := types.Listing{ClassId: n.ClassId, NftId: n.Id, Seller: k.str(seller), Price: msg.Price, ListedAt: sdk.UnwrapSDKContext(ctx).BlockTime()}
	if err := k.Listings.Set(ctx, collections.Join(n.ClassId, n.Id), l); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventNFTListed{Listing: l}); err != nil {
		return nil, err
	}
	return &types.MsgListNFTResponse{}, nil
}

// listing loads a listing that must exist.
func (k Keeper) listing(ctx context.Context, classID, nftID string) (types.Listing, error) {
	l, err := k.Listings.Get(ctx, collections.Join(classID, nftID))
	if errors.Is(err, collections.ErrNotFound) {
		return l, errorsmod.Wrapf(types.ErrNotListed, "%s/%s is not for sale", classID, nftID)
	}
	return l, err
}

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

func (k Keeper) removeListing(ctx context.Context, l types.Listing, reason string) error {
	if err := k.Listings.Remove(ctx, collections.Join(l.ClassId, l.NftId)); err != nil {
		return err
	}
	return emit(ctx, &types.EventListingRemoved{ClassId: l.ClassId, NftId: l.NftId, Seller: l.Seller, Reason: reason})
}

// BuyNFT buys a listed data-NFT at its listed price. The buyer pays the
// seller the price minus the royalty and the producer the royalty (see
// types.SplitRoyalty), and the NFT moves to the buyer, in one message: if
// any part fails, nothing happens.
func (k msgServer) BuyNFT(ctx context.Context, msg *types.MsgBuyNFT) (*types.MsgBuyNFTResponse, error) {
	buyer, err := k.decode("buyer", msg.Buyer)
	if err != nil {
		return nil, err
	}
	l, err := k.listing(ctx, msg.ClassId, msg.NftId)
	if err != nil {
		return nil, err
	}
	seller, err := k.decode("seller", l.Seller)
	if err != nil {
		return nil, err
	}
	if owner := k.nft.GetOwner(ctx, l.ClassId, l.NftId); !seller.Equals(owner) {
		// Cannot happen: every move removes the listing (AfterNFTMoved).
		return nil, errorsmod.Wrapf(types.ErrNotListed, "%s/%s moved since it was listed; the listing is void", l.ClassId, l.NftId)
	}
	if buyer.Equals(seller) {
		return nil, errorsmod.Wrapf(types.ErrOwnPurchase, "%s already owns %s/%s", msg.Buyer, l.ClassId, l.NftId)
	}
	if err := samePrice(msg.Price, l.Price, l.ClassId+"/"+l.NftId); err != nil {
		return nil, err
	}
	n, err := k.dataNFT(ctx, l.ClassId, l.NftId)
	if err != nil {
		return nil, err
	}
	if _, err := k.activeRecordOf(ctx, n); err != nil {
		return nil, err
	}
	producer, err := k.decode("producer", n.Producer)
	if err != nil {
		return nil, err
	}
	if err := k.checkFunds(ctx, buyer, l.Price, l.ClassId+"/"+l.NftId); err != nil {
		return nil, err
	}

	toSeller, royalty := types.SplitRoyalty(l.Price, n.RoyaltyBps)
	if err := k.pay(ctx, buyer, seller, toSeller); err != nil {
		return nil, err
	}
	if err := k.pay(ctx, buyer, producer, royalty); err != nil {
		return nil, err
	}
	if err := k.nft.Transfer(ctx, l.ClassId, l.NftId, buyer); err != nil {
		return nil, errorsmod.Wrap(err, "transferring in x/nft")
	}
	if err := k.Listings.Remove(ctx, collections.Join(l.ClassId, l.NftId)); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventNFTSold{
		ClassId: l.ClassId, NftId: l.NftId, Seller: l.Seller, Buyer: k.str(buyer),
		Producer: n.Producer, Price: l.Price, Royalty: royalty,
	}); err != nil {
		return nil, err
	}
	return &types.MsgBuyNFTResponse{ToSeller: toSeller, ToProducer: royalty}, nil
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
