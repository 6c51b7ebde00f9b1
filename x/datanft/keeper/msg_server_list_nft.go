package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
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
