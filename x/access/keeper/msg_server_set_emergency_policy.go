package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/x/access/types"
)

// SetEmergencyPolicy opts the patient in to emergency access, or replaces
// the policy. The custodians are distinct ACTIVE hospitals with registered
// encryption keys, each given one share sealed to its current key; the
// threshold is at least 2, so no hospital alone can open anything. The
// emergency key becomes the registered key of the patient's emergency
// reader, and every ACTIVE record of the patient gets exactly one wrap for
// it (replacing the wraps of an earlier policy): the first
// max_wraps_per_msg in record-id order here, the rest in
// MsgAddEmergencyWraps while the policy is completing (a policy replaced
// while completing restarts). Emergency accesses opened
// under an earlier policy take no more releases. The key must be new (never
// an earlier policy's, above all not a spent one); the new policy starts
// unspent, which is how a patient re-keys after a break-glass.
func (k msgServer) SetEmergencyPolicy(ctx context.Context, msg *types.MsgSetEmergencyPolicy) (*types.MsgSetEmergencyPolicyResponse, error) {
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	n := len(msg.Shares)
	if n < 2 || uint32(n) > params.MaxCustodians {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "%d custodians; a policy needs 2 to %d (params max_custodians)", n, params.MaxCustodians)
	}
	if msg.Threshold < 2 || int(msg.Threshold) > n {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy,
			"threshold %d of %d custodians: it must be at least 2, so that no hospital alone can open your records, and at most the number of custodians", msg.Threshold, n)
	}
	if err := envelope.CheckCommitments(msg.Commitments, int(msg.Threshold)); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "commitments: %s", err)
	}
	if err := types.ValidatePublicKey(types.KeyAlgorithmMLKEM768X25519, msg.PublicKey); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "public_key: %s", err)
	}
	if err := k.checkNotMoving(ctx, patient, "the emergency policy cannot change"); err != nil {
		return nil, err
	}
	// A new policy needs a key nobody has held a share of: a spent key is
	// known to a practitioner, an earlier one to its custodians.
	reader := types.EmergencyReader(patient)
	readerStr := k.str(reader)
	keyID := types.KeyID(msg.PublicKey)
	if current, found, err := k.findEmergencyPolicy(ctx, patient); err != nil {
		return nil, err
	} else if found && current.IsSpent() && current.KeyId == keyID {
		return nil, errSpent(current, "a new policy needs a new key (`medchaind tx access set-emergency-policy` draws one)")
	}
	if used, err := k.Keys.Has(ctx, collections.Join(reader, keyID)); err != nil {
		return nil, err
	} else if used {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy,
			"emergency key %s was the key of an earlier policy of %s; a new policy needs a new key (`medchaind tx access set-emergency-policy` draws one)", keyID, msg.Patient)
	}
	shares := make([]types.SealedShare, n)
	seen := map[string]bool{}
	hospitals := 0
	for i, s := range msg.Shares {
		custodian, err := k.decodeAddress(fmt.Sprintf("shares[%d].custodian", i), s.Custodian)
		if err != nil {
			return nil, err
		}
		canon := k.str(custodian)
		if seen[canon] {
			return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "shares[%d]: %s holds more than one share", i, canon)
		}
		seen[canon] = true
		if custodian.Equals(patient) {
			return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "shares[%d]: the patient cannot be a custodian", i)
		}
		hospital, err := k.custodianStanding(ctx, custodian)
		if err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "shares[%d].custodian: %s", i, err)
		}
		if hospital {
			hospitals++
		}
		key, found, err := k.CurrentKey(ctx, custodian)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errorsmod.Wrapf(types.ErrNoEncryptionKey, "custodian %s has no registered encryption key, so no share can be sealed to it", canon)
		}
		if s.KeyId != key.KeyId {
			return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "shares[%d] is sealed to key %q, the current key of %s is %s", i, s.KeyId, canon, key.KeyId)
		}
		if len(s.Ciphertext) != envelope.SealedShareSize {
			return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy, "shares[%d] is %d bytes; a sealed share is %d", i, len(s.Ciphertext), envelope.SealedShareSize)
		}
		shares[i] = types.SealedShare{Custodian: canon, KeyId: s.KeyId, Ciphertext: s.Ciphertext}
	}
	if hospitals < int(msg.Threshold) {
		return nil, errorsmod.Wrapf(types.ErrInvalidEmergencyPolicy,
			"%d of the custodians are active hospitals, and only hospitals release a share in an emergency: at least %d (the threshold) must be, or no practitioner could ever break the glass", hospitals, msg.Threshold)
	}

	// One wrap per ACTIVE record, for the emergency reader, sealed to the
	// new emergency key, in record-id order from the first, at most
	// max_wraps_per_msg: what does not fit follows in MsgAddEmergencyWraps.
	_, through, complete, err := k.emergencyBatch(ctx, patient, keyID, 0, msg.Wraps, params.MaxWrapsPerMsg)
	if err != nil {
		return nil, err
	}

	// Everything is checked: write.
	t := now(ctx)
	key := types.EncryptionKey{Owner: readerStr, KeyId: keyID, Algorithm: types.KeyAlgorithmMLKEM768X25519, PublicKey: msg.PublicKey, RegisteredAt: t}
	if err := k.Keys.Set(ctx, collections.Join(reader, keyID), key); err != nil {
		return nil, err
	}
	if err := k.CurrentKeys.Set(ctx, reader, keyID); err != nil {
		return nil, err
	}
	// The earlier key's wraps all go now, wrapped or not by this message:
	// a record the new policy does not cover yet has no emergency wrap,
	// rather than one its practitioner could not open.
	if _, err := k.removeEmergencyWraps(ctx, patient); err != nil {
		return nil, err
	}
	if err := k.storeWraps(ctx, patient, msg.Wraps); err != nil {
		return nil, err
	}
	policy := types.EmergencyPolicy{
		Patient: k.str(patient), Threshold: msg.Threshold, Shares: shares, KeyId: keyID,
		Commitments: msg.Commitments, EmergencyReader: readerStr, UpdatedAt: t,
	}
	if !complete {
		policy.Completing, policy.WrappedThrough = true, through
	}
	if err := k.EmergencyPolicies.Set(ctx, patient, policy); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEmergencyPolicySet{
		Patient: policy.Patient, Custodians: policy.Custodians(), Threshold: policy.Threshold, KeyId: keyID,
		Complete: complete, WrappedThrough: through,
	}); err != nil {
		return nil, err
	}
	return &types.MsgSetEmergencyPolicyResponse{EmergencyReader: readerStr, KeyId: keyID, Complete: complete, WrappedThrough: through}, nil
}
