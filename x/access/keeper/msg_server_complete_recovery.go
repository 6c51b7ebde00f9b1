package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// CompleteRecovery moves the patient's records to the new owner once the
// delay has passed with threshold approvals: one entry per ACTIVE record,
// its key sealed to the new owner's current key and its label re-sealed.
// The records, the grants the patient gave and every wrap move to the new
// owner; the patient's emergency policy ends (the new owner sets its own)
// and requests to the patient close. The chain cannot open the approvals;
// a new owner that recovered nothing could not seal the record keys.
func (k msgServer) CompleteRecovery(ctx context.Context, msg *types.MsgCompleteRecovery) (*types.MsgCompleteRecoveryResponse, error) {
	newOwner, err := k.decodeAddress("new_owner", msg.NewOwner)
	if err != nil {
		return nil, err
	}
	r, err := k.pendingRecovery(ctx, msg.RecoveryId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.NewOwner, msg.NewOwner) {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d moves the records to %s; only it may complete it", r.Id, r.NewOwner)
	}
	t := now(ctx)
	if t.Before(r.ExecutableAt) {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d may complete from %s (the patient's time to cancel it)", r.Id, r.ExecutableAt.UTC())
	}
	policy, err := k.recoveryPolicy(ctx, r)
	if err != nil {
		return nil, err
	}
	if n := len(r.Approvals); n < int(policy.Threshold) {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d has %d of the %d approvals it needs", r.Id, n, policy.Threshold)
	}
	patient, err := k.decodeAddress("patient", r.Patient)
	if err != nil {
		return nil, err
	}
	if has, err := k.EmergencyPolicies.Has(ctx, newOwner); err != nil {
		return nil, err
	} else if has {
		// Its emergency reader would need a wrap of every record it takes
		// over, which this message does not carry.
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s set an emergency policy since asking; withdraw it, complete the recovery, then set it again", msg.NewOwner)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if uint32(len(msg.Records)) > params.MaxWrapsPerMsg {
		return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "%d records; at most %d per message (params max_wraps_per_msg)", len(msg.Records), params.MaxWrapsPerMsg)
	}
	var all []recordstypes.Record
	if err := k.records.WalkOwnerRecords(ctx, patient, func(rec recordstypes.Record) (bool, error) {
		all = append(all, rec)
		return false, nil
	}); err != nil {
		return nil, err
	}
	byID := make(map[uint64]recordstypes.Record, len(all))
	for _, rec := range all {
		byID[rec.Id] = rec
	}
	entries := make(map[uint64]types.RecoveredRecord, len(msg.Records))
	for i, e := range msg.Records {
		rec, ok := byID[e.RecordId]
		if !ok || rec.Status != recordstypes.RecordStatusActive {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d is not an ACTIVE record of %s", i, e.RecordId, r.Patient)
		}
		if _, dup := entries[e.RecordId]; dup {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d appears twice", i, e.RecordId)
		}
		if !k.sameAddress(e.Wrap.Grantee, msg.NewOwner) {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d] wraps the key for %s; a recovery seals every key to the new owner %s", i, e.Wrap.Grantee, r.NewOwner)
		}
		if err := k.checkWrap(ctx, i, e.Wrap, rec.Id, rec.KeyEpoch); err != nil {
			return nil, err
		}
		if err := k.records.CheckSealedLabel(ctx, e.SealedLabel); err != nil {
			return nil, errorsmod.Wrapf(err, "records[%d] (record %d)", i, rec.Id)
		}
		entries[e.RecordId] = e
	}
	for _, rec := range all {
		if _, ok := entries[rec.Id]; !ok && rec.Status == recordstypes.RecordStatusActive {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "no entry for record %d: every ACTIVE record of %s needs its key sealed to the new owner", rec.Id, r.Patient)
		}
	}

	// Everything is checked: write.
	if _, err := k.endEmergencyPolicy(ctx, patient, "RECOVERED"); err != nil {
		return nil, err
	}
	moved := make([]uint64, 0, len(all))
	for _, rec := range all {
		e := entries[rec.Id]
		if _, err := k.records.TransferOwner(ctx, rec.Id, r.NewOwner, e.SealedLabel); err != nil {
			return nil, err
		}
		if err := k.moveWraps(ctx, rec.Id, patient, newOwner); err != nil {
			return nil, err
		}
		if rec.Status == recordstypes.RecordStatusActive {
			w := e.Wrap
			w.RecordId = rec.Id
			if err := k.storeWraps(ctx, newOwner, []recordstypes.KeyWrap{w}); err != nil {
				return nil, err
			}
		}
		moved = append(moved, rec.Id)
	}
	if err := k.moveGrants(ctx, patient, newOwner); err != nil {
		return nil, err
	}
	if err := k.closeRequestsTo(ctx, patient, "OWNER_RECOVERED"); err != nil {
		return nil, err
	}
	if err := k.endRecovery(ctx, r, patient, types.RecoveryStatusCompleted, moved); err != nil {
		return nil, err
	}
	if err := k.supersedeRecoveries(ctx, patient, r.Id); err != nil {
		return nil, err
	}
	return &types.MsgCompleteRecoveryResponse{Records: uint32(len(moved))}, nil
}

// moveWraps gives record recordID's wraps to its new owner: the old owner's
// own wrap goes (the new owner's replaces it), the other readers' stay and
// their index moves from (from, reader, record) to (to, reader, record).
func (k Keeper) moveWraps(ctx context.Context, recordID uint64, from, to sdk.AccAddress) error {
	if err := k.removeWrap(ctx, from, recordID, from); err != nil {
		return err
	}
	var readers []sdk.AccAddress
	err := k.Wraps.Walk(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](recordID),
		func(key collections.Pair[uint64, sdk.AccAddress], _ types.Wrap) (bool, error) {
			readers = append(readers, key.K2())
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, reader := range readers {
		if err := k.WrapsByReader.Remove(ctx, collections.Join3(from, reader, recordID)); err != nil {
			return err
		}
		if err := k.WrapsByReader.Set(ctx, collections.Join3(to, reader, recordID)); err != nil {
			return err
		}
	}
	return nil
}

// moveGrants gives the grants from gave to to: their owner changes, and a
// scope grant's decision entry moves to the new owner's key.
func (k Keeper) moveGrants(ctx context.Context, from, to sdk.AccAddress) error {
	var grants []types.Grant
	err := k.Grants.Indexes.Owner.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](from),
		func(_ sdk.AccAddress, id uint64) (bool, error) {
			g, err := k.Grants.Get(ctx, id)
			if err != nil {
				return true, err
			}
			grants = append(grants, g)
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, g := range grants {
		grantee, err := k.decodeAddress("grantee", g.Grantee)
		if err != nil {
			return err
		}
		if g.RecordId == 0 {
			key := collections.Join3(from, grantee, int32(g.Permission))
			e, err := k.ScopeAccess.Get(ctx, key)
			if err != nil {
				return fmt.Errorf("scope grant %d: %w", g.Id, err)
			}
			if err := k.ScopeAccess.Remove(ctx, key); err != nil {
				return err
			}
			if err := k.ScopeAccess.Set(ctx, collections.Join3(to, grantee, int32(g.Permission)), e); err != nil {
				return err
			}
		}
		g.Owner = k.str(to)
		if err := k.Grants.Set(ctx, g.Id, g); err != nil {
			return err
		}
	}
	return nil
}

// closeRequestsTo closes every pending request made to owner.
func (k Keeper) closeRequestsTo(ctx context.Context, owner sdk.AccAddress, outcome string) error {
	var requests []types.AccessRequest
	err := k.Requests.Indexes.Owner.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](owner),
		func(_ sdk.AccAddress, id uint64) (bool, error) {
			r, err := k.Requests.Get(ctx, id)
			if err != nil {
				return true, err
			}
			requests = append(requests, r)
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, r := range requests {
		if err := k.closeRequest(ctx, r, outcome, 0); err != nil {
			return err
		}
	}
	return nil
}
