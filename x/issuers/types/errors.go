package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the issuers module. Codes are part of the public API:
// clients match on them, so never change or reuse a code.
var (
	ErrInvalidAuthority        = errorsmod.Register(ModuleName, 2, "invalid authority: the signer is not the issuers module authority")
	ErrInvalidParams           = errorsmod.Register(ModuleName, 3, "invalid issuers module params")
	ErrInvalidAddress          = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidName             = errorsmod.Register(ModuleName, 5, "invalid name")
	ErrInvalidWebsite          = errorsmod.Register(ModuleName, 6, "invalid website")
	ErrInvalidJurisdiction     = errorsmod.Register(ModuleName, 7, "invalid jurisdiction")
	ErrInvalidLicenseID        = errorsmod.Register(ModuleName, 8, "invalid license id")
	ErrInvalidReason           = errorsmod.Register(ModuleName, 9, "invalid reason")
	ErrInvalidKind             = errorsmod.Register(ModuleName, 10, "invalid issuer kind")
	ErrInvalidStatus           = errorsmod.Register(ModuleName, 11, "invalid status")
	ErrInvalidRole             = errorsmod.Register(ModuleName, 12, "invalid practitioner role")
	ErrIssuerExists            = errorsmod.Register(ModuleName, 13, "issuer already registered")
	ErrIssuerNotFound          = errorsmod.Register(ModuleName, 14, "issuer not found")
	ErrNotOrganisation         = errorsmod.Register(ModuleName, 15, "signer is not a registered organisation")
	ErrOrganisationNotActive   = errorsmod.Register(ModuleName, 16, "organisation is not active")
	ErrAlreadyPractitioner     = errorsmod.Register(ModuleName, 17, "account is already a practitioner")
	ErrIsIssuer                = errorsmod.Register(ModuleName, 18, "account is an issuer and cannot be a practitioner")
	ErrIsPractitioner          = errorsmod.Register(ModuleName, 19, "account is a practitioner and cannot be an issuer")
	ErrPractitionerNotFound    = errorsmod.Register(ModuleName, 20, "practitioner not found")
	ErrNotMember               = errorsmod.Register(ModuleName, 21, "practitioner belongs to another organisation")
	ErrTooManyPractitioners    = errorsmod.Register(ModuleName, 22, "organisation has reached its practitioner limit")
	ErrInvalidStatusTransition = errorsmod.Register(ModuleName, 23, "invalid issuer status transition")
	ErrEmptyProfileUpdate      = errorsmod.Register(ModuleName, 24, "profile update changes nothing")
	ErrNotHospital             = errorsmod.Register(ModuleName, 25, "validator operator is not an active hospital issuer")
	ErrInvalidVaultURL         = errorsmod.Register(ModuleName, 26, "invalid vault URL")
)
