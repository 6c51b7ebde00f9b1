package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

// ReleaseShare stores a custodian's share, re-sealed to the practitioner,
// for an open emergency access. The custodian must hold a share of the
// patient's current policy (the one the access was opened under), still be
// an ACTIVE hospital, and release once. The release that reaches the
// policy's threshold spends the policy (spendPolicy).
func (k msgServer) ReleaseShare(ctx context.Context, msg *types.MsgReleaseShare) (*types.MsgReleaseShareResponse, error) {
	custodian, err := k.decodeAddress("custodian", msg.Custodian)
	if err != nil {
		return nil, err
	}
	a, err := k.EmergencyAccesses.Get(ctx, msg.AccessId)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrEmergencyNotFound, "emergency access %d does not exist", msg.AccessId)
	}
	if err != nil {
		return nil, err
	}
	t := now(ctx)
	if !a.IsOpen(t) {
		return nil, errorsmod.Wrapf(types.ErrEmergencyClosed, "emergency access %d closed at %s; no share is released after its window", a.Id, a.ExpiresAt.UTC())
	}
	patient, err := k.decodeAddress("patient", a.Patient)
	if err != nil {
		return nil, err
	}
	policy, err := k.emergencyPolicy(ctx, patient)
	if err != nil {
		return nil, err
	}
	if policy.KeyId != a.EmergencyKeyId {
		return nil, errorsmod.Wrapf(types.ErrReleaseRefused, "the patient changed the emergency policy after access %d was opened; its shares no longer match", a.Id)
	}
	if policy.IsSpent() && policy.SpentBy != a.Id {
		// Spending closes the other accesses; one left open by an
		// earlier version's state still gets nothing.
		return nil, errSpent(policy, "no share goes to a second practitioner")
	}
	rel, err := k.custodianShare(ctx, policy, custodian, a.Releases, msg.Ciphertext, fmt.Sprintf("access %d", a.Id), types.ErrReleaseRefused, true)
	if err != nil {
		return nil, err
	}
	a.Releases = append(a.Releases, rel)
	if err := k.EmergencyAccesses.Set(ctx, a.Id, a); err != nil {
		return nil, err
	}
	n := uint32(len(a.Releases))
	if err := emit(ctx, &types.EventShareReleased{
		AccessId: a.Id, Custodian: rel.Custodian, Patient: a.Patient, Practitioner: a.Practitioner, Releases: n, Threshold: policy.Threshold,
	}); err != nil {
		return nil, err
	}
	// With threshold releases the practitioner can derive the emergency
	// key (unless a custodian released garbage, which the chain cannot
	// tell): the key is spent. Later releases to this access are still
	// taken, in case one of the first was false.
	if n >= policy.Threshold && !policy.IsSpent() {
		if err := k.spendPolicy(ctx, patient, policy, a, t); err != nil {
			return nil, err
		}
	}
	return &types.MsgReleaseShareResponse{Releases: n, Threshold: policy.Threshold}, nil
}
