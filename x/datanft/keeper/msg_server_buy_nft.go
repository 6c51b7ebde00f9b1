package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/datanft/types"
)

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
