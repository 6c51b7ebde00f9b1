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

// A key recovery moves a patient who lost their account key to a new
// account, with the emergency policy's custodians as the threshold: each
// approves by sealing its share to the new account's key, and after
// params.recovery_delay, during which the patient's old key can cancel, the
// new account recovers the emergency key, re-seals every record key (and
// label) to itself and takes the records, their grants and their wraps
// over. The old account then owns nothing. The handlers are in
// msg_server_*_recovery.go; the state they share is here.

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

// maxLapsedSweep bounds the lapsed recoveries one request drops from the
// pending index (each request adds at most one, so the index cannot grow
// with lapsed ones).
const maxLapsedSweep = 16

// dropLapsedRecoveries removes from the pending indexes up to
// maxLapsedSweep recoveries of patient that lapsed by t (nobody completed
// them within twice the delay): they no longer count, and completing a
// recovery no longer walks them. Their records stay, with the expiry that
// says they lapsed.
func (k Keeper) dropLapsedRecoveries(ctx context.Context, patient sdk.AccAddress, t time.Time) error {
	var lapsed []types.Recovery
	err := k.PendingRecovery.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](patient),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			r, err := k.Recoveries.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			if !r.IsPending(t) {
				lapsed = append(lapsed, r)
			}
			return len(lapsed) >= maxLapsedSweep, nil
		})
	if err != nil {
		return err
	}
	for _, r := range lapsed {
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
	}
	return nil
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

// movingRecovery returns the recovery moving patient's records, if one
// has started. Once a recovery moves records it is the patient's only
// pending one (the first message cancels the others and new requests are
// refused), so looking at the first pending entry is enough.
func (k Keeper) movingRecovery(ctx context.Context, patient sdk.AccAddress) (types.Recovery, bool, error) {
	var (
		r     types.Recovery
		found bool
	)
	err := k.PendingRecovery.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](patient),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			var err error
			r, err = k.Recoveries.Get(ctx, key.K2())
			found = err == nil && r.Moving
			return true, err
		})
	return r, found, err
}

// movingInto returns the recovery moving records into newOwner, if one
// has started.
func (k Keeper) movingInto(ctx context.Context, newOwner sdk.AccAddress) (types.Recovery, bool, error) {
	id, err := k.PendingByNewOwner.Get(ctx, newOwner)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return types.Recovery{}, false, nil
	}
	if err != nil {
		return types.Recovery{}, false, err
	}
	r, err := k.Recoveries.Get(ctx, id)
	if err != nil {
		return r, false, err
	}
	return r, r.Moving && r.Status == types.RecoveryStatusPending, nil
}

// checkNotMoving refuses a change of consent or of the emergency policy
// (what) by an account whose records a key recovery is moving, or into
// which one is moving records: between the recovery's messages the
// patient's records are split between the two accounts, and the grants
// and the emergency policy must stay as the recovery found them until it
// ends. The new owner ends it by re-running the completion.
func (k Keeper) checkNotMoving(ctx context.Context, account sdk.AccAddress, what string) error {
	if r, found, err := k.movingRecovery(ctx, account); err != nil {
		return err
	} else if found {
		return errorsmod.Wrapf(types.ErrRecoveryMoving,
			"%s: recovery %d is moving the records of %s to %s (through record %d so far); it can no longer be cancelled, and the records and their consent pass to the new owner",
			what, r.Id, r.Patient, r.NewOwner, r.MovedThrough)
	}
	if r, found, err := k.movingInto(ctx, account); err != nil {
		return err
	} else if found {
		return errorsmod.Wrapf(types.ErrRecoveryMoving,
			"%s: recovery %d is moving the records of %s to %s (through record %d so far); finish it first (`medchaind tx access complete-recovery %d`)",
			what, r.Id, r.Patient, r.NewOwner, r.MovedThrough, r.Id)
	}
	return nil
}

// mirrorOwner returns the patient whose records a moving recovery is
// still moving into owner. While it moves, the scope grants already
// belong to owner (the new owner) and their decision entries are kept
// under the patient as well, so that they go on covering the records not
// moved yet.
func (k Keeper) mirrorOwner(ctx context.Context, owner sdk.AccAddress) (sdk.AccAddress, bool, error) {
	r, found, err := k.movingInto(ctx, owner)
	if err != nil || !found {
		return nil, false, err
	}
	patient, err := k.decodeAddress("patient", r.Patient)
	return patient, err == nil, err
}

// checkRecoverable refuses a new record for a patient whose records a key
// recovery is moving once the patient's emergency key is spent: the record
// would carry no emergency wrap, so the new owner could never re-seal it
// and the recovery could never end. While the key is unspent the record
// carries its emergency wrap and moves in a later message.
func (k Keeper) checkRecoverable(ctx context.Context, record recordstypes.Record) error {
	owner, err := k.decodeAddress("owner", record.Owner)
	if err != nil {
		return err
	}
	r, found, err := k.movingRecovery(ctx, owner)
	if err != nil || !found {
		return err
	}
	if p, found, err := k.findEmergencyPolicy(ctx, owner); err != nil {
		return err
	} else if found && p.IsSpent() {
		return errorsmod.Wrapf(types.ErrRecoveryMoving,
			"recovery %d is moving the records of %s to %s and the emergency key is spent, so a new record could not be recovered: create it for %s once the recovery completes",
			r.Id, r.Patient, r.NewOwner, r.NewOwner)
	}
	return nil
}
