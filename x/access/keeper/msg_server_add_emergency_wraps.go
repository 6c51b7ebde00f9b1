package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

// AddEmergencyWraps continues a completing emergency policy: wraps for the
// next ACTIVE records of the patient that have none under the policy's key,
// in record-id order from the policy's cursor, at most max_wraps_per_msg.
// The policy is complete (and its cursor cleared) when no ACTIVE record
// lacks one. Records created since the policy was set carry their wrap
// already and are skipped; a policy replaced meanwhile has a new key, so
// wraps for the old one are refused and the client restarts.
func (k msgServer) AddEmergencyWraps(ctx context.Context, msg *types.MsgAddEmergencyWraps) (*types.MsgAddEmergencyWrapsResponse, error) {
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	policy, err := k.emergencyPolicy(ctx, patient)
	if err != nil {
		return nil, err
	}
	if err := k.checkNotMoving(ctx, patient, "the emergency policy cannot change"); err != nil {
		return nil, err
	}
	if policy.KeyId != msg.KeyId {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy,
			"the wraps are for emergency key %q, but the policy of %s now has key %s: it was replaced, so start again from its cursor with its key", msg.KeyId, policy.Patient, policy.KeyId)
	}
	if policy.IsSpent() {
		return nil, errSpent(policy, "nothing more is wrapped to it")
	}
	if !policy.Completing {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "the emergency policy of %s is complete: every ACTIVE record has its emergency wrap", policy.Patient)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	covered, through, complete, err := k.emergencyBatch(ctx, patient, policy.KeyId, policy.WrappedThrough, msg.Wraps, params.MaxWrapsPerMsg)
	if err != nil {
		return nil, err
	}
	if len(covered) == 0 && !complete {
		return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "no wraps: the policy's cursor is record %d and records after it still need an emergency wrap", policy.WrappedThrough)
	}

	// Everything is checked: write.
	if err := k.storeWraps(ctx, patient, msg.Wraps); err != nil {
		return nil, err
	}
	policy.Completing, policy.WrappedThrough = !complete, through
	if complete {
		policy.WrappedThrough = 0 // a complete policy keeps no cursor, as before v0.5.0
	}
	if err := k.EmergencyPolicies.Set(ctx, patient, policy); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEmergencyWrapsAdded{
		Patient: policy.Patient, KeyId: policy.KeyId, Records: covered, WrappedThrough: through, Complete: complete,
	}); err != nil {
		return nil, err
	}
	return &types.MsgAddEmergencyWrapsResponse{Complete: complete, WrappedThrough: through}, nil
}
