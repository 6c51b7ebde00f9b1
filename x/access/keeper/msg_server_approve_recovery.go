package keeper

import (
	"context"
	"slices"

	errorsmod "cosmossdk.io/errors"

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
