package types

import (
	"context"

	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// NFTKeeper is what datanft needs of x/nft, the store of every NFT and its
// owner.
type NFTKeeper interface {
	SaveClass(ctx context.Context, class nft.Class) error
	HasClass(ctx context.Context, classID string) bool
	Mint(ctx context.Context, token nft.NFT, receiver sdk.AccAddress) error
	HasNFT(ctx context.Context, classID, id string) bool
	GetOwner(ctx context.Context, classID, nftID string) sdk.AccAddress
	Transfer(ctx context.Context, classID, nftID string, receiver sdk.AccAddress) error
	NFTs(ctx context.Context, req *nft.QueryNFTsRequest) (*nft.QueryNFTsResponse, error)
}

// BankKeeper moves the coins of sales, royalties and licence escrows.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error
	SpendableCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// IssuersKeeper says who may vouch for a pseudonym (an ACTIVE hospital)
// and whose royalty it may name (the hospital or its practitioner).
type IssuersKeeper interface {
	IsAuthorised(ctx context.Context, addr sdk.AccAddress) (issuerstypes.Authorisation, error)
}

// AccountKeeper creates a vouched pseudonym's account, so that it can sign
// without coins sent from the patient.
type AccountKeeper interface {
	HasAccount(ctx context.Context, addr sdk.AccAddress) bool
	NewAccountWithAddress(ctx context.Context, addr sdk.AccAddress) sdk.AccountI
	SetAccount(ctx context.Context, acc sdk.AccountI)
}

// RecordsKeeper reads the records data-NFTs stand for.
type RecordsKeeper interface {
	GetRecord(ctx context.Context, id uint64) (recordstypes.Record, bool, error)
}

// AccessKeeper makes a licence's READ grant through x/access, so that a
// licence is an ordinary grant: checked, expiring and revocable like any
// other.
type AccessKeeper interface {
	// GrantAccess is x/access's Msg service method (all its checks apply).
	GrantAccess(ctx context.Context, msg *accesstypes.MsgGrantAccess) (*accesstypes.MsgGrantAccessResponse, error)
	// CurrentKey returns an account's current encryption key.
	CurrentKey(ctx context.Context, addr sdk.AccAddress) (accesstypes.EncryptionKey, bool, error)
	// LiveRecordGrant says whether grantee holds an unexpired grant with
	// permission p on the record itself.
	LiveRecordGrant(ctx context.Context, recordID uint64, grantee sdk.AccAddress, p accesstypes.Permission) (bool, error)
}
