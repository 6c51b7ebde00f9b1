package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// openEmergency returns practitioner's open emergency access to patient's
// records at t, if any.
func (k Keeper) openEmergency(ctx context.Context, patient, practitioner sdk.AccAddress, t time.Time) (types.EmergencyEntry, bool, error) {
	e, err := k.EmergencyOpen.Get(ctx, collections.Join(patient, practitioner))
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	return e, e.IsLive(t), nil
}

// setOpenEmergency stores a new emergency access with its open entry and
// indexes.
func (k Keeper) setOpenEmergency(ctx context.Context, a types.EmergencyAccess) error {
	key, practitioner, err := k.emergencyKey(a)
	if err != nil {
		return err
	}
	if err := k.EmergencyAccesses.Set(ctx, a.Id, a); err != nil {
		return err
	}
	entry := types.EmergencyEntry{AccessId: a.Id, RecordId: a.RecordId, Kinds: a.Kinds, ExpiresAt: a.ExpiresAt}
	if err := k.EmergencyOpen.Set(ctx, key, entry); err != nil {
		return err
	}
	if err := k.EmergencyExpiry.Set(ctx, collections.Join(a.ExpiresAt, a.Id)); err != nil {
		return err
	}
	return k.EmergencyOpenByPractitioner.Set(ctx, collections.Join(practitioner, a.Id))
}

// emergencyKey returns the EmergencyOpen key of a (patient, practitioner)
// and the practitioner.
func (k Keeper) emergencyKey(a types.EmergencyAccess) (collections.Pair[sdk.AccAddress, sdk.AccAddress], sdk.AccAddress, error) {
	patient, err := k.addressCodec.StringToBytes(a.Patient)
	if err != nil {
		return collections.Pair[sdk.AccAddress, sdk.AccAddress]{}, nil, err
	}
	practitioner, err := k.addressCodec.StringToBytes(a.Practitioner)
	if err != nil {
		return collections.Pair[sdk.AccAddress, sdk.AccAddress]{}, nil, err
	}
	return collections.Join(sdk.AccAddress(patient), sdk.AccAddress(practitioner)), practitioner, nil
}

// closeEmergency ends an access's window: its open entry and indexes go,
// its log entry stays. A withdrawn policy also moves expires_at to now, so
// the log shows when it really ended.
func (k Keeper) closeEmergency(ctx context.Context, a types.EmergencyAccess, outcome string) error {
	key, practitioner, err := k.emergencyKey(a)
	if err != nil {
		return err
	}
	if e, err := k.EmergencyOpen.Get(ctx, key); err == nil && e.AccessId == a.Id {
		if err := k.EmergencyOpen.Remove(ctx, key); err != nil {
			return err
		}
	}
	if err := k.EmergencyExpiry.Remove(ctx, collections.Join(a.ExpiresAt, a.Id)); err != nil {
		return err
	}
	if err := k.EmergencyOpenByPractitioner.Remove(ctx, collections.Join(practitioner, a.Id)); err != nil {
		return err
	}
	if t := now(ctx); a.ExpiresAt.After(t) {
		a.ExpiresAt = t
		if err := k.EmergencyAccesses.Set(ctx, a.Id, a); err != nil {
			return err
		}
	}
	return emit(ctx, &types.EventEmergencyAccessClosed{AccessId: a.Id, Outcome: outcome})
}

// closePatientEmergencies ends every open emergency access to patient's
// records.
func (k Keeper) closePatientEmergencies(ctx context.Context, patient sdk.AccAddress, outcome string) error {
	var open []types.EmergencyAccess
	err := k.EmergencyOpen.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](patient),
		func(_ collections.Pair[sdk.AccAddress, sdk.AccAddress], e types.EmergencyEntry) (bool, error) {
			a, err := k.EmergencyAccesses.Get(ctx, e.AccessId)
			if err != nil {
				return true, err
			}
			open = append(open, a)
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, a := range open {
		if err := k.closeEmergency(ctx, a, outcome); err != nil {
			return err
		}
	}
	return nil
}

// expireEmergencies closes accesses whose window has ended, at most limit
// of them, oldest first; it returns how many it closed.
func (k Keeper) expireEmergencies(ctx context.Context, t time.Time, limit uint32) (int, error) {
	ids, err := due(ctx, k.EmergencyExpiry, t, limit)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		a, err := k.EmergencyAccesses.Get(ctx, id)
		if err != nil {
			return 0, err
		}
		if err := k.closeEmergency(ctx, a, "EXPIRED"); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// HasEmergencyPolicy says whether owner has an emergency policy that is
// not spent, and so whether its new records need an emergency wrap.
func (k Keeper) HasEmergencyPolicy(ctx context.Context, owner sdk.AccAddress) (bool, error) {
	p, found, err := k.findEmergencyPolicy(ctx, owner)
	return found && !p.IsSpent(), err
}

// findEmergencyPolicy returns owner's emergency policy, if any.
func (k Keeper) findEmergencyPolicy(ctx context.Context, owner sdk.AccAddress) (types.EmergencyPolicy, bool, error) {
	p, err := k.EmergencyPolicies.Get(ctx, owner)
	if errorsmod.IsOf(err, collections.ErrNotFound) {
		return p, false, nil
	}
	return p, err == nil, err
}

// errSpent is the refusal of anything more under p's spent key: what
// spent it and when, and (in the registered error) that the patient must
// re-key.
func errSpent(p types.EmergencyPolicy, format string, args ...any) error {
	at := "an earlier block"
	if p.SpentAt != nil {
		at = p.SpentAt.UTC().String()
	}
	return errorsmod.Wrapf(types.ErrEmergencyKeySpent, "%s: %s's emergency key %s was spent by emergency access %d at %s",
		fmt.Sprintf(format, args...), p.Patient, p.KeyId, p.SpentBy, at)
}

// spendPolicy marks patient's policy p spent by access a at t (the release
// that reached the threshold) and closes the patient's other open accesses
// opened under the same key (POLICY_SPENT): from now on the key takes no
// release for another practitioner, no break-glass and no new wrap.
func (k Keeper) spendPolicy(ctx context.Context, patient sdk.AccAddress, p types.EmergencyPolicy, a types.EmergencyAccess, t time.Time) error {
	p.SpentAt, p.SpentBy = &t, a.Id
	if err := k.EmergencyPolicies.Set(ctx, patient, p); err != nil {
		return err
	}
	if err := emit(ctx, &types.EventEmergencyPolicySpent{
		Patient: p.Patient, KeyId: p.KeyId, AccessId: a.Id, Practitioner: a.Practitioner, SpentAt: t,
	}); err != nil {
		return err
	}
	var others []types.EmergencyAccess
	err := k.EmergencyOpen.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](patient),
		func(_ collections.Pair[sdk.AccAddress, sdk.AccAddress], e types.EmergencyEntry) (bool, error) {
			if e.AccessId == a.Id {
				return false, nil
			}
			other, err := k.EmergencyAccesses.Get(ctx, e.AccessId)
			if err != nil {
				return true, err
			}
			if other.EmergencyKeyId == p.KeyId {
				others = append(others, other)
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, other := range others {
		if err := k.closeEmergency(ctx, other, "POLICY_SPENT"); err != nil {
			return err
		}
	}
	return nil
}

// countEmergency adds an access opened at t by a practitioner of
// organisation to the organisation's count for that UTC day.
func (k Keeper) countEmergency(ctx context.Context, organisation sdk.AccAddress, t time.Time) error {
	key := collections.Join(organisation, types.UTCDay(t))
	n, err := k.EmergencyPerOrganisationDay.Get(ctx, key)
	if err != nil && !errorsmod.IsOf(err, collections.ErrNotFound) {
		return err
	}
	return k.EmergencyPerOrganisationDay.Set(ctx, key, n+1)
}

// rebuildEmergencyCounts counts every access of the log under its
// organisation and the UTC day it opened, as MsgEmergencyAccess does: the
// counts are derived state, rebuilt on genesis import and by the version
// 5 migration.
func (k Keeper) rebuildEmergencyCounts(ctx context.Context) error {
	var opened []types.EmergencyAccess
	if err := k.EmergencyAccesses.Walk(ctx, nil, func(_ uint64, a types.EmergencyAccess) (bool, error) {
		opened = append(opened, a)
		return false, nil
	}); err != nil {
		return err
	}
	for _, a := range opened {
		org, err := k.addressCodec.StringToBytes(a.Organisation)
		if err != nil {
			return errorsmod.Wrapf(err, "organisation of emergency access %d", a.Id)
		}
		if err := k.countEmergency(ctx, org, a.OpenedAt); err != nil {
			return err
		}
	}
	return nil
}
