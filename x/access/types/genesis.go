package types

import (
	"fmt"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis returns the state of a new chain: default params, nothing
// else.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextGrantId: 1, NextRequestId: 1, NextEmergencyId: 1, NextRecoveryId: 1}
}

// Validate checks g without reading any store: params, addresses, enums,
// ids below the next ids and unique, one current key per account naming one
// of its keys, one grant per (target, grantee, permission), wraps sealed to
// registered keys, requests to another account with an expiry after their
// creation and at most max_pending_requests per (requester, owner).
func (g GenesisState) Validate(ac address.Codec) error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	if g.NextGrantId == 0 || g.NextRequestId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_grant_id and next_request_id must be at least 1")
	}
	addr := func(what, s string) (string, error) {
		bz, err := ac.StringToBytes(s)
		if err != nil || len(bz) == 0 {
			return "", errorsmod.Wrapf(ErrInvalidGenesis, "%s: address %q: %v", what, s, err)
		}
		return string(bz), nil
	}
	keys := map[string]bool{}
	for i, k := range g.Keys {
		a, err := addr(fmt.Sprintf("keys[%d].owner", i), k.Owner)
		if err != nil {
			return err
		}
		if err := ValidatePublicKey(k.Algorithm, k.PublicKey); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "keys[%d]: %s", i, err)
		}
		if k.KeyId != KeyID(k.PublicKey) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "keys[%d]: key_id %s does not match the public key (%s)", i, k.KeyId, KeyID(k.PublicKey))
		}
		if keys[a+"/"+k.KeyId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "keys[%d]: key %s of %s is listed twice", i, k.KeyId, k.Owner)
		}
		keys[a+"/"+k.KeyId] = true
	}
	current := map[string]bool{}
	for i, c := range g.CurrentKeys {
		a, err := addr(fmt.Sprintf("current_keys[%d].owner", i), c.Owner)
		if err != nil {
			return err
		}
		if current[a] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "current_keys[%d]: %s has two current keys", i, c.Owner)
		}
		current[a] = true
		if !keys[a+"/"+c.KeyId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "current_keys[%d]: %s has no key %s in keys", i, c.Owner, c.KeyId)
		}
	}
	grantIDs := map[uint64]bool{}
	targets := map[string]bool{}
	for i, gr := range g.Grants {
		what := fmt.Sprintf("grants[%d]", i)
		if gr.Id == 0 || gr.Id >= g.NextGrantId || grantIDs[gr.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %d is 0, repeated, or not below next_grant_id %d", what, gr.Id, g.NextGrantId)
		}
		grantIDs[gr.Id] = true
		o, err := addr(what+".owner", gr.Owner)
		if err != nil {
			return err
		}
		ge, err := addr(what+".grantee", gr.Grantee)
		if err != nil {
			return err
		}
		if o == ge {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: grantee is the owner", what)
		}
		if err := ValidatePermissionPurpose(gr.Permission, gr.Purpose); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		if err := ValidateTarget(gr.RecordId, gr.Kinds); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		target := fmt.Sprintf("%d/%s/%s/%d", gr.RecordId, o, ge, gr.Permission)
		if gr.RecordId != 0 {
			target = fmt.Sprintf("%d/-/%s/%d", gr.RecordId, ge, gr.Permission)
		}
		if targets[target] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: a second %s grant for the same target and grantee", what, gr.Permission.Label())
		}
		targets[target] = true
	}
	wraps := map[string]bool{}
	for i, w := range g.Wraps {
		what := fmt.Sprintf("wraps[%d]", i)
		a, err := addr(what+".grantee", w.Grantee)
		if err != nil {
			return err
		}
		if w.RecordId == 0 || len(w.Ciphertext) == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: record_id and ciphertext are required", what)
		}
		if !keys[a+"/"+w.KeyId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: sealed to key %s, which %s never registered", what, w.KeyId, w.Grantee)
		}
		k := fmt.Sprintf("%d/%s", w.RecordId, a)
		if wraps[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: a second wrap of record %d for %s", what, w.RecordId, w.Grantee)
		}
		wraps[k] = true
	}
	requestIDs := map[uint64]bool{}
	pending := map[string]uint32{}
	for i, r := range g.Requests {
		what := fmt.Sprintf("requests[%d]", i)
		if r.Id == 0 || r.Id >= g.NextRequestId || requestIDs[r.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %d is 0, repeated, or not below next_request_id %d", what, r.Id, g.NextRequestId)
		}
		requestIDs[r.Id] = true
		requester, err := addr(what+".requester", r.Requester)
		if err != nil {
			return err
		}
		owner, err := addr(what+".owner", r.Owner)
		if err != nil {
			return err
		}
		if requester == owner {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: request %d is from its owner %s to itself", what, r.Id, r.Owner)
		}
		// Every request gets an expiry when it is made (default_request_ttl
		// at the latest), after the block time it was made at; without one
		// it would never leave the expiry queue's past.
		if r.ExpiresAt.IsZero() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: request %d has no expires_at", what, r.Id)
		}
		if !r.ExpiresAt.After(r.CreatedAt) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: request %d expires at %s, not after it was created at %s",
				what, r.Id, r.ExpiresAt.UTC(), r.CreatedAt.UTC())
		}
		pair := requester + "/" + owner
		pending[pair]++
		if pending[pair] > g.Params.MaxPendingRequests {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: request %d is one more pending request of %s to %s than params max_pending_requests %d allows",
				what, r.Id, r.Requester, r.Owner, g.Params.MaxPendingRequests)
		}
		if err := ValidatePermissionPurpose(r.Permission, r.Purpose); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		if err := ValidateTarget(r.RecordId, r.Kinds); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		if err := ValidateSealedReason(r.SealedReason, MaxReasonLengthCap); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
	}
	return g.validateEmergency(addr)
}

// validateEmergency checks the emergency policies (one per patient, a
// threshold of 2 to the number of custodians, distinct custodians, and a
// spent policy spent by an access of the log to the patient under its key
// that reached the threshold) and the emergency log (ids below
// next_emergency_id and unique, addresses, a reason code, a window that
// does not end before it opens, releases by custodians).
func (g GenesisState) validateEmergency(addr func(what, s string) (string, error)) error {
	logged := make(map[uint64]EmergencyAccess, len(g.EmergencyAccesses))
	for _, a := range g.EmergencyAccesses {
		logged[a.Id] = a
	}
	patients := map[string]bool{}
	for i, p := range g.EmergencyPolicies {
		what := fmt.Sprintf("emergency_policies[%d]", i)
		patient, err := addr(what+".patient", p.Patient)
		if err != nil {
			return err
		}
		if patients[patient] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s has more than one policy", what, patient)
		}
		patients[patient] = true
		if n := len(p.Shares); p.Threshold < 2 || int(p.Threshold) > n || uint32(n) > MaxCustodiansCap {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: threshold %d of %d custodians", what, p.Threshold, n)
		}
		if len(p.Commitments) != int(p.Threshold) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %d commitments for threshold %d", what, len(p.Commitments), p.Threshold)
		}
		custodians := map[string]bool{}
		for j, s := range p.Shares {
			c, err := addr(fmt.Sprintf("%s.shares[%d].custodian", what, j), s.Custodian)
			if err != nil {
				return err
			}
			if custodians[c] {
				return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s holds more than one share", what, c)
			}
			custodians[c] = true
		}
		if (p.SpentAt == nil) != (p.SpentBy == 0) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: spent_at and spent_by are set together or not at all", what)
		}
		if p.IsSpent() {
			a, ok := logged[p.SpentBy]
			if !ok || a.Patient != p.Patient || a.EmergencyKeyId != p.KeyId || len(a.Releases) < int(p.Threshold) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "%s: spent_by %d is not an access to %s under key %s with %d releases", what, p.SpentBy, p.Patient, p.KeyId, p.Threshold)
			}
		}
	}
	next := max(g.NextEmergencyId, 1)
	ids := map[uint64]bool{}
	for i, a := range g.EmergencyAccesses {
		what := fmt.Sprintf("emergency_accesses[%d]", i)
		if a.Id == 0 || a.Id >= next || ids[a.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %d is 0, repeated, or not below next_emergency_id %d", what, a.Id, next)
		}
		ids[a.Id] = true
		for _, f := range [][2]string{{"practitioner", a.Practitioner}, {"organisation", a.Organisation}, {"patient", a.Patient}} {
			if _, err := addr(what+"."+f[0], f[1]); err != nil {
				return err
			}
		}
		if _, ok := EmergencyReason_name[int32(a.Reason)]; !ok || a.Reason == EmergencyReasonUnspecified {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: reason %d is not an emergency reason code", what, int32(a.Reason))
		}
		// An access closed in the block that opened it (its policy
		// withdrawn or spent by another access) ends when it opened.
		if a.ExpiresAt.Before(a.OpenedAt) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: expires_at %s is before opened_at %s", what, a.ExpiresAt, a.OpenedAt)
		}
		if err := ValidateTarget(a.RecordId, a.Kinds); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		for j, r := range a.Releases {
			if _, err := addr(fmt.Sprintf("%s.releases[%d].custodian", what, j), r.Custodian); err != nil {
				return err
			}
		}
	}
	nextRecovery := max(g.NextRecoveryId, 1)
	recoveries := map[uint64]bool{}
	pending := map[string]bool{}
	for i, r := range g.Recoveries {
		what := fmt.Sprintf("recoveries[%d]", i)
		if r.Id == 0 || r.Id >= nextRecovery || recoveries[r.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %d is 0, repeated, or not below next_recovery_id %d", what, r.Id, nextRecovery)
		}
		recoveries[r.Id] = true
		if _, err := addr(what+".patient", r.Patient); err != nil {
			return err
		}
		newOwner, err := addr(what+".new_owner", r.NewOwner)
		if err != nil {
			return err
		}
		if _, ok := RecoveryStatus_name[int32(r.Status)]; !ok || r.Status == RecoveryStatusUnspecified {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: status %d", what, int32(r.Status))
		}
		if r.Status == RecoveryStatusPending {
			if pending[newOwner] {
				return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s asks for more than one pending recovery", what, r.NewOwner)
			}
			pending[newOwner] = true
		}
	}
	return nil
}
