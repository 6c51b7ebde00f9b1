package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccessHooks let the access-control module (x/access) decide who may write
// a patient's records and check the key wraps that travel with a record,
// without x/records depending on it: x/records declares the hooks, x/access
// implements them, and the app connects the two with Keeper.SetHooks (as
// x/staking declares its hooks).
//
// Until hooks are set, the keeper behaves as if:
//   - CanWrite is false for everyone (only owners write their own records);
//   - ValidateWraps accepts exactly one wrap, for the owner.
type AccessHooks interface {
	// CanWrite says whether record.Owner currently grants WRITE on record
	// to writer or, when organisation is not empty, to the organisation
	// writer acts for. For a record being created, record.Id is 0 and only
	// Owner and Kind are set (so only scope grants can apply). It is only
	// asked for writers other than the owner that x/issuers authorises.
	CanWrite(ctx context.Context, record Record, writer, organisation sdk.AccAddress) (bool, error)

	// ValidateWraps checks the wraps sent with a new record or version
	// (record is the record as it will be stored, with its id, version and
	// key epoch) and keeps them. record.Version is 1 exactly when the
	// record is being created: it has no grant and no wrap yet. Wraps arrive already well-formed (distinct,
	// valid grantees, non-empty ciphertexts); an error rejects the message.
	ValidateWraps(ctx context.Context, record Record, wraps []KeyWrap) error

	// AfterRecordRedacted is called once a record has been redacted so that
	// x/access deletes its grants and wraps. An error rejects the redaction.
	AfterRecordRedacted(ctx context.Context, record Record) error
}
