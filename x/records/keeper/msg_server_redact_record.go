package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// RedactRecord is the right to erasure: the owner tombstones a record. The
// record keeps its id, owner, issuer, kind, dates and version count, but
// its CID and the CID of every version in its history are cleared, so no
// query returns them again. The access hooks delete its grants and wraps,
// and EventRecordRedacted carries the released CIDs once, because vaults
// need them to unpin the content: that event (and the transactions that
// created the versions) are the only places the CIDs remain, and they point
// at ciphertext whose keys are gone with the wraps. Every Filecoin archive
// entry of the record is marked SHREDDED: a deal cannot be deleted before
// it ends, so the ciphertext stays in its pieces, but with the wraps gone
// nobody can open it (crypto-shredding). Records derived from this one
// are separate records and are not touched.
func (k msgServer) RedactRecord(ctx context.Context, msg *types.MsgRedactRecord) (*types.MsgRedactRecordResponse, error) {
	record, err := k.ownedRecord(ctx, "owner", msg.Owner, msg.RecordId, "redact it")
	if err != nil {
		return nil, err
	}
	if record.Status == types.RecordStatusRedacted {
		return nil, errorsmod.Wrapf(types.ErrRecordRedacted, "record %d is already redacted", record.Id)
	}

	var (
		versions []types.RecordVersion
		cids     []string
		seen     = map[string]bool{}
	)
	rng := collections.NewPrefixedPairRange[uint64, uint64](record.Id)
	if err := k.History.Walk(ctx, rng, func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (bool, error) {
		if v.Cid != "" && !seen[v.Cid] {
			seen[v.Cid] = true
			cids = append(cids, v.Cid)
		}
		versions = append(versions, v)
		return false, nil
	}); err != nil {
		return nil, errorsmod.Wrapf(err, "reading history of record %d", record.Id)
	}
	if record.Cid != "" && !seen[record.Cid] {
		cids = append(cids, record.Cid)
	}

	// Release the CIDs first, while the history still names them: each
	// leaves the live index for a tombstone, so no record may use it again.
	for _, v := range versions {
		if v.Cid == "" {
			continue
		}
		if err := k.releaseCID(ctx, v.Cid, v.RecordId, v.Version); err != nil {
			return nil, err
		}
	}
	for _, v := range versions {
		v.Cid = ""
		if err := k.History.Set(ctx, collections.Join(v.RecordId, v.Version), v); err != nil {
			return nil, errorsmod.Wrapf(err, "erasing version %d of record %d", v.Version, v.RecordId)
		}
	}
	record.Cid, record.EpochCid = "", ""
	record.SealedLabel = nil      // nobody can read it any more: its readers lose their wraps
	record.ArchiveAllowed = false // nothing of it may be archived again
	record.Status = types.RecordStatusRedacted
	record.UpdatedAt = sdk.UnwrapSDKContext(ctx).BlockTime()
	if err := k.Records.Set(ctx, record.Id, record); err != nil {
		return nil, errorsmod.Wrapf(err, "storing record %d", record.Id)
	}
	if err := k.afterRecordRedacted(ctx, record); err != nil {
		return nil, err
	}
	shredded, pieces, err := k.shredArchives(ctx, record.Id)
	if err != nil {
		return nil, err
	}

	if err := emit(ctx, &types.EventRecordRedacted{RecordId: record.Id, Owner: record.Owner, Cids: cids}); err != nil {
		return nil, err
	}
	if shredded > 0 {
		if err := emit(ctx, &types.EventArchiveShredded{RecordId: record.Id, Count: shredded, PieceCids: pieces}); err != nil {
			return nil, err
		}
	}
	return &types.MsgRedactRecordResponse{}, nil
}
