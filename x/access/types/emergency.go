package types

import (
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/address"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// EmergencyReader is the address that holds a patient's emergency wraps:
// derived from the patient's address, so nobody holds its account key and
// nobody but the module can register its encryption key (the emergency
// key of the patient's policy). Clients compute the same address.
func EmergencyReader(patient sdk.AccAddress) sdk.AccAddress {
	return address.Module(ModuleName, []byte("emergency"), patient)
}

// IsOpen says whether an emergency access window is open at t (expires_at
// is exclusive, like a grant's).
func (a EmergencyAccess) IsOpen(t time.Time) bool { return t.Before(a.ExpiresAt) }

// IsLive says whether the entry still allows reads at t.
func (e EmergencyEntry) IsLive(t time.Time) bool { return t.Before(e.ExpiresAt) }

// Covers says whether the entry covers record.
func (e EmergencyEntry) Covers(record recordstypes.Record) bool {
	if e.RecordId != 0 {
		return e.RecordId == record.Id
	}
	return CoversKind(e.Kinds, record.Kind)
}

// IsSpent says whether an emergency access under the policy's key has
// reached the threshold of releases, so that its practitioner can derive
// the emergency key: the key opens no new break-glass and gets no new
// wrap until the patient sets a new policy.
func (p EmergencyPolicy) IsSpent() bool { return p.SpentBy != 0 }

// UTCDay is the day of t in UTC, counted from the Unix epoch: the unit of
// params max_emergency_per_organisation_per_day.
func UTCDay(t time.Time) uint64 {
	const day = 24 * 60 * 60
	if s := t.Unix(); s > 0 {
		return uint64(s / day)
	}
	return 0
}

// Custodians lists the policy's custodians in share order.
func (p EmergencyPolicy) Custodians() []string {
	out := make([]string, len(p.Shares))
	for i, s := range p.Shares {
		out[i] = s.Custodian
	}
	return out
}

// CustodianIndex returns custodian's share index (its place plus one), or 0.
func (p EmergencyPolicy) CustodianIndex(custodian string) uint32 {
	for i, s := range p.Shares {
		if s.Custodian == custodian {
			return uint32(i + 1)
		}
	}
	return 0
}

// Label names the reason for people.
func (r EmergencyReason) Label() string {
	switch r {
	case EmergencyReasonUnableToConsent:
		return "patient unable to consent"
	case EmergencyReasonLifeThreatening:
		return "life-threatening condition"
	case EmergencyReasonUrgentTreatment:
		return "urgent treatment"
	}
	return fmt.Sprintf("reason %d", int32(r))
}

// IsPending says whether the recovery still waits (for approvals, its
// delay or its completion) at t: pending, and not lapsed. A recovery whose
// records are moving never lapses: some of the patient's records already
// belong to the new owner, and only finishing the move makes the two
// accounts whole again.
func (r Recovery) IsPending(t time.Time) bool {
	return r.Status == RecoveryStatusPending && (r.Moving || t.Before(r.ExpiresAt))
}
