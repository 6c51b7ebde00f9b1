package keeper

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// Migrator runs the access module's state migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 sets the params new in version 2
// (max_pending_requests_per_record, max_expiry_work_per_block) to their
// defaults, since they decode as 0 from version 1 state and 0 is invalid,
// and builds the requests' (owner, record id) index from the stored
// requests.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	if params.MaxPendingRequestsPerRecord == 0 {
		params.MaxPendingRequestsPerRecord = types.DefaultMaxPendingRequestsPerRecord
	}
	if params.MaxExpiryWorkPerBlock == 0 {
		params.MaxExpiryWorkPerBlock = types.DefaultMaxExpiryWorkPerBlock
	}
	if err := params.Validate(); err != nil {
		return fmt.Errorf("params after migration: %w", err)
	}
	if err := m.k.Params.Set(ctx, params); err != nil {
		return fmt.Errorf("setting params: %w", err)
	}
	var requests []types.AccessRequest
	if err := m.k.Requests.Walk(ctx, nil, func(_ uint64, r types.AccessRequest) (bool, error) {
		requests = append(requests, r)
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	// Setting a request again references it in every index; the existing
	// ones are rewritten unchanged.
	for _, r := range requests {
		if err := m.k.Requests.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("indexing request %d: %w", r.Id, err)
		}
	}
	return nil
}
