package types

import errorsmod "cosmossdk.io/errors"

const (
	// DefaultMaxNameLength is the default limit, in bytes, on organisation and
	// practitioner names.
	DefaultMaxNameLength uint32 = 128

	// DefaultMaxPractitionersPerOrganisation is the default limit on how many
	// practitioners one organisation may register.
	DefaultMaxPractitionersPerOrganisation uint32 = 10_000
)

// NewParams returns Params with the given limits.
func NewParams(maxNameLength, maxPractitionersPerOrganisation uint32) Params {
	return Params{
		MaxNameLength:                   maxNameLength,
		MaxPractitionersPerOrganisation: maxPractitionersPerOrganisation,
	}
}

// DefaultParams returns the parameters a new chain starts with.
func DefaultParams() Params {
	return NewParams(DefaultMaxNameLength, DefaultMaxPractitionersPerOrganisation)
}

// Validate reports whether p can be put in force. A zero limit would make
// every registration impossible, so both limits must be positive.
func (p Params) Validate() error {
	if p.MaxNameLength == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_name_length must be greater than 0")
	}
	if p.MaxPractitionersPerOrganisation == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_practitioners_per_organisation must be greater than 0")
	}
	return nil
}
