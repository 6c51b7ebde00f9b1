package types

// DefaultGenesis is the datanft genesis of a new chain.
func DefaultGenesis() *GenesisState { return &GenesisState{} }

// Validate checks a genesis state; there is nothing in it yet.
func (gs GenesisState) Validate() error { return nil }
