package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

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
	// While a key recovery moves the owner's records in, the patient's
	// records not moved yet are covered through a mirror of the scope
	// entry under the patient: it goes with the grant.
	owners := []sdk.AccAddress{owner}
	if g.RecordId == 0 {
		if patient, found, err := k.mirrorOwner(ctx, owner); err != nil {
			return err
		} else if found {
			owners = append(owners, patient)
		}
	}
	if g.RecordId != 0 {
		err = k.RecordAccess.Remove(ctx, collections.Join3(g.RecordId, sdk.AccAddress(grantee), int32(g.Permission)))
	} else {
		for _, o := range owners {
			if err = k.ScopeAccess.Remove(ctx, collections.Join3(o, sdk.AccAddress(grantee), int32(g.Permission))); err != nil {
				break
			}
		}
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
		if err := k.dropUnjustifiedWraps(ctx, g, owners, grantee); err != nil {
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
//
// owners are the grant's owner and, while a key recovery moves records
// into it, the patient whose records have not moved yet: their wraps are
// indexed under the account that owns each record now.
func (k Keeper) dropUnjustifiedWraps(ctx context.Context, g types.Grant, owners []sdk.AccAddress, grantee sdk.AccAddress) error {
	recordIDs := []uint64{g.RecordId}
	if g.RecordId == 0 {
		recordIDs = recordIDs[:0]
		for _, owner := range owners {
			it, err := k.WrapsByReader.Iterate(ctx, collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](owner, grantee))
			if err != nil {
				return err
			}
			keys, err := it.Keys()
			if err != nil {
				return err
			}
			for _, key := range keys {
				recordIDs = append(recordIDs, key.K3())
			}
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
		// The record's owner now, not the grant's: while a recovery
		// moves records the two differ for the records not moved yet.
		owner, err := k.addressCodec.StringToBytes(record.Owner)
		if err != nil {
			return err
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
