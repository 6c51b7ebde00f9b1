package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

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
	if r.Moving {
		// Some records already belong to the new owner: cancelling would
		// split the patient's records between two accounts for good.
		return nil, errorsmod.Wrapf(types.ErrRecoveryRefused,
			"recovery %d has started moving the records to %s (through record %d) and can no longer be cancelled", r.Id, r.NewOwner, r.MovedThrough)
	}
	if err := k.endRecovery(ctx, r, patient, types.RecoveryStatusCancelled, nil); err != nil {
		return nil, err
	}
	return &types.MsgCancelRecoveryResponse{}, nil
}
