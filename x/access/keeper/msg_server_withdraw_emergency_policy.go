package keeper

import (
	"context"

	"github.com/medchain/medchain/x/access/types"
)

// WithdrawEmergencyPolicy removes the patient's policy, the emergency
// reader's key and every emergency wrap, and ends the patient's open
// emergency accesses. The log of past accesses stays.
func (k msgServer) WithdrawEmergencyPolicy(ctx context.Context, msg *types.MsgWithdrawEmergencyPolicy) (*types.MsgWithdrawEmergencyPolicyResponse, error) {
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	if _, err := k.emergencyPolicy(ctx, patient); err != nil {
		return nil, err
	}
	// The records not moved yet still need their emergency wraps: the new
	// owner opens them to re-seal each record key.
	if err := k.checkNotMoving(ctx, patient, "the emergency policy cannot be withdrawn"); err != nil {
		return nil, err
	}
	removed, err := k.endEmergencyPolicy(ctx, patient, "POLICY_WITHDRAWN")
	if err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEmergencyPolicyWithdrawn{Patient: k.str(patient), WrapsRemoved: removed}); err != nil {
		return nil, err
	}
	return &types.MsgWithdrawEmergencyPolicyResponse{}, nil
}
