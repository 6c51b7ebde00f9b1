package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// readers is an ordered set of accounts that must hold a wrap of a record,
// each with the grant that makes it a reader (0 for the owner).
type readers struct {
	order []string
	grant map[string]uint64
	// spent is the owner's emergency policy when it is spent: its reader
	// is then not among the readers, and a wrap for it is refused.
	spent *types.EmergencyPolicy
}

func (r *readers) add(addr string, grantID uint64) {
	if r.grant == nil {
		r.grant = map[string]uint64{}
	}
	if _, ok := r.grant[addr]; !ok {
		r.order = append(r.order, addr)
		r.grant[addr] = grantID
	}
}

// requiredReaders returns who must be able to open record's key at t: its
// owner, its owner's emergency reader when the owner has an emergency
// policy that is not spent, and every grantee of a live READ grant covering it (record grants
// and the owner's scope grants for its kind), leaving out grant except
// (the grant being revoked, or 0).
func (k Keeper) requiredReaders(ctx context.Context, record recordstypes.Record, t time.Time, except uint64) (readers, error) {
	return k.readersOf(ctx, record, t, except, true)
}

// readersOf is requiredReaders, looking for record grants only if
// recordGrants (a record being created has none).
func (k Keeper) readersOf(ctx context.Context, record recordstypes.Record, t time.Time, except uint64, recordGrants bool) (readers, error) {
	var r readers
	owner, err := k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return r, err
	}
	r.add(record.Owner, 0)
	if p, found, err := k.findEmergencyPolicy(ctx, owner); err != nil {
		return r, err
	} else if found && p.IsSpent() {
		r.spent = &p
	} else if found {
		r.add(k.str(types.EmergencyReader(owner)), 0)
	}
	if record.Id != 0 && recordGrants {
		err = k.RecordAccess.Walk(ctx, collections.NewPrefixedTripleRange[uint64, sdk.AccAddress, int32](record.Id),
			func(key collections.Triple[uint64, sdk.AccAddress, int32], e types.AccessEntry) (bool, error) {
				if types.Permission(key.K3()) == types.PermissionRead && e.GrantId != except && e.IsLive(t) {
					r.add(k.str(key.K2()), e.GrantId)
				}
				return false, nil
			})
		if err != nil {
			return r, err
		}
	}
	err = k.ScopeAccess.Walk(ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, int32](owner),
		func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, int32], e types.AccessEntry) (bool, error) {
			if types.Permission(key.K3()) == types.PermissionRead && e.GrantId != except && e.IsLive(t) &&
				types.CoversKind(e.Kinds, record.Kind) {
				r.add(k.str(key.K2()), e.GrantId)
			}
			return false, nil
		})
	return r, err
}

// checkWrap checks one wrap against the record it seals (id and key epoch)
// and the reader's registered keys: it must be sealed to the reader's
// current key and have the size that key's algorithm produces.
func (k Keeper) checkWrap(ctx context.Context, i int, w recordstypes.KeyWrap, recordID, keyEpoch uint64) error {
	if w.RecordId != recordID {
		return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] for %s is bound to record %d, expected record %d", i, w.Grantee, w.RecordId, recordID)
	}
	if w.KeyEpoch != keyEpoch {
		return errorsmod.Wrapf(types.ErrInvalidWraps,
			"wraps[%d] for %s seals key epoch %d of record %d, which is at key epoch %d: wrap the current record key",
			i, w.Grantee, w.KeyEpoch, recordID, keyEpoch)
	}
	reader, err := k.decodeAddress(fmt.Sprintf("wraps[%d].grantee", i), w.Grantee)
	if err != nil {
		return err
	}
	key, found, err := k.CurrentKey(ctx, reader)
	if err != nil {
		return err
	}
	if !found {
		return errorsmod.Wrapf(types.ErrNoEncryptionKey,
			"%s has no registered encryption key, so nothing can be wrapped for it; it must run `medchaind tx access register-key` first", w.Grantee)
	}
	if w.KeyId != key.KeyId {
		if has, _ := k.Keys.Has(ctx, collections.Join(reader, w.KeyId)); has {
			return errorsmod.Wrapf(types.ErrInvalidWraps,
				"wraps[%d] is sealed to %s's earlier key %s; seal it to its current key %s", i, w.Grantee, w.KeyId, key.KeyId)
		}
		return errorsmod.Wrapf(types.ErrInvalidWraps,
			"wraps[%d] is sealed to key %q, which is not a registered key of %s (current: %s)", i, w.KeyId, w.Grantee, key.KeyId)
	}
	lo, hi, err := key.Algorithm.WrapSizeBounds()
	if err != nil {
		return err
	}
	if n := len(w.Ciphertext); n < lo || n > hi {
		return errorsmod.Wrapf(types.ErrInvalidWraps,
			"wraps[%d] for %s is %d bytes; an %s wrap is %d to %d bytes", i, w.Grantee, n, key.Algorithm.Label(), lo, hi)
	}
	return nil
}

// checkReaderWraps checks that wraps seal record's key at keyEpoch for
// exactly the required readers, one each.
func (k Keeper) checkReaderWraps(ctx context.Context, record recordstypes.Record, keyEpoch uint64, wraps []recordstypes.KeyWrap, required readers) error {
	have := make(map[string]bool, len(wraps))
	for i, w := range wraps {
		grantee, err := k.decodeAddress(fmt.Sprintf("wraps[%d].grantee", i), w.Grantee)
		if err != nil {
			return err
		}
		canon := k.str(grantee)
		if have[canon] {
			return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d]: %s has more than one wrap for record %d", i, canon, record.Id)
		}
		have[canon] = true
		if _, ok := required.grant[canon]; !ok && required.spent != nil && canon == required.spent.EmergencyReader {
			return errSpent(*required.spent, "wraps[%d] is for %s, the emergency reader, whose key opens nothing new; leave it out", i, canon)
		} else if !ok {
			return errorsmod.Wrapf(types.ErrInvalidWraps,
				"wraps[%d] is for %s, who is neither the owner nor holds a live READ grant on record %d; leave it out",
				i, canon, record.Id)
		}
		if err := k.checkWrap(ctx, i, w, record.Id, keyEpoch); err != nil {
			return err
		}
	}
	for _, reader := range required.order {
		if have[reader] {
			continue
		}
		if g := required.grant[reader]; g != 0 {
			return errorsmod.Wrapf(types.ErrInvalidWraps,
				"no wrap for %s, who may read record %d through grant %d; wrap the record key for it too", reader, record.Id, g)
		}
		if reader != record.Owner {
			return errorsmod.Wrapf(types.ErrInvalidWraps,
				"no wrap for %s, the emergency reader of the owner's emergency policy: wrap the record key to its registered key too", reader)
		}
		return errorsmod.Wrapf(types.ErrInvalidWraps, "no wrap for the owner %s of record %d", reader, record.Id)
	}
	return nil
}

// replaceWraps deletes every stored wrap of owner's record and stores
// wraps.
func (k Keeper) replaceWraps(ctx context.Context, owner sdk.AccAddress, recordID uint64, wraps []recordstypes.KeyWrap) error {
	if err := k.clearWraps(ctx, owner, recordID); err != nil {
		return errorsmod.Wrapf(err, "clearing wraps of record %d", recordID)
	}
	return k.storeWraps(ctx, owner, wraps)
}

// storeWraps stores wraps (already checked) of owner's records, in
// canonical address form, with their WrapsByReader entries.
func (k Keeper) storeWraps(ctx context.Context, owner sdk.AccAddress, wraps []recordstypes.KeyWrap) error {
	for _, w := range wraps {
		grantee, err := k.addressCodec.StringToBytes(w.Grantee)
		if err != nil {
			return err
		}
		if err := k.Wraps.Set(ctx, collections.Join(w.RecordId, sdk.AccAddress(grantee)), types.Wrap{
			RecordId: w.RecordId, Grantee: k.str(grantee), KeyId: w.KeyId, KeyEpoch: w.KeyEpoch, Ciphertext: w.Ciphertext,
		}); err != nil {
			return errorsmod.Wrapf(err, "storing wrap of record %d for %s", w.RecordId, w.Grantee)
		}
		if err := k.WrapsByReader.Set(ctx, collections.Join3(owner, sdk.AccAddress(grantee), w.RecordId)); err != nil {
			return errorsmod.Wrapf(err, "indexing wrap of record %d for %s", w.RecordId, w.Grantee)
		}
	}
	return nil
}

// removeWrap deletes reader's wrap of owner's record, if any.
func (k Keeper) removeWrap(ctx context.Context, owner sdk.AccAddress, recordID uint64, reader sdk.AccAddress) error {
	if err := k.Wraps.Remove(ctx, collections.Join(recordID, reader)); err != nil {
		return err
	}
	return k.WrapsByReader.Remove(ctx, collections.Join3(owner, reader, recordID))
}

// clearWraps deletes every wrap of owner's record (one per reader).
func (k Keeper) clearWraps(ctx context.Context, owner sdk.AccAddress, recordID uint64) error {
	it, err := k.Wraps.Iterate(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](recordID))
	if err != nil {
		return err
	}
	keys, err := it.Keys()
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := k.removeWrap(ctx, owner, recordID, key.K2()); err != nil {
			return err
		}
	}
	return nil
}
