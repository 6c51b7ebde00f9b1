package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the access module. Codes are part of the public API:
// clients match on them, so never change or reuse a code.
var (
	ErrInvalidAuthority  = errorsmod.Register(ModuleName, 2, "invalid authority: the signer is not the access module authority")
	ErrInvalidParams     = errorsmod.Register(ModuleName, 3, "invalid access module params")
	ErrInvalidAddress    = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidKey        = errorsmod.Register(ModuleName, 5, "invalid encryption key")
	ErrUnknownAlgorithm  = errorsmod.Register(ModuleName, 6, "unknown key algorithm")
	ErrNoEncryptionKey   = errorsmod.Register(ModuleName, 7, "no registered encryption key")
	ErrKeyAlreadyCurrent = errorsmod.Register(ModuleName, 8, "encryption key already registered")
	ErrInvalidGrant      = errorsmod.Register(ModuleName, 9, "invalid grant")
	ErrNotOwner          = errorsmod.Register(ModuleName, 10, "signer is not the owner")
	ErrGrantNotFound     = errorsmod.Register(ModuleName, 11, "grant not found")
	ErrGrantExists       = errorsmod.Register(ModuleName, 12, "grant already exists")
	ErrInvalidWraps      = errorsmod.Register(ModuleName, 13, "invalid key wraps")
	ErrRecordNotFound    = errorsmod.Register(ModuleName, 14, "record not found")
	ErrRecordRedacted    = errorsmod.Register(ModuleName, 15, "record is redacted")
	ErrInvalidRotation   = errorsmod.Register(ModuleName, 16, "invalid key rotation")
	ErrInvalidRequest    = errorsmod.Register(ModuleName, 17, "invalid access request")
	ErrRequestNotFound   = errorsmod.Register(ModuleName, 18, "access request not found")
	ErrTooManyRequests   = errorsmod.Register(ModuleName, 19, "too many pending access requests")
	ErrRequestMismatch   = errorsmod.Register(ModuleName, 20, "grant does not match the request")
	ErrNotRequester      = errorsmod.Register(ModuleName, 21, "signer is not the requester")
	ErrNotIssuer         = errorsmod.Register(ModuleName, 22, "write grantee is not an authorised issuer")
	ErrInvalidGenesis    = errorsmod.Register(ModuleName, 23, "invalid access genesis")

	ErrTooManyRecordRequests = errorsmod.Register(ModuleName, 24, "too many pending access requests for the record")

	ErrInvalidEmergencyPolicy = errorsmod.Register(ModuleName, 25, "invalid emergency policy")
	ErrNoEmergencyPolicy      = errorsmod.Register(ModuleName, 26, "no emergency policy")
	ErrEmergencyRefused       = errorsmod.Register(ModuleName, 27, "emergency access refused")
	ErrEmergencyNotFound      = errorsmod.Register(ModuleName, 28, "emergency access not found")
	ErrEmergencyClosed        = errorsmod.Register(ModuleName, 29, "emergency access window is closed")
	ErrReleaseRefused         = errorsmod.Register(ModuleName, 30, "share release refused")
	ErrRecoveryRefused        = errorsmod.Register(ModuleName, 31, "key recovery refused")
	ErrRecoveryNotFound       = errorsmod.Register(ModuleName, 32, "key recovery not found")

	// ErrEmergencyKeySpent: a break-glass under the patient's emergency
	// key reached its threshold of releases, so its practitioner can
	// derive the key; nothing more is opened or wrapped under it until the
	// patient sets a new policy.
	ErrEmergencyKeySpent = errorsmod.Register(ModuleName, 33,
		"the emergency key was used by a break-glass and is spent; the patient must re-key with `medchaind tx access set-emergency-policy`")

	// ErrRecoveryMoving: a key recovery has started moving the account's
	// records to its new owner (it can no longer be cancelled); the old
	// account may not change consent or its emergency policy meanwhile.
	ErrRecoveryMoving = errorsmod.Register(ModuleName, 34, "a key recovery is moving the account's records")
)
