package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

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
