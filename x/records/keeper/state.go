package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	"github.com/medchain/medchain/x/records/types"
)

// GetRecord returns the record with id, and whether it exists.
func (k Keeper) GetRecord(ctx context.Context, id uint64) (types.Record, bool, error) {
	record, err := k.Records.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Record{}, false, nil
	}
	if err != nil {
		return types.Record{}, false, err
	}
	return record, true, nil
}

// NextRecordID returns the id the next record will get. A store without
// genesis has an unset sequence; ids still start at 1.
func (k Keeper) NextRecordID(ctx context.Context) (uint64, error) {
	id, err := k.NextID.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		id = 1
	}
	return id, nil
}
