package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// nextID returns the next id of seq (ids start at 1) and advances it.
func nextID(ctx context.Context, seq collections.Sequence) (uint64, error) {
	id, err := seq.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		id = 1
	}
	return id, seq.Set(ctx, id+1)
}

// decodeAddress reads a bech32 account address from the field named field.
func (k Keeper) decodeAddress(field, addr string) (sdk.AccAddress, error) {
	if addr == "" {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s is empty", field)
	}
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s %q: %s", field, addr, err)
	}
	return bz, nil
}

// str renders address bytes in bech32; addresses in state are always valid.
func (k Keeper) str(addr []byte) string {
	s, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		panic(fmt.Errorf("access keeper: encoding address: %w", err))
	}
	return s
}

func now(ctx context.Context) time.Time { return sdk.UnwrapSDKContext(ctx).BlockTime() }

// CurrentKey returns addr's current encryption key and whether it has one.
func (k Keeper) CurrentKey(ctx context.Context, addr sdk.AccAddress) (types.EncryptionKey, bool, error) {
	id, err := k.CurrentKeys.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return types.EncryptionKey{}, false, nil
	}
	if err != nil {
		return types.EncryptionKey{}, false, err
	}
	key, err := k.Keys.Get(ctx, collections.Join(addr, id))
	if err != nil {
		return types.EncryptionKey{}, false, errorsmod.Wrapf(err, "current key %s of %s", id, k.str(addr))
	}
	return key, true, nil
}

// activeRecord loads a record that must exist and be ACTIVE.
func (k Keeper) activeRecord(ctx context.Context, id uint64) (recordstypes.Record, error) {
	record, found, err := k.records.GetRecord(ctx, id)
	if err != nil {
		return recordstypes.Record{}, err
	}
	if !found {
		return recordstypes.Record{}, errorsmod.Wrapf(types.ErrRecordNotFound, "record %d does not exist", id)
	}
	if record.Status == recordstypes.RecordStatusRedacted {
		return recordstypes.Record{}, errorsmod.Wrapf(types.ErrRecordRedacted, "record %d was redacted by its owner", id)
	}
	return record, nil
}

// readers is an ordered set of accounts that must hold a wrap of a record,
// each with the grant that makes it a reader (0 for the owner).
type readers struct {
	order []string
	grant map[string]uint64
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
// policy, and every grantee of a live READ grant covering it (record grants
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
	if has, err := k.EmergencyPolicies.Has(ctx, owner); err != nil {
		return r, err
	} else if has {
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
		if _, ok := required.grant[canon]; !ok {
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

// entryOf is the provable decision entry of a grant.
func entryOf(g types.Grant) types.AccessEntry {
	return types.AccessEntry{GrantId: g.Id, Kinds: g.Kinds, Purpose: g.Purpose, ExpiresAt: g.ExpiresAt}
}

// accessEntry returns the decision entry of the grant of grantee with
// permission on the target (record id, or 0 for owner's scope), if any.
func (k Keeper) accessEntry(ctx context.Context, recordID uint64, owner, grantee sdk.AccAddress, p types.Permission) (types.AccessEntry, bool, error) {
	var (
		e   types.AccessEntry
		err error
	)
	if recordID != 0 {
		e, err = k.RecordAccess.Get(ctx, collections.Join3(recordID, grantee, int32(p)))
	} else {
		e, err = k.ScopeAccess.Get(ctx, collections.Join3(owner, grantee, int32(p)))
	}
	if errors.Is(err, collections.ErrNotFound) {
		return e, false, nil
	}
	return e, err == nil, err
}

// setGrant stores a new grant with its decision entry and expiry.
func (k Keeper) setGrant(ctx context.Context, g types.Grant) error {
	owner, err := k.addressCodec.StringToBytes(g.Owner)
	if err != nil {
		return err
	}
	grantee, err := k.addressCodec.StringToBytes(g.Grantee)
	if err != nil {
		return err
	}
	if err := k.Grants.Set(ctx, g.Id, g); err != nil {
		return errorsmod.Wrapf(err, "storing grant %d", g.Id)
	}
	if g.RecordId != 0 {
		err = k.RecordAccess.Set(ctx, collections.Join3(g.RecordId, sdk.AccAddress(grantee), int32(g.Permission)), entryOf(g))
	} else {
		err = k.ScopeAccess.Set(ctx, collections.Join3(sdk.AccAddress(owner), sdk.AccAddress(grantee), int32(g.Permission)), entryOf(g))
	}
	if err != nil {
		return errorsmod.Wrapf(err, "storing the access entry of grant %d", g.Id)
	}
	if g.ExpiresAt != nil {
		return k.GrantExpiry.Set(ctx, collections.Join(*g.ExpiresAt, g.Id))
	}
	return nil
}

// deleteGrant removes a grant, its decision entry, its expiry entry and the
// wraps that only it justified (a reader keeps a wrap while another live
// READ grant still covers the record), and emits EventAccessRevoked.
func (k Keeper) deleteGrant(ctx context.Context, g types.Grant, reason types.RevocationReason, rotated []uint64) error {
	owner, err := k.addressCodec.StringToBytes(g.Owner)
	if err != nil {
		return err
	}
	grantee, err := k.addressCodec.StringToBytes(g.Grantee)
	if err != nil {
		return err
	}
	if err := k.Grants.Remove(ctx, g.Id); err != nil {
		return errorsmod.Wrapf(err, "removing grant %d", g.Id)
	}
	if g.RecordId != 0 {
		err = k.RecordAccess.Remove(ctx, collections.Join3(g.RecordId, sdk.AccAddress(grantee), int32(g.Permission)))
	} else {
		err = k.ScopeAccess.Remove(ctx, collections.Join3(sdk.AccAddress(owner), sdk.AccAddress(grantee), int32(g.Permission)))
	}
	if err != nil {
		return err
	}
	if g.ExpiresAt != nil {
		if err := k.GrantExpiry.Remove(ctx, collections.Join(*g.ExpiresAt, g.Id)); err != nil {
			return err
		}
	}
	if g.Permission == types.PermissionRead {
		if err := k.dropUnjustifiedWraps(ctx, g, owner, grantee); err != nil {
			return err
		}
	}
	return emit(ctx, &types.EventAccessRevoked{
		GrantId: g.Id, Owner: g.Owner, Grantee: g.Grantee, Reason: reason, RotatedRecords: rotated,
	})
}

// dropUnjustifiedWraps deletes the grantee's wraps of the records g covered
// unless another live READ grant still covers them. g is already deleted.
// For a scope grant it visits only the grantee's wraps of the owner's
// records (WrapsByReader), never the owner's other records: the work is
// bounded by the wraps the grant made the grantee hold, not by the size of
// the owner's history.
func (k Keeper) dropUnjustifiedWraps(ctx context.Context, g types.Grant, owner, grantee sdk.AccAddress) error {
	recordIDs := []uint64{g.RecordId}
	if g.RecordId == 0 {
		it, err := k.WrapsByReader.Iterate(ctx, collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](owner, grantee))
		if err != nil {
			return err
		}
		keys, err := it.Keys()
		if err != nil {
			return err
		}
		recordIDs = recordIDs[:0]
		for _, key := range keys {
			recordIDs = append(recordIDs, key.K3())
		}
	} else if has, err := k.Wraps.Has(ctx, collections.Join(g.RecordId, grantee)); err != nil || !has {
		return err
	}
	t := now(ctx)
	for _, id := range recordIDs {
		record, found, err := k.records.GetRecord(ctx, id)
		if err != nil {
			return err
		}
		if !found || (g.RecordId == 0 && !types.CoversKind(g.Kinds, record.Kind)) {
			continue
		}
		stillReads, err := k.readsThroughOtherGrant(ctx, record, owner, grantee, t)
		if err != nil {
			return err
		}
		if !stillReads {
			if err := k.removeWrap(ctx, owner, id, grantee); err != nil {
				return err
			}
		}
	}
	return nil
}

// readsThroughOtherGrant reports whether grantee holds a live READ grant
// (record or scope) covering record.
func (k Keeper) readsThroughOtherGrant(ctx context.Context, record recordstypes.Record, owner, grantee sdk.AccAddress, t time.Time) (bool, error) {
	e, found, err := k.accessEntry(ctx, record.Id, owner, grantee, types.PermissionRead)
	if err != nil {
		return false, err
	}
	if found && e.IsLive(t) {
		return true, nil
	}
	e, found, err = k.accessEntry(ctx, 0, owner, grantee, types.PermissionRead)
	if err != nil {
		return false, err
	}
	return found && e.IsLive(t) && types.CoversKind(e.Kinds, record.Kind), nil
}

// closeRequest removes a pending request, its expiry entry and its place
// in the requester's pending count, and emits EventRequestClosed.
func (k Keeper) closeRequest(ctx context.Context, r types.AccessRequest, outcome string, grantID uint64) error {
	requester, err := k.addressCodec.StringToBytes(r.Requester)
	if err != nil {
		return err
	}
	owner, err := k.addressCodec.StringToBytes(r.Owner)
	if err != nil {
		return err
	}
	if err := k.Requests.Remove(ctx, r.Id); err != nil {
		return errorsmod.Wrapf(err, "removing request %d", r.Id)
	}
	if err := k.RequestExpiry.Remove(ctx, collections.Join(r.ExpiresAt, r.Id)); err != nil {
		return err
	}
	pair := collections.Join(sdk.AccAddress(requester), sdk.AccAddress(owner))
	n, err := k.PendingRequests.Get(ctx, pair)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if n <= 1 {
		err = k.PendingRequests.Remove(ctx, pair)
	} else {
		err = k.PendingRequests.Set(ctx, pair, n-1)
	}
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventRequestClosed{
		RequestId: r.Id, Requester: r.Requester, Owner: r.Owner, Outcome: outcome, GrantId: grantID,
	})
}

// sameAddress compares two bech32 strings by their bytes.
func (k Keeper) sameAddress(a, b string) bool {
	x, err1 := k.addressCodec.StringToBytes(a)
	y, err2 := k.addressCodec.StringToBytes(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// LiveRecordGrant says whether grantee holds an unexpired grant with
// permission p on the record itself (scope grants are not counted). x/datanft
// asks it before selling a licence whose grant could not be made.
func (k Keeper) LiveRecordGrant(ctx context.Context, recordID uint64, grantee sdk.AccAddress, p types.Permission) (bool, error) {
	e, found, err := k.accessEntry(ctx, recordID, nil, grantee, p)
	if err != nil || !found {
		return false, err
	}
	return e.IsLive(now(ctx)), nil
}
