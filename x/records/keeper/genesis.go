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
	// An export from before epoch CIDs existed: derive them from history.
	for _, r := range gs.Records {
		if r.Status != types.RecordStatusActive || r.EpochCid != "" {
			continue
		}
		first, err := k.epochCID(ctx, r)
		if err != nil {
			return err
		}
		r.EpochCid = first
		if err := k.Records.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("storing record %d: %w", r.Id, err)
		}
	}
	if err := k.NextID.Set(ctx, gs.NextId); err != nil {
		return fmt.Errorf("setting %s next id: %w", types.ModuleName, err)
	}
	for _, r := range gs.ReleasedCids {
		if err := k.ReleasedCids.Set(ctx, r.CidHash, r.Use); err != nil {
			return fmt.Errorf("storing the tombstone of a released CID of record %d: %w", r.Use.RecordId, err)
		}
	}
	for _, e := range gs.Archives {
		if err := k.Archives.Set(ctx, collections.Join3(e.RecordId, e.Version, e.PieceCid), e); err != nil {
			return fmt.Errorf("storing the archive entry of version %d of record %d: %w", e.Version, e.RecordId, err)
		}
	}
	return k.indexCIDs(ctx, gs)
}

// indexCIDs rebuilds the CID index from the records and their history: a
// version at its record's current key epoch of an ACTIVE record is live;
// one of an earlier epoch was released by a rotation and gets a tombstone
// (Validate made sure no CID appears twice).
func (k Keeper) indexCIDs(ctx context.Context, gs *types.GenesisState) error {
	records := make(map[uint64]types.Record, len(gs.Records))
	for _, r := range gs.Records {
		records[r.Id] = r
	}
	for _, v := range gs.History {
		if v.Cid == "" {
			continue
		}
		r := records[v.RecordId]
		if r.Status == types.RecordStatusActive && v.KeyEpoch == r.KeyEpoch {
			if err := k.claimCID(ctx, v.Cid, v.RecordId, v.Version); err != nil {
				return err
			}
			continue
		}
		if err := k.releaseCID(ctx, v.Cid, v.RecordId, v.Version); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the module state back into a genesis state: records in
// id order, history in (record id, version) order, archive entries in
// (record id, version, piece CID) order.
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
	gs := types.NewGenesisState(params, records, history, nextID)
	if err := k.ReleasedCids.Walk(ctx, nil, func(hash []byte, use types.CidUse) (bool, error) {
		gs.ReleasedCids = append(gs.ReleasedCids, types.ReleasedCid{CidHash: hash, Use: use})
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s released CIDs: %w", types.ModuleName, err)
	}
	if err := k.Archives.Walk(ctx, nil, func(_ collections.Triple[uint64, uint64, string], e types.ArchiveEntry) (bool, error) {
		gs.Archives = append(gs.Archives, e)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s archive entries: %w", types.ModuleName, err)
	}
	return gs, nil
}
