package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

// ensureIdentityClass creates the identity class unless x/nft already has
// it (a chain restarted from an export).
func (k Keeper) ensureIdentityClass(ctx context.Context) error {
	if k.nft.HasClass(ctx, types.IdentityClassID) {
		return nil
	}
	return k.nft.SaveClass(ctx, nft.Class{
		Id:          types.IdentityClassID,
		Name:        "medchain identity",
		Symbol:      "MEDID",
		Description: "One per account, never transferable: the holder's on-chain ID card. Holds no personal data.",
	})
}

// ClaimIdentity mints the owner's identity NFT, whose id is its address.
func (k msgServer) ClaimIdentity(ctx context.Context, msg *types.MsgClaimIdentity) (*types.MsgClaimIdentityResponse, error) {
	owner, err := k.addressCodec.StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "owner %q: %s", msg.Owner, err)
	}
	id, err := k.addressCodec.BytesToString(owner) // canonical form
	if err != nil {
		return nil, err
	}
	if k.nft.HasNFT(ctx, types.IdentityClassID, id) {
		return nil, errorsmod.Wrapf(types.ErrIdentityClaimed, "%s already holds its identity NFT; there is one per account", id)
	}
	if err := k.nft.Mint(ctx, nft.NFT{ClassId: types.IdentityClassID, Id: id}, sdk.AccAddress(owner)); err != nil {
		return nil, fmt.Errorf("minting the identity NFT: %w", err)
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventIdentityClaimed{
		Owner: id, ClassId: types.IdentityClassID, NftId: id,
	}); err != nil {
		return nil, err
	}
	return &types.MsgClaimIdentityResponse{ClassId: types.IdentityClassID, NftId: id}, nil
}

// Identity answers whether an account holds its identity NFT.
func (q Querier) Identity(ctx context.Context, req *types.QueryIdentityRequest) (*types.QueryIdentityResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, errorsmod.Wrap(types.ErrInvalidAddress, "empty request")
	}
	addr, err := k.addressCodec.StringToBytes(req.Address)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%q: %s", req.Address, err)
	}
	id, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, err
	}
	owner := k.nft.GetOwner(ctx, types.IdentityClassID, id)
	return &types.QueryIdentityResponse{
		Claimed: owner != nil && owner.Equals(sdk.AccAddress(addr)),
		ClassId: types.IdentityClassID, NftId: id,
	}, nil
}
