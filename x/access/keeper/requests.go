package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// pendingCount is the number of requests of requester to owner not yet
// removed (answered, cancelled or removed by EndBlock once expired).
func (k Keeper) pendingCount(ctx context.Context, requester, owner sdk.AccAddress) (uint32, error) {
	n, err := k.PendingRequests.Get(ctx, collections.Join(requester, owner))
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

// pendingOnTarget counts the pending requests on record recordID, or, for
// 0, the pending scope requests to owner, and stops at limit; strangers
// is how many of them come from accounts x/issuers does not authorise now.
// Requests that expired at or before t no longer count (they wait for
// EndBlock), so the walk visits at most limit pending ones plus those
// awaiting removal.
func (k Keeper) pendingOnTarget(ctx context.Context, owner sdk.AccAddress, recordID uint64, t time.Time, limit uint32) (n, strangers uint32, err error) {
	count := func(id uint64) (bool, error) {
		r, err := k.Requests.Get(ctx, id)
		if err != nil {
			return true, errorsmod.Wrapf(err, "request %d", id)
		}
		if r.IsPending(t) {
			n++
			requester, err := k.decodeAddress("requester", r.Requester)
			if err != nil {
				return true, errorsmod.Wrapf(err, "request %d", id)
			}
			auth, err := k.issuers.IsAuthorised(ctx, requester)
			if err != nil {
				return true, err
			}
			if !auth.Authorised {
				strangers++
			}
		}
		return n >= limit, nil
	}
	if recordID != 0 {
		err = k.Requests.Indexes.Record.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](recordID),
			func(_ uint64, id uint64) (bool, error) { return count(id) })
	} else {
		err = k.Requests.Indexes.Target.Walk(ctx,
			collections.NewPrefixedPairRange[collections.Pair[sdk.AccAddress, uint64], uint64](collections.Join(owner, uint64(0))),
			func(_ collections.Pair[sdk.AccAddress, uint64], id uint64) (bool, error) { return count(id) })
	}
	return n, strangers, err
}

// strangersShare is the part of a target's request slots that requesters
// x/issuers does not authorise may hold together (at least one): fresh
// accounts cost nothing to make, so without it they could fill every slot
// of a record for the longest request lifetime and leave no room for the
// clinicians who need to ask.
func strangersShare(limit uint32) uint32 { return max(1, limit/4) }

// closeExpiredRequests closes, as EXPIRED, the requests of requester to
// owner whose expiry is at or before t but which EndBlock has not removed
// yet, and returns how many requests of the pair are left. The walk visits
// only this pair's requests (index scan).
func (k Keeper) closeExpiredRequests(ctx context.Context, requester, owner sdk.AccAddress, t time.Time) (uint32, error) {
	it, err := k.Requests.Indexes.Pair.MatchExact(ctx, collections.Join(requester, owner))
	if err != nil {
		return 0, err
	}
	ids, err := it.PrimaryKeys()
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		r, err := k.Requests.Get(ctx, id)
		if err != nil {
			return 0, errorsmod.Wrapf(err, "request %d", id)
		}
		if r.IsPending(t) {
			continue
		}
		if err := k.closeRequest(ctx, r, "EXPIRED", 0); err != nil {
			return 0, err
		}
	}
	return k.pendingCount(ctx, requester, owner)
}

// setRequest stores a pending request, its expiry and the pending count.
func (k Keeper) setRequest(ctx context.Context, r types.AccessRequest, requester, owner sdk.AccAddress, pending uint32) error {
	if err := k.Requests.Set(ctx, r.Id, r); err != nil {
		return errorsmod.Wrapf(err, "storing request %d", r.Id)
	}
	if err := k.RequestExpiry.Set(ctx, collections.Join(r.ExpiresAt, r.Id)); err != nil {
		return err
	}
	return k.PendingRequests.Set(ctx, collections.Join(requester, owner), pending)
}

// pendingRequest loads a request that can still be answered, or fails
// with ErrRequestNotFound: it is gone, or it expired (at or before the
// block time) and only waits for EndBlock to remove it.
func (k Keeper) pendingRequest(ctx context.Context, id uint64) (types.AccessRequest, error) {
	r, err := k.Requests.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return r, errorsmod.Wrapf(types.ErrRequestNotFound, "request %d is not pending (it was answered, cancelled or expired, or never existed)", id)
	}
	if err != nil {
		return r, err
	}
	if !r.IsPending(now(ctx)) {
		return r, errorsmod.Wrapf(types.ErrRequestNotFound, "request %d expired at %s", r.Id, r.ExpiresAt.UTC())
	}
	return r, nil
}

// closeRequest removes a pending request, its expiry entry and its place
// in the requester's pending count, and emits EventRequestClosed.
func (k Keeper) closeRequest(ctx context.Context, r types.AccessRequest, outcome string, grantID uint64) error {
	requester, err := k.addressCodec.StringToBytes(r.Requester)
	if err != nil {
		return err
	}
	owner, err := k.addressCodec.StringToBytes(r.Owner)
	if err != nil {
		return err
	}
	if err := k.Requests.Remove(ctx, r.Id); err != nil {
		return errorsmod.Wrapf(err, "removing request %d", r.Id)
	}
	if err := k.RequestExpiry.Remove(ctx, collections.Join(r.ExpiresAt, r.Id)); err != nil {
		return err
	}
	pair := collections.Join(sdk.AccAddress(requester), sdk.AccAddress(owner))
	n, err := k.PendingRequests.Get(ctx, pair)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if n <= 1 {
		err = k.PendingRequests.Remove(ctx, pair)
	} else {
		err = k.PendingRequests.Set(ctx, pair, n-1)
	}
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventRequestClosed{
		RequestId: r.Id, Requester: r.Requester, Owner: r.Owner, Outcome: outcome, GrantId: grantID,
	})
}
