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
// delay has passed with threshold approvals, in record-id order, in one
// message or several: each carries one entry per ACTIVE record it moves
// (at most max_wraps_per_msg), its key sealed to the new owner's current
// key and its label re-sealed; redacted records between them move along
// without one. The first message checks the delay, the approvals and the
// policy, cancels the patient's other recoveries and gives the grants the
// patient gave to the new owner; from then on the recovery is moving: it
// can no longer be cancelled and does not lapse, and only its new owner
// continues it from its cursor. The message that moves the last record
// ends the patient's emergency policy (the new owner sets its own), closes
// the requests to the patient and completes the recovery. The chain cannot
// open the approvals; a new owner that recovered nothing could not seal
// the record keys.
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
	patient, err := k.decodeAddress("patient", r.Patient)
	if err != nil {
		return nil, err
	}
	if !r.Moving {
		if err := k.checkRecoveryExecutable(ctx, r); err != nil {
			return nil, err
		}
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
		return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "%d records; at most %d per message (params max_wraps_per_msg): send the rest in another MsgCompleteRecovery", len(msg.Records), params.MaxWrapsPerMsg)
	}
	// The batch: the patient's records in id order from the cursor (every
	// record below it already belongs to the new owner), one entry per
	// ACTIVE record, up to the first ACTIVE record without one.
	var (
		batch    []recordstypes.Record
		complete = true
		i        int
	)
	err = k.records.WalkOwnerRecordsAfter(ctx, patient, r.MovedThrough, func(rec recordstypes.Record) (bool, error) {
		if rec.Status == recordstypes.RecordStatusActive {
			if i == len(msg.Records) {
				complete = false
				return true, nil
			}
			e := msg.Records[i]
			if e.RecordId != rec.Id {
				return true, k.misplacedRecoveredRecord(ctx, r, patient, msg.Records, i, rec.Id)
			}
			if !k.sameAddress(e.Wrap.Grantee, msg.NewOwner) {
				return true, errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d] wraps the key for %s; a recovery seals every key to the new owner %s", i, e.Wrap.Grantee, r.NewOwner)
			}
			if err := k.checkWrap(ctx, i, e.Wrap, rec.Id, rec.KeyEpoch); err != nil {
				return true, err
			}
			if err := k.records.CheckSealedLabel(ctx, e.SealedLabel); err != nil {
				return true, errorsmod.Wrapf(err, "records[%d] (record %d)", i, rec.Id)
			}
			i++
		}
		batch = append(batch, rec)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if i < len(msg.Records) {
		return nil, k.misplacedRecoveredRecord(ctx, r, patient, msg.Records, i, 0)
	}
	if len(batch) == 0 && !complete {
		return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "no records: the next record of %s to move is ACTIVE and needs an entry", r.Patient)
	}

	// Everything is checked: write.
	if !r.Moving {
		// The first message: nobody else recovers these records now, and
		// the grants the patient gave pass to the new owner, their scope
		// entries mirrored under the patient while records remain there.
		if err := k.supersedeRecoveries(ctx, patient, r.Id); err != nil {
			return nil, err
		}
		if err := k.moveGrants(ctx, patient, newOwner, !complete); err != nil {
			return nil, err
		}
		r.Moving = true
	}
	reader := types.EmergencyReader(patient)
	moved := make([]uint64, 0, len(batch))
	entry := 0
	for _, rec := range batch {
		label := []byte(nil)
		if rec.Status == recordstypes.RecordStatusActive {
			label = msg.Records[entry].SealedLabel
		}
		// The patient's emergency wrap goes with the patient's policy: the
		// new owner's records are not the patient's emergency reader's.
		if err := k.removeWrap(ctx, patient, rec.Id, reader); err != nil {
			return nil, err
		}
		if _, err := k.records.TransferOwner(ctx, rec.Id, r.NewOwner, label); err != nil {
			return nil, err
		}
		if err := k.moveWraps(ctx, rec.Id, patient, newOwner); err != nil {
			return nil, err
		}
		if rec.Status == recordstypes.RecordStatusActive {
			w := msg.Records[entry].Wrap
			w.RecordId = rec.Id
			if err := k.storeWraps(ctx, newOwner, []recordstypes.KeyWrap{w}); err != nil {
				return nil, err
			}
			entry++
		}
		moved = append(moved, rec.Id)
	}
	if len(batch) > 0 {
		r.MovedThrough = batch[len(batch)-1].Id
	}
	if !complete {
		if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
			return nil, err
		}
		if err := emit(ctx, &types.EventRecoveryProgress{
			RecoveryId: r.Id, Patient: r.Patient, NewOwner: r.NewOwner, Records: moved, MovedThrough: r.MovedThrough,
		}); err != nil {
			return nil, err
		}
		return &types.MsgCompleteRecoveryResponse{Records: uint32(len(moved)), MovedThrough: r.MovedThrough}, nil
	}
	if _, err := k.endEmergencyPolicy(ctx, patient, "RECOVERED"); err != nil {
		return nil, err
	}
	if err := k.dropScopeMirrors(ctx, patient); err != nil {
		return nil, err
	}
	if err := k.closeRequestsTo(ctx, patient, "OWNER_RECOVERED"); err != nil {
		return nil, err
	}
	r.Moving = false
	if err := k.endRecovery(ctx, r, patient, types.RecoveryStatusCompleted, moved); err != nil {
		return nil, err
	}
	return &types.MsgCompleteRecoveryResponse{Records: uint32(len(moved)), Complete: true, MovedThrough: r.MovedThrough}, nil
}

// checkRecoveryExecutable checks what the first completion message needs:
// the delay has passed, the policy is the one asked under, complete (every
// ACTIVE record has an emergency wrap the new owner can open) and
// approved by threshold custodians.
func (k msgServer) checkRecoveryExecutable(ctx context.Context, r types.Recovery) error {
	if t := now(ctx); t.Before(r.ExecutableAt) {
		return errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d may complete from %s (the patient's time to cancel it)", r.Id, r.ExecutableAt.UTC())
	}
	policy, err := k.recoveryPolicy(ctx, r)
	if err != nil {
		return err
	}
	if n := len(r.Approvals); n < int(policy.Threshold) {
		return errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d has %d of the %d approvals it needs", r.Id, n, policy.Threshold)
	}
	if policy.Completing {
		return errorsmod.Wrapf(types.ErrRecoveryRefused,
			"the emergency policy of %s is still completing (wrapped through record %d): the records after it have no emergency wrap, so no recovery could re-seal them", r.Patient, policy.WrappedThrough)
	}
	return nil
}

// misplacedRecoveredRecord explains why records[i] is not for next, the
// next ACTIVE record of the patient to move (0: none is left).
func (k Keeper) misplacedRecoveredRecord(ctx context.Context, r types.Recovery, patient sdk.AccAddress, entries []types.RecoveredRecord, i int, next uint64) error {
	ids := make([]uint64, len(entries))
	for j, e := range entries {
		ids[j] = e.RecordId
	}
	id := ids[i]
	expected := "no ACTIVE record is left to move"
	if next != 0 {
		expected = fmt.Sprintf("the next ACTIVE record to move is %d", next)
	}
	rec, err := k.misplacedRecord(ctx, "records", ids, i)
	switch {
	case err != nil:
		return err
	case k.sameAddress(rec.Owner, r.NewOwner) && id <= r.MovedThrough:
		return errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d has moved already (the recovery's cursor is record %d); %s", i, id, r.MovedThrough, expected)
	case !k.sameAddress(rec.Owner, k.str(patient)):
		return errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d is not a record of %s", i, id, r.Patient)
	case rec.Status != recordstypes.RecordStatusActive:
		return errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d is redacted and moves without an entry", i, id)
	}
	return errorsmod.Wrapf(types.ErrInvalidWraps, "records[%d]: record %d is out of order: records move in id order from the cursor (record %d), and %s", i, id, r.MovedThrough, expected)
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
// scope grant's decision entry moves to the new owner's key. With mirror
// (records remain to move) the entry also stays under from, so that the
// scope grant goes on covering the records still there; dropScopeMirrors
// removes it when the last has moved.
func (k Keeper) moveGrants(ctx context.Context, from, to sdk.AccAddress, mirror bool) error {
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
			if !mirror {
				if err := k.ScopeAccess.Remove(ctx, key); err != nil {
					return err
				}
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

// dropScopeMirrors removes the scope entries kept under patient while a
// recovery moved the records: every grant is the new owner's now (the
// patient could give none meanwhile).
func (k Keeper) dropScopeMirrors(ctx context.Context, patient sdk.AccAddress) error {
	return k.ScopeAccess.Clear(ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, int32](patient))
}

// mirrorScopeGrants sets the decision entry of each scope grant of
// newOwner under patient too: the entries a moving recovery keeps (see
// moveGrants), rebuilt on genesis import like every decision entry.
func (k Keeper) mirrorScopeGrants(ctx context.Context, newOwner, patient sdk.AccAddress) error {
	return k.Grants.Indexes.Owner.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](newOwner),
		func(_ sdk.AccAddress, id uint64) (bool, error) {
			g, err := k.Grants.Get(ctx, id)
			if err != nil || g.RecordId != 0 {
				return err != nil, err
			}
			grantee, err := k.decodeAddress("grantee", g.Grantee)
			if err != nil {
				return true, err
			}
			return false, k.ScopeAccess.Set(ctx, collections.Join3(patient, grantee, int32(g.Permission)), entryOf(g))
		})
}
