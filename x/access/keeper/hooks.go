package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// RecordsHooks implements x/records' AccessHooks: the records module asks
// it who may write and hands it the wraps of new records and versions.
type RecordsHooks struct{ k Keeper }

var _ recordstypes.AccessHooks = RecordsHooks{}

// Hooks returns the hooks the app installs in the records keeper.
func (k Keeper) Hooks() RecordsHooks { return RecordsHooks{k} }

// CanWrite reports whether record's owner has a live WRITE grant for writer
// or its organisation: on the record itself (existing records only), or a
// scope grant covering the record's kind.
func (h RecordsHooks) CanWrite(ctx context.Context, record recordstypes.Record, writer, organisation sdk.AccAddress) (bool, error) {
	owner, err := h.k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return false, err
	}
	t := now(ctx)
	for _, who := range []sdk.AccAddress{writer, organisation} {
		if len(who) == 0 {
			continue
		}
		if record.Id != 0 {
			e, found, err := h.k.accessEntry(ctx, record.Id, owner, who, types.PermissionWrite)
			if err != nil {
				return false, err
			}
			if found && e.IsLive(t) {
				return true, nil
			}
		}
		e, found, err := h.k.accessEntry(ctx, 0, owner, who, types.PermissionWrite)
		if err != nil {
			return false, err
		}
		if found && e.IsLive(t) && types.CoversKind(e.Kinds, record.Kind) {
			return true, nil
		}
	}
	return false, nil
}

// ValidateWraps checks that a new record's or version's wraps seal its key
// for exactly its readers (the owner and every live READ grantee covering
// it, scope grants included: a scope grant is never a dead letter) and
// stores them in place of the record's previous wraps.
//
// A record being created (version 1) can have no record grant and no
// stored wrap yet, so neither is looked for: on a busy block every store
// iterator costs in proportion to the block's writes so far.
func (h RecordsHooks) ValidateWraps(ctx context.Context, record recordstypes.Record, wraps []recordstypes.KeyWrap) error {
	fresh := record.Version == 1
	if fresh {
		if err := h.k.checkRecoverable(ctx, record); err != nil {
			return err
		}
	}
	required, err := h.k.readersOf(ctx, record, now(ctx), 0, !fresh)
	if err != nil {
		return err
	}
	if err := h.k.checkReaderWraps(ctx, record, record.KeyEpoch, wraps, required); err != nil {
		return err
	}
	owner, err := h.k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return err
	}
	if fresh {
		return h.k.storeWraps(ctx, owner, wraps)
	}
	return h.k.replaceWraps(ctx, owner, record.Id, wraps)
}

// AfterRecordRedacted deletes the record's grants and every wrap of its
// key, and closes the requests for it (RECORD_REDACTED): they could never
// be granted and would hold their requesters' slots until they expire.
// The owner's scope grants and scope requests stay: they cover other
// records.
func (h RecordsHooks) AfterRecordRedacted(ctx context.Context, record recordstypes.Record) error {
	it, err := h.k.Requests.Indexes.Record.MatchExact(ctx, record.Id)
	if err != nil {
		return err
	}
	requestIDs, err := it.PrimaryKeys()
	if err != nil {
		return errorsmod.Wrapf(err, "listing requests for record %d", record.Id)
	}
	for _, id := range requestIDs {
		r, err := h.k.Requests.Get(ctx, id)
		if err != nil {
			return errorsmod.Wrapf(err, "request %d", id)
		}
		if err := h.k.closeRequest(ctx, r, "RECORD_REDACTED", 0); err != nil {
			return err
		}
	}
	var grants []types.Grant
	err = h.k.Grants.Indexes.Record.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](record.Id),
		func(_ uint64, grantID uint64) (bool, error) {
			g, err := h.k.Grants.Get(ctx, grantID)
			if err != nil {
				return true, err
			}
			grants = append(grants, g)
			return false, nil
		})
	if err != nil {
		return errorsmod.Wrapf(err, "listing grants of record %d", record.Id)
	}
	for _, g := range grants {
		if err := h.k.deleteGrant(ctx, g, types.RevocationReasonRecordRedacted, nil); err != nil {
			return err
		}
	}
	owner, err := h.k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return err
	}
	return h.k.clearWraps(ctx, owner, record.Id)
}
