package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// RecordsKeeper is the part of x/records the access module uses.
// recordskeeper.Keeper satisfies it.
type RecordsKeeper interface {
	// GetRecord returns a record by id and whether it exists.
	GetRecord(ctx context.Context, id uint64) (recordstypes.Record, bool, error)
	// WalkOwnerRecords visits owner's records in id order (index scan).
	WalkOwnerRecords(ctx context.Context, owner sdk.AccAddress, fn func(recordstypes.Record) (stop bool, err error)) error
	// WalkOwnerRecordsAfter visits owner's records with an id above after,
	// in id order.
	WalkOwnerRecordsAfter(ctx context.Context, owner sdk.AccAddress, after uint64, fn func(recordstypes.Record) (stop bool, err error)) error
	// RotateKey moves a record to key epoch + 1 with a re-encrypted CID
	// and its label re-sealed under the new key.
	RotateKey(ctx context.Context, recordID uint64, cid string, sizeBytes uint64, sealedLabel []byte, by string, receipt *recordstypes.UploadReceipt) (recordstypes.Record, error)
	// TransferOwner gives a record to newOwner with its label re-sealed
	// for it (a key recovery).
	TransferOwner(ctx context.Context, recordID uint64, newOwner string, sealedLabel []byte) (recordstypes.Record, error)
	// CheckSealedLabel checks a label before TransferOwner is asked to
	// store it.
	CheckSealedLabel(ctx context.Context, sealedLabel []byte) error
}

// IssuersKeeper is the part of x/issuers the access module uses.
// issuerskeeper.Keeper satisfies it.
type IssuersKeeper interface {
	// IsAuthorised says whether addr may act as an issuer right now and on
	// behalf of which organisation.
	IsAuthorised(ctx context.Context, addr sdk.AccAddress) (issuerstypes.Authorisation, error)
}
