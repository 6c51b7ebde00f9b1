package keeper

import (
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// Migrator runs the access module's state migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 sets the params new in version 2
// (max_pending_requests_per_record, max_expiry_work_per_block) to their
// defaults, since they decode as 0 from version 1 state and 0 is invalid,
// leaving every other param as it was, and builds the requests' (owner, record id) index from the stored
// requests.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	if params.MaxPendingRequestsPerRecord == 0 {
		params.MaxPendingRequestsPerRecord = types.DefaultMaxPendingRequestsPerRecord
	}
	if params.MaxExpiryWorkPerBlock == 0 {
		params.MaxExpiryWorkPerBlock = types.DefaultMaxExpiryWorkPerBlock
	}
	// Only what version 2 adds is checked here: the params of later
	// versions are still 0 at this point, and their own migrations set
	// them. The upgrade handler validates the whole state at the end.
	if err := m.k.Params.Set(ctx, params); err != nil {
		return fmt.Errorf("setting params: %w", err)
	}
	var requests []types.AccessRequest
	if err := m.k.Requests.Walk(ctx, nil, func(_ uint64, r types.AccessRequest) (bool, error) {
		requests = append(requests, r)
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	// Setting a request again references it in every index; the existing
	// ones are rewritten unchanged.
	for _, r := range requests {
		if err := m.k.Requests.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("indexing request %d: %w", r.Id, err)
		}
	}
	return nil
}

// Migrate2to3 erases the reasons of version 2 requests, which were
// plaintext: from version 3 a reason is sealed to the owner's key, which
// the chain cannot do for an old one. Its bytes now decode as
// sealed_reason, so they are cleared rather than left readable.
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	var cleared []types.AccessRequest
	if err := m.k.Requests.Walk(ctx, nil, func(_ uint64, r types.AccessRequest) (bool, error) {
		if len(r.SealedReason) > 0 {
			r.SealedReason = nil
			cleared = append(cleared, r)
		}
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	for _, r := range cleared {
		if err := m.k.Requests.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("clearing the plaintext reason of request %d: %w", r.Id, err)
		}
	}
	return nil
}

// Migrate3to4 sets the emergency-access params new in version 4
// (emergency_window, max_emergency_per_practitioner, max_custodians,
// recovery_delay) to
// their defaults: they decode as 0 from version 3 state, which is invalid.
// Version 3 state holds no emergency policy or access, so nothing else
// moves.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	if params.EmergencyWindow == 0 {
		params.EmergencyWindow = types.DefaultEmergencyWindow
	}
	if params.MaxEmergencyPerPractitioner == 0 {
		params.MaxEmergencyPerPractitioner = types.DefaultMaxEmergencyPerPractitioner
	}
	if params.MaxCustodians == 0 {
		params.MaxCustodians = types.DefaultMaxCustodians
	}
	if params.RecoveryDelay == 0 {
		params.RecoveryDelay = types.DefaultRecoveryDelay
	}
	// As in Migrate1to2, only what this version adds is checked; the
	// upgrade handler validates everything once the last migration ran.
	return m.k.Params.Set(ctx, params)
}

// Migrate4to5 brings in spent emergency policies and the per-organisation
// daily bound. It sets max_emergency_per_organisation_per_day to its
// default (it decodes as 0 from version 4 state, which is invalid),
// touching no other param; counts the emergency accesses of the log per
// (organisation, UTC day), as MsgEmergencyAccess now does; and marks
// spent every policy whose current key an access of the log has already
// reached the threshold of releases for: by the access that reached it
// first, at the release that reached it. The patient's other accesses
// still open under that key close (POLICY_SPENT), as they would have if
// version 5 had been running.
func (m Migrator) Migrate4to5(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	if params.MaxEmergencyPerOrganisationPerDay == 0 {
		params.MaxEmergencyPerOrganisationPerDay = types.DefaultMaxEmergencyPerOrganisationPerDay
	}
	// As in Migrate1to2, only what this version adds is set, and it is
	// valid by construction; the upgrade handler validates every param
	// once the last migration ran.
	if err := m.k.Params.Set(ctx, params); err != nil {
		return fmt.Errorf("setting params: %w", err)
	}
	if err := m.k.rebuildEmergencyCounts(ctx); err != nil {
		return fmt.Errorf("counting emergency accesses per organisation and day: %w", err)
	}

	type policyOf struct {
		patient sdk.AccAddress
		policy  types.EmergencyPolicy
	}
	var policies []policyOf
	if err := m.k.EmergencyPolicies.Walk(ctx, nil, func(patient sdk.AccAddress, p types.EmergencyPolicy) (bool, error) {
		policies = append(policies, policyOf{patient, p})
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading emergency policies: %w", err)
	}
	for _, e := range policies {
		if e.policy.IsSpent() {
			continue
		}
		it, err := m.k.EmergencyAccesses.Indexes.Patient.MatchExact(ctx, e.patient)
		if err != nil {
			return err
		}
		ids, err := it.PrimaryKeys()
		if err != nil {
			return fmt.Errorf("listing the emergency accesses to %s: %w", e.policy.Patient, err)
		}
		var spender *types.EmergencyAccess
		var spentAt time.Time
		for _, id := range ids {
			a, err := m.k.EmergencyAccesses.Get(ctx, id)
			if err != nil {
				return fmt.Errorf("emergency access %d: %w", id, err)
			}
			n := int(e.policy.Threshold)
			if a.EmergencyKeyId != e.policy.KeyId || n == 0 || len(a.Releases) < n {
				continue
			}
			// Releases are appended in block order: the n-th reached the
			// threshold.
			at := a.Releases[n-1].ReleasedAt
			if spender == nil || at.Before(spentAt) || (at.Equal(spentAt) && a.Id < spender.Id) {
				spender, spentAt = &a, at
			}
		}
		if spender == nil {
			continue
		}
		if err := m.k.spendPolicy(ctx, e.patient, e.policy, *spender, spentAt); err != nil {
			return fmt.Errorf("marking the emergency policy of %s spent: %w", e.policy.Patient, err)
		}
	}
	return nil
}
