// Package keeper implements the datanft module: identity NFTs so far
// (issue 7 builds data-NFTs, the market and licences on it).
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

// Keeper mints through x/nft; datanft has no store of its own yet.
type Keeper struct {
	addressCodec address.Codec
	nft          types.NFTKeeper
}

// NewKeeper returns the datanft keeper.
func NewKeeper(addressCodec address.Codec, nftKeeper types.NFTKeeper) Keeper {
	return Keeper{addressCodec: addressCodec, nft: nftKeeper}
}

// InitGenesis creates the identity class if x/nft's genesis did not bring
// it (a new chain).
func (k Keeper) InitGenesis(ctx context.Context, _ *types.GenesisState) error {
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

// ExportGenesis exports the (empty) datanft state.
func (k Keeper) ExportGenesis(context.Context) *types.GenesisState { return types.DefaultGenesis() }

// ClaimIdentity mints the owner's identity NFT, whose id is its address.
func (k Keeper) ClaimIdentity(ctx context.Context, msg *types.MsgClaimIdentity) (*types.MsgClaimIdentityResponse, error) {
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
func (k Keeper) Identity(ctx context.Context, req *types.QueryIdentityRequest) (*types.QueryIdentityResponse, error) {
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

var (
	_ types.MsgServer   = msgServer{}
	_ types.QueryServer = Keeper{}
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the datanft Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }
