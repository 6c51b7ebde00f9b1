package keeper

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// endEmergencyPolicy removes patient's policy, the emergency reader's
// current key and every emergency wrap, and closes the patient's open
// emergency accesses with outcome; it returns how many wraps it removed.
func (k Keeper) endEmergencyPolicy(ctx context.Context, patient sdk.AccAddress, outcome string) (uint64, error) {
	reader := types.EmergencyReader(patient)
	removed, err := k.removeEmergencyWraps(ctx, patient)
	if err != nil {
		return 0, err
	}
	if err := k.CurrentKeys.Remove(ctx, reader); err != nil {
		return 0, err
	}
	if err := k.EmergencyPolicies.Remove(ctx, patient); err != nil {
		return 0, err
	}
	return removed, k.closePatientEmergencies(ctx, patient, outcome)
}

// removeEmergencyWraps removes every wrap patient's emergency reader holds
// and returns how many.
func (k Keeper) removeEmergencyWraps(ctx context.Context, patient sdk.AccAddress) (uint64, error) {
	reader := types.EmergencyReader(patient)
	var wrapped []uint64
	err := k.WrapsByReader.Walk(ctx, collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](patient, reader),
		func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
			wrapped = append(wrapped, key.K3())
			return false, nil
		})
	if err != nil {
		return 0, err
	}
	for _, id := range wrapped {
		if err := k.removeWrap(ctx, patient, id, reader); err != nil {
			return 0, err
		}
	}
	return uint64(len(wrapped)), nil
}

// emergencyPolicy loads patient's policy, or says there is none.
func (k Keeper) emergencyPolicy(ctx context.Context, patient sdk.AccAddress) (types.EmergencyPolicy, error) {
	p, err := k.EmergencyPolicies.Get(ctx, patient)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return p, errorsmod.Wrapf(types.ErrNoEmergencyPolicy, "%s has no emergency policy (`medchaind tx access set-emergency-policy`)", k.str(patient))
	}
	return p, err
}

// custodianStanding says whether addr may hold a share of an emergency
// secret, and whether it is an ACTIVE hospital acting for itself (only
// hospitals release shares in an emergency; any custodian approves a key
// recovery). A plain account, a patient's relative, may be a custodian; a
// registered organisation or practitioner that x/issuers does not
// authorise now (suspended) may not.
func (k Keeper) custodianStanding(ctx context.Context, addr sdk.AccAddress) (hospital bool, err error) {
	auth, err := k.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return false, err
	}
	if !auth.Authorised {
		if auth.Organisation != "" {
			return false, fmt.Errorf("%s may not hold a share: %s", k.str(addr), auth.Reason)
		}
		return false, nil // a plain account
	}
	return auth.Role == issuerstypes.PractitionerRoleUnspecified && k.sameAddress(auth.Organisation, k.str(addr)) &&
		auth.Kind == issuerstypes.IssuerKindHospital, nil
}

// checkHospital fails unless addr is an ACTIVE hospital acting for itself.
func (k Keeper) checkHospital(ctx context.Context, addr sdk.AccAddress, field string) error {
	auth, err := k.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return err
	}
	switch {
	case !auth.Authorised:
		return fmt.Errorf("%s %s is not an active hospital (%s)", field, k.str(addr), auth.Reason)
	case auth.Role != issuerstypes.PractitionerRoleUnspecified || !k.sameAddress(auth.Organisation, k.str(addr)):
		return fmt.Errorf("%s %s is a practitioner, not a hospital", field, k.str(addr))
	case auth.Kind != issuerstypes.IssuerKindHospital:
		return fmt.Errorf("%s %s is a %s, not a hospital", field, k.str(addr), auth.Kind.Label())
	}
	return nil
}

// custodianShare checks that custodian may add share ciphertext to released
// (the releases or approvals of one emergency access or recovery, "what"):
// it holds a share of policy, is still an ACTIVE hospital (for an
// emergency release, hospitalOnly) or still in good standing (for a
// recovery approval), has not released for it yet, and ciphertext has a
// sealed share's size. It returns the release to append; refusals wrap
// refused.
func (k Keeper) custodianShare(ctx context.Context, policy types.EmergencyPolicy, custodian sdk.AccAddress, released []types.ShareRelease,
	ciphertext []byte, what string, refused error, hospitalOnly bool,
) (types.ShareRelease, error) {
	canon := k.str(custodian)
	index := policy.CustodianIndex(canon)
	if index == 0 {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s holds no share of %s's emergency policy", canon, policy.Patient)
	}
	if hospitalOnly {
		if err := k.checkHospital(ctx, custodian, "custodian"); err != nil {
			return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s; in an emergency only hospitals release", err)
		}
	} else if _, err := k.custodianStanding(ctx, custodian); err != nil {
		return types.ShareRelease{}, errorsmod.Wrap(refused, err.Error())
	}
	if slices.ContainsFunc(released, func(r types.ShareRelease) bool { return r.Custodian == canon }) {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "%s already released its share for %s", canon, what)
	}
	if want := len(policy.Shares[index-1].Ciphertext); len(ciphertext) != want {
		return types.ShareRelease{}, errorsmod.Wrapf(refused, "the release is %d bytes; a sealed share is %d", len(ciphertext), want)
	}
	return types.ShareRelease{Custodian: canon, Index: index, Ciphertext: ciphertext, ReleasedAt: now(ctx)}, nil
}

// emergencyBatch checks wraps, the wraps of one message of a policy under
// keyID, against the next records that need one: the ACTIVE records of
// patient above cursor, in record-id order, that hold no emergency wrap
// under keyID yet (a record created or re-keyed since the policy was set
// already carries one, whatever the cursor, and is skipped). It returns
// the records the wraps cover, the new cursor and whether no record needs
// a wrap after them. Out-of-order, duplicate and foreign wraps are refused
// with what the next record to wrap is.
func (k Keeper) emergencyBatch(ctx context.Context, patient sdk.AccAddress, keyID string, cursor uint64,
	wraps []recordstypes.KeyWrap, maxWraps uint32,
) (covered []uint64, through uint64, complete bool, err error) {
	if uint32(len(wraps)) > maxWraps {
		return nil, 0, false, errorsmod.Wrapf(types.ErrInvalidWraps,
			"%d wraps; at most %d per message (params max_wraps_per_msg): send the rest with `MsgAddEmergencyWraps`", len(wraps), maxWraps)
	}
	reader := types.EmergencyReader(patient)
	readerStr := k.str(reader)
	lo, hi, err := types.KeyAlgorithmMLKEM768X25519.WrapSizeBounds()
	if err != nil {
		return nil, 0, false, err
	}
	through, complete = cursor, true
	i := 0
	err = k.records.WalkOwnerRecordsAfter(ctx, patient, cursor, func(r recordstypes.Record) (bool, error) {
		if r.Status != recordstypes.RecordStatusActive {
			return false, nil
		}
		if w, err := k.Wraps.Get(ctx, collections.Join(r.Id, reader)); err == nil && w.KeyId == keyID {
			return false, nil // created or re-keyed since the policy was set
		} else if err != nil && !errorsmod.IsOf(err, collections.ErrNotFound) {
			return true, err
		}
		if i == len(wraps) {
			complete = false
			return true, nil
		}
		w := wraps[i]
		if w.RecordId != r.Id {
			return true, k.misplacedEmergencyWrap(ctx, patient, keyID, cursor, wraps, i, r.Id)
		}
		if !k.sameAddress(w.Grantee, readerStr) {
			return true, errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for %s; every wrap of a policy is for the emergency reader %s", i, w.Grantee, readerStr)
		}
		if w.KeyId != keyID {
			return true, errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is sealed to key %q; the policy's emergency key is %s", i, w.KeyId, keyID)
		}
		if w.KeyEpoch != r.KeyEpoch {
			return true, errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] seals key epoch %d of record %d, which is at key epoch %d", i, w.KeyEpoch, r.Id, r.KeyEpoch)
		}
		if l := len(w.Ciphertext); l < lo || l > hi {
			return true, errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is %d bytes; a wrap is %d to %d bytes", i, l, lo, hi)
		}
		covered = append(covered, r.Id)
		through = r.Id
		i++
		return false, nil
	})
	if err != nil {
		return nil, 0, false, err
	}
	if i < len(wraps) {
		return nil, 0, false, k.misplacedEmergencyWrap(ctx, patient, keyID, cursor, wraps, i, 0)
	}
	return covered, through, complete, nil
}

// misplacedEmergencyWrap explains why wraps[i] is not for next, the next
// record that needs an emergency wrap (0: none does).
func (k Keeper) misplacedEmergencyWrap(ctx context.Context, patient sdk.AccAddress, keyID string, cursor uint64,
	wraps []recordstypes.KeyWrap, i int, next uint64,
) error {
	ids := make([]uint64, len(wraps))
	for j, w := range wraps {
		ids[j] = w.RecordId
	}
	id := ids[i]
	expected := "no record needs one"
	if next != 0 {
		expected = fmt.Sprintf("the next record needing one is %d", next)
	}
	r, err := k.misplacedRecord(ctx, "wraps", ids, i)
	switch {
	case err != nil:
		return err
	case !k.sameAddress(r.Owner, k.str(patient)):
		return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for record %d, which is not a record of %s", i, id, k.str(patient))
	case r.Status != recordstypes.RecordStatusActive:
		return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for record %d, which is redacted and needs no emergency wrap", i, id)
	case id <= cursor:
		return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for record %d, which the policy already covers (its cursor is record %d); %s", i, id, cursor, expected)
	}
	if w, err := k.Wraps.Get(ctx, collections.Join(id, types.EmergencyReader(patient))); err == nil && w.KeyId == keyID {
		return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for record %d, which already has an emergency wrap under key %s; %s", i, id, keyID, expected)
	}
	return errorsmod.Wrapf(types.ErrInvalidWraps,
		"wraps[%d] is for record %d out of order: wraps go in record-id order from the policy's cursor (record %d), and %s", i, id, cursor, expected)
}

// misplacedRecord gives the reasons common to every message that goes
// through a patient's records in id order from a cursor why entry i of
// field (for record ids[i]) is not for the next record: it names a record
// an earlier entry named, or one that does not exist. Otherwise it
// returns the record, for the caller's own reasons.
func (k Keeper) misplacedRecord(ctx context.Context, field string, ids []uint64, i int) (recordstypes.Record, error) {
	id := ids[i]
	if slices.Contains(ids[:i], id) {
		return recordstypes.Record{}, errorsmod.Wrapf(types.ErrInvalidWraps, "%s[%d]: record %d appears twice", field, i, id)
	}
	r, found, err := k.records.GetRecord(ctx, id)
	if err == nil && !found {
		err = errorsmod.Wrapf(types.ErrInvalidWraps, "%s[%d]: record %d does not exist", field, i, id)
	}
	return r, err
}
