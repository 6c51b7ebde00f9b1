package types

import (
	"fmt"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
)

// NewGenesisState returns a genesis state with the given params, issuers and
// practitioners. Nil lists become empty ones, as they read back from JSON.
func NewGenesisState(params Params, issuers []Issuer, practitioners []Practitioner) *GenesisState {
	if issuers == nil {
		issuers = []Issuer{}
	}
	if practitioners == nil {
		practitioners = []Practitioner{}
	}
	return &GenesisState{Params: params, Issuers: issuers, Practitioners: practitioners}
}

// DefaultGenesis returns the genesis state of a new chain: default params and
// no issuers (governance or the genesis file admits them).
func DefaultGenesis() *GenesisState {
	return NewGenesisState(DefaultParams(), nil, nil)
}

// Validate checks the genesis state without touching any store. Addresses are
// read with addressCodec (the chain's account prefix).
func (gs GenesisState) Validate(addressCodec address.Codec) error {
	if err := gs.validate(addressCodec); err != nil {
		return fmt.Errorf("invalid %s genesis: %w", ModuleName, err)
	}
	return nil
}

func (gs GenesisState) validate(addressCodec address.Codec) error {
	if addressCodec == nil {
		return fmt.Errorf("no address codec to read addresses with")
	}
	if err := gs.Params.Validate(); err != nil {
		return err
	}

	// Keyed by address bytes, so that two spellings of one address collide.
	issuers := make(map[string]Issuer, len(gs.Issuers))
	for i, issuer := range gs.Issuers {
		bz, err := addressCodec.StringToBytes(issuer.Address)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "issuers[%d]: address %q: %s", i, issuer.Address, err)
		}
		if _, dup := issuers[string(bz)]; dup {
			return errorsmod.Wrapf(ErrIssuerExists, "issuers[%d]: %s is listed more than once", i, issuer.Address)
		}
		if err := ValidateIssuer(issuer, gs.Params); err != nil {
			return fmt.Errorf("issuers[%d] (%s): %w", i, issuer.Address, err)
		}
		issuers[string(bz)] = issuer
	}

	practitioners := make(map[string]bool, len(gs.Practitioners))
	members := make(map[string]uint64)
	for i, p := range gs.Practitioners {
		bz, err := addressCodec.StringToBytes(p.Address)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "practitioners[%d]: address %q: %s", i, p.Address, err)
		}
		if practitioners[string(bz)] {
			return errorsmod.Wrapf(ErrAlreadyPractitioner, "practitioners[%d]: %s is listed more than once; a practitioner belongs to exactly one organisation", i, p.Address)
		}
		practitioners[string(bz)] = true
		if _, isIssuer := issuers[string(bz)]; isIssuer {
			return errorsmod.Wrapf(ErrIsIssuer, "practitioners[%d]: %s is also listed as an issuer", i, p.Address)
		}

		orgBz, err := addressCodec.StringToBytes(p.Organisation)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "practitioners[%d]: organisation %q: %s", i, p.Organisation, err)
		}
		if _, known := issuers[string(orgBz)]; !known {
			return errorsmod.Wrapf(ErrIssuerNotFound, "practitioners[%d]: organisation %s of %s is not in the genesis issuers", i, p.Organisation, p.Address)
		}
		if !p.Role.IsValid() {
			return errorsmod.Wrapf(ErrInvalidRole, "practitioners[%d]: role %s of %s; use one of: %s", i, p.Role, p.Address, ValidPractitionerRoles())
		}
		if p.Status != PractitionerStatusUnspecified {
			return errorsmod.Wrapf(ErrInvalidStatus, "practitioners[%d]: %s has status %s, but a practitioner's status is derived from its organisation; leave it out", i, p.Address, p.Status)
		}

		members[string(orgBz)]++
		if members[string(orgBz)] > uint64(gs.Params.MaxPractitionersPerOrganisation) {
			return errorsmod.Wrapf(ErrTooManyPractitioners, "organisation %s has more than %d practitioners (params max_practitioners_per_organisation)", p.Organisation, gs.Params.MaxPractitionersPerOrganisation)
		}
	}
	return nil
}

// ValidateIssuer checks an issuer's fields other than its address, as stored
// in state.
func ValidateIssuer(issuer Issuer, params Params) error {
	if err := ValidateName(issuer.Name, params.MaxNameLength); err != nil {
		return err
	}
	if !issuer.Kind.IsValid() {
		return errorsmod.Wrapf(ErrInvalidKind, "kind %s; use one of: %s", issuer.Kind, ValidIssuerKinds())
	}
	if !issuer.Status.IsValid() {
		return errorsmod.Wrapf(ErrInvalidStatus, "status %s; use one of: %s", issuer.Status, ValidIssuerStatuses())
	}
	if err := ValidateJurisdiction(issuer.Jurisdiction); err != nil {
		return err
	}
	if err := ValidateLicenseID(issuer.LicenseId); err != nil {
		return err
	}
	if err := ValidateWebsite(issuer.Website); err != nil {
		return err
	}
	return ValidateVaultURL(issuer.VaultUrl)
}
