package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// EmergencyAccess opens a break-glass on the patient's records (one record,
// or all of some kinds) for params.emergency_window. The practitioner must
// be an ACTIVE practitioner of an ACTIVE hospital (x/issuers), with a
// registered encryption key (the custodians seal their shares to it),
// within params.max_emergency_per_practitioner open accesses, within
// params.max_emergency_per_organisation_per_day accesses opened by its
// organisation's practitioners that UTC day, and with no other open access
// to the same patient; the patient's policy must not be spent (a
// practitioner already holds its key). The access is public and
// permanent: who, for which organisation, whose records, when and a reason
// code; no health information.
func (k msgServer) EmergencyAccess(ctx context.Context, msg *types.MsgEmergencyAccess) (*types.MsgEmergencyAccessResponse, error) {
	practitioner, err := k.decodeAddress("practitioner", msg.Practitioner)
	if err != nil {
		return nil, err
	}
	patient, err := k.decodeAddress("patient", msg.Patient)
	if err != nil {
		return nil, err
	}
	if practitioner.Equals(patient) {
		return nil, errorsmod.Wrap(types.ErrEmergencyRefused, "the practitioner is the patient; owners always have access to their records")
	}
	if _, ok := types.EmergencyReason_name[int32(msg.Reason)]; !ok || msg.Reason == types.EmergencyReasonUnspecified {
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "reason %d is not an emergency reason code", int32(msg.Reason))
	}
	if err := types.ValidateTarget(msg.RecordId, msg.Kinds); err != nil {
		return nil, err
	}
	auth, err := k.issuers.IsAuthorised(ctx, practitioner)
	if err != nil {
		return nil, err
	}
	switch {
	case !auth.Authorised:
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "%s may not break the glass: %s", msg.Practitioner, auth.Reason)
	case auth.Role == issuerstypes.PractitionerRoleUnspecified:
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "%s is an organisation; emergency access is for practitioners, who answer for it personally", msg.Practitioner)
	case auth.Kind != issuerstypes.IssuerKindHospital:
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "%s practises at a %s; emergency access is for practitioners of hospitals", msg.Practitioner, auth.Kind.Label())
	}
	policy, err := k.emergencyPolicy(ctx, patient)
	if err != nil {
		return nil, err
	}
	if policy.IsSpent() {
		// The practitioner who spent it can derive the key: opening it to
		// a second one would only spread the secret further.
		return nil, errSpent(policy, "no break-glass opens under a spent emergency key")
	}
	organisation, err := k.decodeAddress("organisation", auth.Organisation)
	if err != nil {
		return nil, err
	}
	key, found, err := k.CurrentKey(ctx, practitioner)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrNoEncryptionKey, "%s has no registered encryption key, so no custodian can release a share to it; run `medchaind tx access register-key` first", msg.Practitioner)
	}
	if msg.RecordId != 0 {
		record, err := k.activeRecord(ctx, msg.RecordId)
		if err != nil {
			return nil, err
		}
		if !k.sameAddress(record.Owner, msg.Patient) {
			return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "record %d is not a record of %s", msg.RecordId, msg.Patient)
		}
		// While the policy is completing, only the records it covers so
		// far have an emergency wrap; another would open nothing.
		if policy.Completing {
			if w, err := k.Wraps.Get(ctx, collections.Join(record.Id, types.EmergencyReader(patient))); errorsmod.IsOf(err, collections.ErrNotFound) || (err == nil && w.KeyId != policy.KeyId) {
				return nil, errorsmod.Wrapf(types.ErrEmergencyRefused,
					"record %d has no emergency wrap yet: %s's emergency policy is still completing (its wraps cover records up to %d and those created since)", record.Id, msg.Patient, policy.WrappedThrough)
			} else if err != nil {
				return nil, err
			}
		}
	}
	t := now(ctx)
	if e, found, err := k.openEmergency(ctx, patient, practitioner, t); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused, "emergency access %d to %s is already open until %s", e.AccessId, msg.Patient, e.ExpiresAt.UTC())
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	open := 0
	if err := k.EmergencyOpenByPractitioner.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](practitioner),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			a, err := k.EmergencyAccesses.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			if a.IsOpen(t) {
				open++
			}
			return false, nil
		}); err != nil {
		return nil, err
	}
	if uint32(open) >= params.MaxEmergencyPerPractitioner {
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused,
			"%s already has %d emergency accesses open, the most one practitioner may have (params max_emergency_per_practitioner)", msg.Practitioner, open)
	}
	// The organisation's practitioners together: adding practitioners
	// does not get around the per-practitioner bound.
	today, err := k.EmergencyPerOrganisationDay.Get(ctx, collections.Join(organisation, types.UTCDay(t)))
	if err != nil && !errorsmod.IsOf(err, collections.ErrNotFound) {
		return nil, err
	}
	if today >= params.MaxEmergencyPerOrganisationPerDay {
		return nil, errorsmod.Wrapf(types.ErrEmergencyRefused,
			"the practitioners of %s have opened %d emergency accesses today (UTC), the most one organisation may (params max_emergency_per_organisation_per_day); the count starts again at 00:00 UTC",
			auth.Organisation, today)
	}

	// Everything is checked: write.
	id, err := nextID(ctx, k.NextEmergencyID)
	if err != nil {
		return nil, err
	}
	a := types.EmergencyAccess{
		Id: id, Practitioner: k.str(practitioner), Organisation: auth.Organisation, Patient: k.str(patient),
		RecordId: msg.RecordId, Kinds: msg.Kinds, Reason: msg.Reason, OpenedAt: t, ExpiresAt: t.Add(params.EmergencyWindow),
		PractitionerKeyId: key.KeyId, EmergencyKeyId: policy.KeyId, Releases: []types.ShareRelease{},
	}
	if err := k.setOpenEmergency(ctx, a); err != nil {
		return nil, err
	}
	if err := k.countEmergency(ctx, organisation, t); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEmergencyAccess{Access: a, Custodians: policy.Custodians()}); err != nil {
		return nil, err
	}
	return &types.MsgEmergencyAccessResponse{AccessId: id, ExpiresAt: a.ExpiresAt}, nil
}
