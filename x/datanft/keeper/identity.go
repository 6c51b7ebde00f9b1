package keeper

import (
	"context"

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
