package keeper

import (
	"context"
	"fmt"

	"github.com/medchain/medchain/x/issuers/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if gs == nil {
		return fmt.Errorf("%s genesis state is missing", types.ModuleName)
	}
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("setting %s params: %w", types.ModuleName, err)
	}
	return nil
}

// ExportGenesis reads the module state back into a genesis state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s params: %w", types.ModuleName, err)
	}
	return types.NewGenesisState(params), nil
}
