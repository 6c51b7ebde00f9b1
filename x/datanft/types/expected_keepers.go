package types

import (
	"context"

	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// NFTKeeper is what datanft needs of x/nft, the store of every NFT.
type NFTKeeper interface {
	SaveClass(ctx context.Context, class nft.Class) error
	HasClass(ctx context.Context, classID string) bool
	Mint(ctx context.Context, token nft.NFT, receiver sdk.AccAddress) error
	HasNFT(ctx context.Context, classID, id string) bool
	GetOwner(ctx context.Context, classID, nftID string) sdk.AccAddress
}
