package types

import (
	"time"

	errorsmod "cosmossdk.io/errors"
)

// Default parameters and hard caps.
const (
	DefaultMaxExpirationsPerBlock uint32 = 500
	DefaultMaxPendingRequests     uint32 = 3
	DefaultRequestTTL                    = 7 * 24 * time.Hour
	DefaultMaxRequestTTL                 = 90 * 24 * time.Hour
	DefaultMaxReasonLength        uint32 = 140
	DefaultMaxWrapsPerMsg         uint32 = 500

	// DefaultMaxPendingRequestsPerRecord leaves room for every clinician
	// who plausibly asks for one record at once, and keeps what a
	// redaction closes small.
	DefaultMaxPendingRequestsPerRecord uint32 = 16
	// DefaultMaxExpiryWorkPerBlock covers max_expirations_per_block record
	// READ grants (two units each: the grant and its wrap) with room to
	// spare.
	DefaultMaxExpiryWorkPerBlock uint32 = 2000

	// DefaultEmergencyWindow is how long a break-glass stays open.
	DefaultEmergencyWindow = 24 * time.Hour
	// DefaultMaxEmergencyPerPractitioner bounds one practitioner's open
	// emergency accesses: an emergency room sees few unconscious patients
	// at once, and an abuser is stopped early.
	DefaultMaxEmergencyPerPractitioner uint32 = 5
	// DefaultMaxCustodians bounds a policy's custodians.
	DefaultMaxCustodians uint32 = 7
	// MaxCustodiansCap is the most custodians a sharing supports.
	MaxCustodiansCap uint32 = 16
	// MaxEmergencyWindow bounds the window whatever governance decides.
	MaxEmergencyWindow = 7 * 24 * time.Hour
	// DefaultRecoveryDelay gives a patient whose key was not lost three
	// days to notice a recovery and cancel it.
	DefaultRecoveryDelay = 72 * time.Hour
	// DefaultMaxEmergencyPerOrganisationPerDay bounds the break-glasses
	// of one organisation's practitioners in one UTC day: twice what an
	// emergency department plausibly needs for unconscious patients who
	// opted in, and few enough that a hospital adding practitioners to
	// get past max_emergency_per_practitioner is stopped the same day.
	DefaultMaxEmergencyPerOrganisationPerDay uint32 = 10
	// MaxRecoveryDelay bounds the delay whatever governance decides.
	MaxRecoveryDelay = 90 * 24 * time.Hour

	// MaxReasonLengthCap keeps reasons short whatever governance decides:
	// they are public and must not turn into medical notes.
	MaxReasonLengthCap uint32 = 512
)

// DefaultParams returns the parameters a new chain starts with.
func DefaultParams() Params {
	return Params{
		MaxExpirationsPerBlock: DefaultMaxExpirationsPerBlock,
		MaxPendingRequests:     DefaultMaxPendingRequests,
		DefaultRequestTtl:      DefaultRequestTTL,
		MaxRequestTtl:          DefaultMaxRequestTTL,
		MaxReasonLength:        DefaultMaxReasonLength,
		MaxWrapsPerMsg:         DefaultMaxWrapsPerMsg,

		MaxPendingRequestsPerRecord: DefaultMaxPendingRequestsPerRecord,
		MaxExpiryWorkPerBlock:       DefaultMaxExpiryWorkPerBlock,

		EmergencyWindow:             DefaultEmergencyWindow,
		MaxEmergencyPerPractitioner: DefaultMaxEmergencyPerPractitioner,
		MaxCustodians:               DefaultMaxCustodians,
		RecoveryDelay:               DefaultRecoveryDelay,

		MaxEmergencyPerOrganisationPerDay: DefaultMaxEmergencyPerOrganisationPerDay,
	}
}

// Validate reports whether p can be put in force.
func (p Params) Validate() error {
	switch {
	case p.MaxExpirationsPerBlock == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_expirations_per_block must be greater than 0, or expired grants would never be removed")
	case p.MaxPendingRequests == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_pending_requests must be greater than 0")
	case p.DefaultRequestTtl <= 0:
		return errorsmod.Wrap(ErrInvalidParams, "default_request_ttl must be positive")
	case p.MaxRequestTtl < p.DefaultRequestTtl:
		return errorsmod.Wrapf(ErrInvalidParams, "max_request_ttl %s is shorter than default_request_ttl %s", p.MaxRequestTtl, p.DefaultRequestTtl)
	case p.MaxReasonLength == 0 || p.MaxReasonLength > MaxReasonLengthCap:
		return errorsmod.Wrapf(ErrInvalidParams, "max_reason_length %d must be between 1 and %d", p.MaxReasonLength, MaxReasonLengthCap)
	case p.MaxWrapsPerMsg == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_wraps_per_msg must be greater than 0")
	case p.MaxPendingRequestsPerRecord == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_pending_requests_per_record must be greater than 0, or nobody could ask for a record")
	case p.MaxExpiryWorkPerBlock == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_expiry_work_per_block must be greater than 0, or expired grants and requests would never be removed")
	case p.EmergencyWindow <= 0 || p.EmergencyWindow > MaxEmergencyWindow:
		return errorsmod.Wrapf(ErrInvalidParams, "emergency_window %s must be positive and at most %s", p.EmergencyWindow, MaxEmergencyWindow)
	case p.MaxEmergencyPerPractitioner == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_emergency_per_practitioner must be greater than 0, or no practitioner could break the glass")
	case p.MaxCustodians < 2 || p.MaxCustodians > MaxCustodiansCap:
		return errorsmod.Wrapf(ErrInvalidParams, "max_custodians %d must be between 2 and %d", p.MaxCustodians, MaxCustodiansCap)
	case p.RecoveryDelay <= 0 || p.RecoveryDelay > MaxRecoveryDelay:
		return errorsmod.Wrapf(ErrInvalidParams, "recovery_delay %s must be positive and at most %s: it is the patient's time to cancel a recovery", p.RecoveryDelay, MaxRecoveryDelay)
	case p.MaxEmergencyPerOrganisationPerDay == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_emergency_per_organisation_per_day must be greater than 0, or no practitioner could break the glass")
	}
	return nil
}
