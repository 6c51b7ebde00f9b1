package types

import "fmt"

// NewGenesisState returns a genesis state with the given params.
func NewGenesisState(params Params) *GenesisState {
	return &GenesisState{Params: params}
}

// DefaultGenesis returns the genesis state of a new chain.
func DefaultGenesis() *GenesisState {
	return NewGenesisState(DefaultParams())
}

// Validate checks the genesis state without touching any store.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("invalid %s genesis: %w", ModuleName, err)
	}
	return nil
}
