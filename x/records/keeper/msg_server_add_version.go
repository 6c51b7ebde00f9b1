package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// AddVersion points an ACTIVE record at a new CID. The signer must be the
// owner or an authorised issuer with WRITE, as for CreateRecord; the new
// version keeps the record's key epoch (rotations move the epoch through
// x/access) and is appended to the history.
//
// Writers add; they never take away. The wraps through which the owner and
// every reader open the key epoch are left as they are unless the owner
// signs: a writer's message carries no wraps, so the worst a writer can do
// is store a version that nobody can open, never make an earlier one
// unreadable. The record's issuer and
// organisation stay those of its creator; each version records its own
// issuer.
//
// Nor can writers make the owner's own actions dear: redaction and key
// rotation walk every version in the record's history, so a record that
// already holds params max_versions_per_record versions takes no more
// (ErrTooManyVersions), whoever signs, the owner included. The check comes
// after authorisation, so a signer who may not write at all still learns
// that, not how full the record is. Key rotation is not bound by it (see
// Keeper.RotateKey).
func (k msgServer) AddVersion(ctx context.Context, msg *types.MsgAddVersion) (*types.MsgAddVersionResponse, error) {
	creator, err := k.decodeAddress("creator", msg.Creator)
	if err != nil {
		return nil, err
	}
	record, err := k.getRecord(ctx, msg.RecordId)
	if err != nil {
		return nil, err
	}
	if record.Status == types.RecordStatusRedacted {
		return nil, errorsmod.Wrapf(types.ErrRecordRedacted, "record %d was redacted by its owner and takes no new versions", record.Id)
	}
	owner, err := k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return nil, err
	}
	if _, err := k.authoriseWriter(ctx, owner, record, creator, msg.Creator); err != nil {
		return nil, err
	}
	if err := k.checkVersionRoom(ctx, record); err != nil {
		return nil, err
	}
	byOwner := sdk.AccAddress(owner).Equals(creator)
	if len(msg.Wraps) > 0 && !byOwner {
		return nil, errorsmod.Wrapf(types.ErrInvalidWraps,
			"only the owner may replace the wraps of record %d's key; a writer's new version is encrypted under the "+
				"current record key, whose wraps stay as they are, so send MsgAddVersion without wraps", record.Id)
	}

	c, err := types.ValidateCID(msg.Cid)
	if err != nil {
		return nil, err
	}
	if c.String() == record.Cid {
		return nil, errorsmod.Wrapf(types.ErrCIDInUse, "%s is already the current version of record %d", record.Cid, record.Id)
	}
	if err := k.checkCIDUnused(ctx, c); err != nil {
		return nil, err
	}
	if err := types.ValidateSize(msg.SizeBytes); err != nil {
		return nil, err
	}
	if msg.KeyEpoch != record.KeyEpoch {
		return nil, errorsmod.Wrapf(types.ErrKeyEpochMismatch,
			"record %d is at key epoch %d, the message says %d; encrypt the new version with the current record key (rotations go through x/access)",
			record.Id, record.KeyEpoch, msg.KeyEpoch)
	}

	creatorStr, err := k.addressCodec.BytesToString(creator)
	if err != nil {
		return nil, err
	}
	if err := k.checkUploadReceipt(ctx, msg.Receipt, creatorStr, c); err != nil {
		return nil, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	record.Version++
	record.Cid = c.String()
	record.SizeBytes = msg.SizeBytes
	record.UpdatedAt = now
	// Wraps seal the key epoch's record key, not a version: without new ones
	// the stored wraps keep opening every version of the epoch, this one
	// included. Only the owner may replace them.
	if len(msg.Wraps) > 0 {
		if err := k.validateWraps(ctx, record, msg.Wraps); err != nil {
			return nil, err
		}
	}

	if err := k.Records.Set(ctx, record.Id, record); err != nil {
		return nil, errorsmod.Wrapf(err, "storing record %d", record.Id)
	}
	if err := k.History.Set(ctx, collections.Join(record.Id, record.Version), types.RecordVersion{
		RecordId: record.Id, Version: record.Version, Cid: record.Cid, KeyEpoch: record.KeyEpoch, Issuer: creatorStr, At: now,
		SizeBytes: record.SizeBytes,
	}); err != nil {
		return nil, errorsmod.Wrapf(err, "storing history of record %d", record.Id)
	}
	if err := k.claimCID(ctx, record.Cid, record.Id, record.Version); err != nil {
		return nil, err
	}

	if err := emit(ctx, &types.EventVersionAdded{
		RecordId:  record.Id,
		Owner:     record.Owner,
		Issuer:    creatorStr,
		Version:   record.Version,
		Cid:       record.Cid,
		SizeBytes: record.SizeBytes,
		KeyEpoch:  record.KeyEpoch,
	}); err != nil {
		return nil, err
	}
	return &types.MsgAddVersionResponse{Version: record.Version}, nil
}

// checkVersionRoom refuses a new version of record once it holds params
// max_versions_per_record versions. The history holds exactly versions
// 1..record.Version (every handler appends one entry per version, none
// deletes one, redaction only blanks their CIDs, and genesis validation
// requires all of them), so record.Version is the number of entries
// redaction and rotation walk, read without walking them.
func (k Keeper) checkVersionRoom(ctx context.Context, record types.Record) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if limit := uint64(params.MaxVersionsPerRecord); record.Version >= limit {
		return errorsmod.Wrapf(types.ErrTooManyVersions,
			"record %d holds %d versions and the limit (params max_versions_per_record) is %d; its owner can create a new "+
				"record for further versions, or redact this one, which erases all of its versions",
			record.Id, record.Version, limit)
	}
	return nil
}
