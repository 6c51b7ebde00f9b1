package keeper

import (
	"context"
	"math"
	"time"

	"cosmossdk.io/collections"

	"github.com/medchain/medchain/x/access/types"
)

// EndBlocker removes grants and requests whose expiry has come, at most
// params.max_expirations_per_block of each per block, oldest first: the
// work per block is bounded however many expire at once. A grant waiting
// its turn is already treated as ended by every check (types.Live), so the
// bound never lets anyone in late.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	t := now(ctx)
	grantIDs, err := due(ctx, k.GrantExpiry, t, params.MaxExpirationsPerBlock)
	if err != nil {
		return err
	}
	for _, id := range grantIDs {
		g, err := k.Grants.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := k.deleteGrant(ctx, g, types.RevocationReasonExpired, nil); err != nil {
			return err
		}
	}
	requestIDs, err := due(ctx, k.RequestExpiry, t, params.MaxExpirationsPerBlock)
	if err != nil {
		return err
	}
	for _, id := range requestIDs {
		r, err := k.Requests.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := k.closeRequest(ctx, r, "EXPIRED", 0); err != nil {
			return err
		}
	}
	return nil
}

// due returns up to limit ids of queue whose time is at or before t.
func due(ctx context.Context, queue collections.KeySet[collections.Pair[time.Time, uint64]], t time.Time, limit uint32) ([]uint64, error) {
	rng := new(collections.Range[collections.Pair[time.Time, uint64]]).
		EndInclusive(collections.Join(t, uint64(math.MaxUint64)))
	var ids []uint64
	err := queue.Walk(ctx, rng, func(key collections.Pair[time.Time, uint64]) (bool, error) {
		ids = append(ids, key.K2())
		return uint32(len(ids)) >= limit, nil
	})
	return ids, err
}
