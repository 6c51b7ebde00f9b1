package keeper

import (
	"context"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// RequestRecovery opens a recovery of patient's records to the signer, a
// fresh account (no records, no policy of its own) with an encryption key
// and no other pending recovery. A patient may have several pending
// recoveries, so a stranger's request blocks no one: custodians approve
// the right one, the first to complete cancels the others, and one that
// does not complete lapses at executable_at + recovery_delay.
//
// At most MaxPendingRecoveries are pending for one patient, so that what
// a completion walks (and cancels) stays bounded. A request beyond that
// cancels the oldest pending recovery no custodian has approved: strangers
// cannot push out one the custodians approved, and cannot hold every slot
// against the patient's real request, which custodians approve once they
// have checked who asks. Only when every pending one is approved is a new
// request refused.
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
	pending, evict, err := k.recoverySlot(ctx, patient, t)
	if err != nil {
		return nil, err
	}
	if pending >= MaxPendingRecoveries && evict == nil {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused,
			"%d recoveries of %s are pending, each approved by a custodian already; ask a custodian hospital, or try again once one completes or lapses",
			pending, msg.Patient)
	}

	// Everything is checked: write. Lapsed recoveries of the patient leave
	// the pending index first, then the one this request displaces.
	if err := k.dropLapsedRecoveries(ctx, patient, t); err != nil {
		return nil, err
	}
	if pending >= MaxPendingRecoveries {
		if err := k.endRecovery(ctx, *evict, patient, types.RecoveryStatusCancelled, nil); err != nil {
			return nil, err
		}
	}
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

// MaxPendingRecoveries bounds the recoveries pending for one patient.
const MaxPendingRecoveries = 8

// recoverySlot counts patient's pending (not lapsed) recoveries at t and
// finds the oldest one no custodian has approved, the one a new request
// displaces when the patient is at MaxPendingRecoveries. The pending index
// holds at most MaxPendingRecoveries live entries plus the lapsed ones a
// request has not dropped yet, each request dropping up to maxLapsedSweep.
func (k Keeper) recoverySlot(ctx context.Context, patient sdk.AccAddress, t time.Time) (pending int, oldestUnapproved *types.Recovery, err error) {
	err = k.PendingRecovery.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](patient),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			r, err := k.Recoveries.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			if !r.IsPending(t) {
				return false, nil
			}
			pending++
			if len(r.Approvals) == 0 && oldestUnapproved == nil { // ids ascend: the first is the oldest
				oldestUnapproved = &r
			}
			return false, nil
		})
	return pending, oldestUnapproved, err
}
