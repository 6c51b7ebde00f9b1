package keeper

import (
	"context"
	"math"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// EndBlocker closes emergency accesses whose window has ended (at most
// params.max_expirations_per_block), then removes grants and requests
// whose expiry has come, oldest
// first, within two bounds per block: at most
// params.max_expirations_per_block of each, and at most
// params.max_expiry_work_per_block units of work in all (see expiryWork).
// Whatever does not fit waits for a later block. A grant or request
// waiting its turn is already treated as ended by every check (types.Live,
// IsPending), so the bounds never let anyone in late.
//
// A grant is removed whole or not at all: its cost is known before it is
// started (expiryWork), and one that does not fit in what is left of the
// budget waits, intact and still ended, for the next block. One costing
// more than the whole budget is removed alone, first in its block, or it
// would never be removed. That cost is bounded by the grantee's wraps of
// the owner's records, which only the owner and the writers she authorised
// create, never by what a stranger can add.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	t := now(ctx)
	// Ended emergency windows close first: each is a few fixed writes, and
	// every check already treats them as closed.
	if _, err := k.expireEmergencies(ctx, t, params.MaxExpirationsPerBlock); err != nil {
		return err
	}
	budget := workBudget{limit: uint64(params.MaxExpiryWorkPerBlock)}
	grantIDs, err := due(ctx, k.GrantExpiry, t, params.MaxExpirationsPerBlock)
	if err != nil {
		return err
	}
	for _, id := range grantIDs {
		if budget.exhausted() {
			break
		}
		g, err := k.Grants.Get(ctx, id)
		if err != nil {
			return err
		}
		cost, err := k.expiryWork(ctx, g, budget.left())
		if err != nil {
			return err
		}
		if !budget.take(cost) {
			break
		}
		if err := k.deleteGrant(ctx, g, types.RevocationReasonExpired, nil); err != nil {
			return err
		}
	}
	if budget.exhausted() {
		return nil
	}
	requestIDs, err := due(ctx, k.RequestExpiry, t, params.MaxExpirationsPerBlock)
	if err != nil {
		return err
	}
	for _, id := range requestIDs {
		if !budget.take(1) {
			break
		}
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

// workBudget is what is left of a block's expiry work.
type workBudget struct{ limit, spent uint64 }

// take spends cost if it fits in what is left; the first item of a block
// always fits, however much it costs, so that it is removed at all.
func (b *workBudget) take(cost uint64) bool {
	if b.spent > 0 && b.spent+cost > b.limit {
		return false
	}
	b.spent += cost
	return true
}

func (b *workBudget) exhausted() bool { return b.spent >= b.limit }

func (b *workBudget) left() uint64 {
	if b.exhausted() {
		return 0
	}
	return b.limit - b.spent
}

// expiryWork is the work of removing g: one unit for the grant and one per
// wrap deleteGrant visits (none for WRITE, the grantee's wrap of the record
// for a record READ grant, every wrap of the grantee on the owner's records
// for a scope READ grant). Counting stops once the cost exceeds atMost:
// past that only "too much" matters, and the count stays bounded by the
// budget.
func (k Keeper) expiryWork(ctx context.Context, g types.Grant, atMost uint64) (uint64, error) {
	switch {
	case g.Permission != types.PermissionRead:
		return 1, nil
	case g.RecordId != 0:
		return 2, nil
	}
	owner, err := k.addressCodec.StringToBytes(g.Owner)
	if err != nil {
		return 0, err
	}
	grantee, err := k.addressCodec.StringToBytes(g.Grantee)
	if err != nil {
		return 0, err
	}
	// While a key recovery moves records into the owner, deleteGrant also
	// visits the wraps of the patient's records not moved yet.
	owners := []sdk.AccAddress{owner}
	if patient, found, err := k.mirrorOwner(ctx, owner); err != nil {
		return 0, err
	} else if found {
		owners = append(owners, patient)
	}
	cost := uint64(1)
	for _, o := range owners {
		err = k.WrapsByReader.Walk(ctx, collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](o, grantee),
			func(collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
				cost++
				return cost > atMost, nil
			})
		if err != nil || cost > atMost {
			return cost, err
		}
	}
	return cost, nil
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
