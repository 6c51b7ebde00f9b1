package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/medchain/medchain/x/records/types"
)

// InitGenesis validates gs and writes it to the store. The per-block spam
// counters are not part of genesis: they only matter within one block.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if gs == nil {
		return fmt.Errorf("%s genesis state is missing", types.ModuleName)
	}
	if err := gs.Validate(k.addressCodec); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("setting %s params: %w", types.ModuleName, err)
	}
	for _, r := range gs.Records {
		if err := k.Records.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("storing record %d: %w", r.Id, err)
		}
	}
	for _, v := range gs.History {
		if err := k.History.Set(ctx, collections.Join(v.RecordId, v.Version), v); err != nil {
			return fmt.Errorf("storing version %d of record %d: %w", v.Version, v.RecordId, err)
		}
	}
	if err := k.NextID.Set(ctx, gs.NextId); err != nil {
		return fmt.Errorf("setting %s next id: %w", types.ModuleName, err)
	}
	return nil
}

// ExportGenesis reads the module state back into a genesis state: records in
// id order, history in (record id, version) order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s params: %w", types.ModuleName, err)
	}

	var records []types.Record
	if err := k.Records.Walk(ctx, nil, func(_ uint64, r types.Record) (bool, error) {
		records = append(records, r)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s records: %w", types.ModuleName, err)
	}

	var history []types.RecordVersion
	if err := k.History.Walk(ctx, nil, func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (bool, error) {
		history = append(history, v)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s history: %w", types.ModuleName, err)
	}

	nextID, err := k.NextRecordID(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s next id: %w", types.ModuleName, err)
	}
	return types.NewGenesisState(params, records, history, nextID), nil
}
