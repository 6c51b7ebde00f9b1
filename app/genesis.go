package app

import "encoding/json"

// GenesisState is the application's genesis: each module's genesis JSON keyed
// by module name.
type GenesisState map[string]json.RawMessage
