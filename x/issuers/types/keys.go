package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the issuers module.
	ModuleName = "issuers"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Store prefixes. Each collection owns one prefix; never reuse or renumber a
// prefix once it has been released, or existing state becomes unreadable.
var (
	// ParamsKey holds the module parameters.
	ParamsKey = collections.NewPrefix(0)
)
