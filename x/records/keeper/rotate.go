package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// RotateKey moves an ACTIVE record to key epoch + 1 with a new version at
// cid: the current payload re-encrypted under a new record key. x/access
// calls it when an owner revokes a reader with a rotation, after checking
// the owner signed and before storing the new wraps, in the same
// transaction; records does not check wraps here (x/access checks that the
// new wraps cover exactly the remaining readers).
//
// The versions of the previous key epoch are released: their CIDs appear
// once in EventKeyRotated for vaults to unpin, because the revoked reader
// holds the key that opens them. The history keeps their metadata.
//
// A rotation is allowed at and beyond params max_versions_per_record,
// which bounds MsgAddVersion only. It is how the owner's revocation of a
// reader takes effect, a safety action that must never be blocked: were it
// bound, a grantee holding READ and WRITE could fill the record with
// versions and so keep the key it is being revoked from. Only the owner
// can rotate (x/access checks the owner's signature), so what a record's
// history grows past the limit by is the owner's own rotations, each one
// paid for by the owner; a writer still cannot add to it.
//
// receipt is the vault's upload receipt for cid, issued to by (the owner
// who signs the revocation): see checkUploadReceipt.
func (k Keeper) RotateKey(ctx context.Context, recordID uint64, cidStr string, sizeBytes uint64, sealedLabel []byte, by string, receipt *types.UploadReceipt) (types.Record, error) {
	record, err := k.getRecord(ctx, recordID)
	if err != nil {
		return types.Record{}, err
	}
	if record.Status == types.RecordStatusRedacted {
		return types.Record{}, errorsmod.Wrapf(types.ErrRecordRedacted, "record %d was redacted; there is nothing to rotate", recordID)
	}
	c, err := types.ValidateCID(cidStr)
	if err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "rotation of record %d", recordID)
	}
	if c.String() == record.Cid {
		return types.Record{}, errorsmod.Wrapf(types.ErrInvalidCID,
			"rotation of record %d: %s is the current version; a rotation re-encrypts the payload under a new key, which gives a new CID",
			recordID, record.Cid)
	}
	if err := types.ValidateSize(sizeBytes); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "rotation of record %d", recordID)
	}
	if err := k.checkCIDUnused(ctx, c); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "rotation of record %d", recordID)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Record{}, err
	}
	if err := types.ValidateSealedLabel(sealedLabel, params.MaxLabelLength); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "rotation of record %d", recordID)
	}
	if err := k.checkUploadReceipt(ctx, receipt, by, c); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "rotation of record %d", recordID)
	}

	var (
		released         []string
		releasedVersions []types.RecordVersion
	)
	seen := map[string]bool{}
	rng := collections.NewPrefixedPairRange[uint64, uint64](record.Id)
	if err := k.History.Walk(ctx, rng, func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (bool, error) {
		if v.KeyEpoch == record.KeyEpoch && v.Cid != "" && !seen[v.Cid] {
			seen[v.Cid] = true
			released = append(released, v.Cid)
			releasedVersions = append(releasedVersions, v)
		}
		return false, nil
	}); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "reading history of record %d", record.Id)
	}
	for _, v := range releasedVersions {
		if err := k.releaseCID(ctx, v.Cid, v.RecordId, v.Version); err != nil {
			return types.Record{}, err
		}
	}
	if _, err := k.releaseArchives(ctx, releasedVersions); err != nil {
		return types.Record{}, err
	}

	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	record.Version++
	record.KeyEpoch++
	record.Cid = c.String()
	record.EpochCid = record.Cid // the new epoch's wraps are bound to it
	record.SizeBytes = sizeBytes
	record.SealedLabel = sealedLabel // the old one opens only with the old key
	record.UpdatedAt = now
	if err := k.Records.Set(ctx, record.Id, record); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "storing record %d", record.Id)
	}
	if err := k.History.Set(ctx, collections.Join(record.Id, record.Version), types.RecordVersion{
		RecordId: record.Id, Version: record.Version, Cid: record.Cid, KeyEpoch: record.KeyEpoch, Issuer: by, At: now,
		SizeBytes: record.SizeBytes,
	}); err != nil {
		return types.Record{}, errorsmod.Wrapf(err, "storing history of record %d", record.Id)
	}
	if err := k.claimCID(ctx, record.Cid, record.Id, record.Version); err != nil {
		return types.Record{}, err
	}
	if err := emit(ctx, &types.EventKeyRotated{
		RecordId:     record.Id,
		Owner:        record.Owner,
		Version:      record.Version,
		Cid:          record.Cid,
		SizeBytes:    record.SizeBytes,
		KeyEpoch:     record.KeyEpoch,
		ReleasedCids: released,
	}); err != nil {
		return types.Record{}, err
	}
	return record, nil
}

// WalkOwnerRecords calls fn for each of owner's records in id order, through
// the owner index (never a scan of all records), until fn returns stop or
// an error.
func (k Keeper) WalkOwnerRecords(ctx context.Context, owner sdk.AccAddress, fn func(types.Record) (stop bool, err error)) error {
	return k.WalkOwnerRecordsAfter(ctx, owner, 0, fn)
}

// WalkOwnerRecordsAfter is WalkOwnerRecords starting after record id after
// (0: from the first): a message that continues from a cursor reads only
// the records it has still to handle.
func (k Keeper) WalkOwnerRecordsAfter(ctx context.Context, owner sdk.AccAddress, after uint64, fn func(types.Record) (stop bool, err error)) error {
	iter, err := k.Records.Indexes.Owner.Iterate(ctx,
		collections.NewPrefixedPairRange[sdk.AccAddress, uint64](owner).StartExclusive(after))
	if err != nil {
		return err
	}
	defer iter.Close()
	for ; iter.Valid(); iter.Next() {
		id, err := iter.PrimaryKey()
		if err != nil {
			return err
		}
		record, err := k.Records.Get(ctx, id)
		if err != nil {
			return errorsmod.Wrapf(err, "record %d of the owner index", id)
		}
		stop, err := fn(record)
		if err != nil || stop {
			return err
		}
	}
	return nil
}
