package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the issuers module. Codes are part of the public API:
// clients match on them, so never change or reuse a code.
var (
	ErrInvalidAuthority = errorsmod.Register(ModuleName, 2, "invalid authority: the signer is not the issuers module authority")
	ErrInvalidParams    = errorsmod.Register(ModuleName, 3, "invalid issuers module params")
)
