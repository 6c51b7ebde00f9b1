package types

import "cosmossdk.io/errors"

// ModuleName is the name of the records module; it namespaces its errors,
// store and events.
const ModuleName = "records"

// Registered errors. Codes are stable: clients match on them.
var (
	ErrInvalidCID = errors.Register(ModuleName, 2, "invalid record CID")
)
