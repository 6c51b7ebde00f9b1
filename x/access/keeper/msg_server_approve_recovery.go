package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"fmt"

	"github.com/medchain/medchain/x/access/types"
)

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
	if r.Moving {
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused, "recovery %d is already moving the records: it needs no more approvals", r.Id)
	}
	policy, err := k.recoveryPolicy(ctx, r)
	if err != nil {
		return nil, err
	}
	rel, err := k.custodianShare(ctx, policy, custodian, r.Approvals, msg.Ciphertext, fmt.Sprintf("recovery %d", r.Id), types.ErrRecoveryRefused, false)
	if err != nil {
		return nil, err
	}
	r.Approvals = append(r.Approvals, rel)
	if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
		return nil, err
	}
	n := uint32(len(r.Approvals))
	if err := emit(ctx, &types.EventRecoveryApproved{RecoveryId: r.Id, Custodian: rel.Custodian, Approvals: n, Threshold: policy.Threshold}); err != nil {
		return nil, err
	}
	return &types.MsgApproveRecoveryResponse{Approvals: n, Threshold: policy.Threshold}, nil
}
