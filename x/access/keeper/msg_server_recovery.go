package keeper

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// A key recovery moves a patient who lost their account key to a new
// account, with the emergency policy's custodians as the threshold: each
// approves by sealing its share to the new account's key, and after
// params.recovery_delay, during which the patient's old key can cancel, the
// new account recovers the emergency key, re-seals every record key (and
// label) to itself and takes the records, their grants and their wraps
// over. The old account then owns nothing.

// RequestRecovery opens a recovery of patient's records to the signer, a
// fresh account (no records, no policy of its own) with an encryption key
// and no other pending recovery. A patient may have several pending
// recoveries, so a stranger's request blocks no one: custodians approve
// the right one, the first to complete cancels the others, and one that
// does not complete lapses at executable_at + recovery_delay.
func (k msgServer) RequestRecovery(ctx context.Context, msg *types.MsgRequestRecovery) (*types.MsgRequestRecoveryResponse, error) {
	newOwner, err := k.decodeAddress("new_owner", msg.NewOwner)
	if err != nil {
		return nil, err
	}
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	if newOwner.Equals(patient) {
		return nil, errorsmod.Wrap(types.ErrRecoveryRefused, "the new account is the patient's own; a recovery moves the records to a new account")
	}
	policy, err := k.emergencyPolicy(ctx, patient)
	if err != nil {
		return nil, errorsmod.Wrapf(err, "a recovery needs the custodians of an emergency policy")
	}
	key, found, err := k.CurrentKey(ctx, newOwner)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrNoEncryptionKey, "%s has no registered encryption key, so no custodian can approve to it; run `medchaind tx access register-key` first", msg.NewOwner)
	}
	hasRecords := false
	if err := k.records.WalkOwnerRecords(ctx, newOwner, func(recordstypes.Record) (bool, error) {
		hasRecords = true
		return true, nil
	}); err != nil {
		return nil, err
	}
	if hasRecords {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s owns records already; recover into a fresh account", msg.NewOwner)
	}
	if has, err := k.EmergencyPolicies.Has(ctx, newOwner); err != nil {
		return nil, err
	} else if has {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s has an emergency policy of its own; recover into a fresh account", msg.NewOwner)
	}
	t := now(ctx)
	if id, err := k.PendingByNewOwner.Get(ctx, newOwner); err == nil {
		other, err := k.Recoveries.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if other.IsPending(t) {
			return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s already asks for recovery %d (of %s's records), pending until %s",
				msg.NewOwner, id, other.Patient, other.ExpiresAt.UTC())
		}
	} else if !errorsmod.IsOf(err, collections.ErrNotFound) {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}

	// Everything is checked: write.
	id, err := nextID(ctx, k.NextRecoveryID)
	if err != nil {
		return nil, err
	}
	r := types.Recovery{
		Id: id, Patient: k.str(patient), NewOwner: k.str(newOwner), NewOwnerKeyId: key.KeyId, EmergencyKeyId: policy.KeyId,
		RequestedAt: t, ExecutableAt: t.Add(params.RecoveryDelay), ExpiresAt: t.Add(2 * params.RecoveryDelay),
		Approvals: []types.ShareRelease{}, Status: types.RecoveryStatusPending,
	}
	if err := k.setPendingRecovery(ctx, r, patient, newOwner); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventRecoveryRequested{Recovery: r}); err != nil {
		return nil, err
	}
	return &types.MsgRequestRecoveryResponse{RecoveryId: id, ExecutableAt: r.ExecutableAt}, nil
}

// setPendingRecovery stores a new pending recovery with its indexes.
func (k Keeper) setPendingRecovery(ctx context.Context, r types.Recovery, patient, newOwner sdk.AccAddress) error {
	if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
		return err
	}
	if err := k.PendingRecovery.Set(ctx, collections.Join(patient, r.Id)); err != nil {
		return err
	}
	return k.PendingByNewOwner.Set(ctx, newOwner, r.Id)
}

// pendingRecovery loads a recovery that must be pending and not lapsed.
func (k Keeper) pendingRecovery(ctx context.Context, id uint64) (types.Recovery, error) {
	r, err := k.Recoveries.Get(ctx, id)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return r, errorsmod.Wrapf(types.ErrRecoveryNotFound, "recovery %d does not exist", id)
	}
	if err != nil {
		return r, err
	}
	if r.Status != types.RecoveryStatusPending {
		return r, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d is %s", id, r.Status)
	}
	if !r.IsPending(now(ctx)) {
		return r, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d lapsed at %s without completing; ask again", id, r.ExpiresAt.UTC())
	}
	return r, nil
}

// recoveryPolicy returns the policy a recovery was requested under, or
// says that it changed or went.
func (k Keeper) recoveryPolicy(ctx context.Context, r types.Recovery) (types.EmergencyPolicy, error) {
	patient, err := k.decodeAddress("patient", r.Patient)
	if err != nil {
		return types.EmergencyPolicy{}, err
	}
	policy, err := k.emergencyPolicy(ctx, patient)
	if err != nil {
		return policy, err
	}
	if policy.KeyId != r.EmergencyKeyId {
		return policy, errorsmod.Wrapf(types.ErrRecoveryRefused, "the patient changed the emergency policy after recovery %d was requested; its custodians' shares no longer match", r.Id)
	}
	return policy, nil
}

// ApproveRecovery stores a custodian's share sealed to the new owner. A
// custodian approves once, while the recovery is pending, and only after
// it has made sure, off chain, that the new account is the patient's.
func (k msgServer) ApproveRecovery(ctx context.Context, msg *types.MsgApproveRecovery) (*types.MsgApproveRecoveryResponse, error) {
	custodian, err := k.decodeAddress("custodian", msg.Custodian)
	if err != nil {
		return nil, err
	}
	r, err := k.pendingRecovery(ctx, msg.RecoveryId)
	if err != nil {
		return nil, err
	}
	policy, err := k.recoveryPolicy(ctx, r)
	if err != nil {
		return nil, err
	}
	canon := k.str(custodian)
	index := policy.CustodianIndex(canon)
	if index == 0 {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s holds no share of %s's emergency policy", canon, r.Patient)
	}
	if err := k.checkHospital(ctx, custodian, "custodian"); err != nil {
		return nil, errorsmod.Wrap(types.ErrRecoveryRefused, err.Error())
	}
	if slices.ContainsFunc(r.Approvals, func(a types.ShareRelease) bool { return a.Custodian == canon }) {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "%s already approved recovery %d", canon, r.Id)
	}
	if len(msg.Ciphertext) != len(policy.Shares[index-1].Ciphertext) {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "the approval is %d bytes; a sealed share is %d", len(msg.Ciphertext), len(policy.Shares[index-1].Ciphertext))
	}
	r.Approvals = append(r.Approvals, types.ShareRelease{Custodian: canon, Index: index, Ciphertext: msg.Ciphertext, ReleasedAt: now(ctx)})
	if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
		return nil, err
	}
	n := uint32(len(r.Approvals))
	if err := emit(ctx, &types.EventRecoveryApproved{RecoveryId: r.Id, Custodian: canon, Approvals: n, Threshold: policy.Threshold}); err != nil {
		return nil, err
	}
	return &types.MsgApproveRecoveryResponse{Approvals: n, Threshold: policy.Threshold}, nil
}

// CancelRecovery ends a pending recovery of the signer's records: the
// patient still holds the key the recovery claimed was lost.
func (k msgServer) CancelRecovery(ctx context.Context, msg *types.MsgCancelRecovery) (*types.MsgCancelRecoveryResponse, error) {
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	r, err := k.pendingRecovery(ctx, msg.RecoveryId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.Patient, msg.Patient) {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "recovery %d is of %s's records; only that account may cancel it", r.Id, r.Patient)
	}
	if err := k.endRecovery(ctx, r, patient, types.RecoveryStatusCancelled, nil); err != nil {
		return nil, err
	}
	return &types.MsgCancelRecoveryResponse{}, nil
}

// endRecovery marks r ended with status and drops it from the pending
// indexes.
func (k Keeper) endRecovery(ctx context.Context, r types.Recovery, patient sdk.AccAddress, status types.RecoveryStatus, records []uint64) error {
	t := now(ctx)
	r.Status, r.EndedAt = status, &t
	if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
		return err
	}
	if err := k.PendingRecovery.Remove(ctx, collections.Join(patient, r.Id)); err != nil {
		return err
	}
	newOwner, err := k.decodeAddress("new_owner", r.NewOwner)
	if err != nil {
		return err
	}
	if id, err := k.PendingByNewOwner.Get(ctx, newOwner); err == nil && id == r.Id {
		if err := k.PendingByNewOwner.Remove(ctx, newOwner); err != nil {
			return err
		}
	}
	return emit(ctx, &types.EventRecoveryEnded{RecoveryId: r.Id, Patient: r.Patient, NewOwner: r.NewOwner, Status: status, Records: records})
}

// supersedeRecoveries cancels every other pending recovery of patient:
// its records have moved.
func (k Keeper) supersedeRecoveries(ctx context.Context, patient sdk.AccAddress, done uint64) error {
	var others []uint64
	err := k.PendingRecovery.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](patient),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			if key.K2() != done {
				others = append(others, key.K2())
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, id := range others {
		r, err := k.Recoveries.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := k.endRecovery(ctx, r, patient, types.RecoveryStatusCancelled, nil); err != nil {
			return err
		}
	}
	return nil
}

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
