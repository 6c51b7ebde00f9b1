package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// RequestAccess files a pending request from the requester to an owner. A
// requester may have at most params.max_pending_requests pending with one
// owner; a record may have at most params.max_pending_requests_per_record
// pending, whoever asks (and so may one owner's scope); asking for WRITE
// only makes sense for an authorised issuer.
func (k msgServer) RequestAccess(ctx context.Context, msg *types.MsgRequestAccess) (*types.MsgRequestAccessResponse, error) {
	requester, err := k.decodeAddress("requester", msg.Requester)
	if err != nil {
		return nil, err
	}
	owner, err := k.decodeAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if requester.Equals(owner) {
		return nil, errorsmod.Wrap(types.ErrInvalidRequest, "you asked yourself: owners always have access to their own records")
	}
	if err := types.ValidatePermissionPurpose(msg.Permission, msg.Purpose); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidRequest, err.Error())
	}
	if err := types.ValidateTarget(msg.RecordId, msg.Kinds); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidRequest, err.Error())
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateSealedReason(msg.SealedReason, params.MaxReasonLength); err != nil {
		return nil, err
	}
	if msg.RecordId != 0 {
		record, err := k.activeRecord(ctx, msg.RecordId)
		if err != nil {
			return nil, err
		}
		if !k.sameAddress(record.Owner, msg.Owner) {
			return nil, errorsmod.Wrapf(types.ErrInvalidRequest, "record %d does not belong to %s; ask its owner", msg.RecordId, msg.Owner)
		}
	}
	if msg.Permission == types.PermissionWrite {
		auth, err := k.issuers.IsAuthorised(ctx, requester)
		if err != nil {
			return nil, err
		}
		if !auth.Authorised {
			return nil, errorsmod.Wrapf(types.ErrNotIssuer, "only an authorised organisation or practitioner may ask for WRITE; %s is not (%s)", msg.Requester, auth.Reason)
		}
	}
	t := now(ctx)
	expires := t.Add(params.DefaultRequestTtl)
	if msg.ExpiresAt != nil {
		expires = *msg.ExpiresAt
		if !expires.After(t) {
			return nil, errorsmod.Wrapf(types.ErrInvalidRequest, "expires_at %s is not after the current block time %s", expires.UTC(), t.UTC())
		}
		if expires.Sub(t) > params.MaxRequestTtl {
			return nil, errorsmod.Wrapf(types.ErrInvalidRequest, "expires_at %s is more than %s away (params max_request_ttl)", expires.UTC(), params.MaxRequestTtl)
		}
	}
	// Fresh accounts evade the per-requester bound, so the target has one
	// of its own. Checked before anything below writes.
	onTarget, err := k.pendingOnTarget(ctx, owner, msg.RecordId, t, params.MaxPendingRequestsPerRecord)
	if err != nil {
		return nil, err
	}
	if onTarget >= params.MaxPendingRequestsPerRecord {
		what := fmt.Sprintf("record %d", msg.RecordId)
		if msg.RecordId == 0 {
			what = fmt.Sprintf("the scope of %s", msg.Owner)
		}
		return nil, errorsmod.Wrapf(types.ErrTooManyRecordRequests,
			"%s already has %d pending requests, the limit (params max_pending_requests_per_record is %d); the owner can deny them, or you can ask again once they expire",
			what, onTarget, params.MaxPendingRequestsPerRecord)
	}
	pending, err := k.pendingCount(ctx, requester, owner)
	if err != nil {
		return nil, err
	}
	if pending >= params.MaxPendingRequests {
		// Requests that expired but await EndBlock no longer count: close
		// them now, as EndBlock would, to free their slots.
		if pending, err = k.closeExpiredRequests(ctx, requester, owner, t); err != nil {
			return nil, err
		}
	}
	if pending >= params.MaxPendingRequests {
		return nil, errorsmod.Wrapf(types.ErrTooManyRequests,
			"%s already has %d pending requests with %s (params max_pending_requests); wait for an answer or cancel one", msg.Requester, pending, msg.Owner)
	}

	id, err := nextID(ctx, k.NextRequestID)
	if err != nil {
		return nil, err
	}
	request := types.AccessRequest{
		Id:           id,
		Requester:    k.str(requester),
		Owner:        k.str(owner),
		RecordId:     msg.RecordId,
		Kinds:        msg.Kinds,
		Permission:   msg.Permission,
		Purpose:      msg.Purpose,
		SealedReason: msg.SealedReason,
		ExpiresAt:    expires,
		CreatedAt:    t,
	}
	if err := k.setRequest(ctx, request, requester, owner, pending+1); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventAccessRequested{Request: request}); err != nil {
		return nil, err
	}
	return &types.MsgRequestAccessResponse{RequestId: id}, nil
}

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
// 0, the pending scope requests to owner, and stops at limit. Requests
// that expired at or before t no longer count (they wait for EndBlock), so
// the walk visits at most limit pending ones plus those awaiting removal.
func (k Keeper) pendingOnTarget(ctx context.Context, owner sdk.AccAddress, recordID uint64, t time.Time, limit uint32) (uint32, error) {
	var n uint32
	count := func(id uint64) (bool, error) {
		r, err := k.Requests.Get(ctx, id)
		if err != nil {
			return true, errorsmod.Wrapf(err, "request %d", id)
		}
		if r.IsPending(t) {
			n++
		}
		return n >= limit, nil
	}
	var err error
	if recordID != 0 {
		err = k.Requests.Indexes.Record.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](recordID),
			func(_ uint64, id uint64) (bool, error) { return count(id) })
	} else {
		err = k.Requests.Indexes.Target.Walk(ctx,
			collections.NewPrefixedPairRange[collections.Pair[sdk.AccAddress, uint64], uint64](collections.Join(owner, uint64(0))),
			func(_ collections.Pair[sdk.AccAddress, uint64], id uint64) (bool, error) { return count(id) })
	}
	return n, err
}

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

// DenyRequest turns a pending request down (its owner only).
func (k msgServer) DenyRequest(ctx context.Context, msg *types.MsgDenyRequest) (*types.MsgDenyRequestResponse, error) {
	if _, err := k.decodeAddress("owner", msg.Owner); err != nil {
		return nil, err
	}
	r, err := k.pendingRequest(ctx, msg.RequestId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.Owner, msg.Owner) {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "request %d was made to %s; only that patient may deny it", r.Id, r.Owner)
	}
	if err := k.closeRequest(ctx, r, "DENIED", 0); err != nil {
		return nil, err
	}
	return &types.MsgDenyRequestResponse{}, nil
}

// CancelRequest withdraws a pending request (its requester only).
func (k msgServer) CancelRequest(ctx context.Context, msg *types.MsgCancelRequest) (*types.MsgCancelRequestResponse, error) {
	if _, err := k.decodeAddress("requester", msg.Requester); err != nil {
		return nil, err
	}
	r, err := k.pendingRequest(ctx, msg.RequestId)
	if err != nil {
		return nil, err
	}
	if !k.sameAddress(r.Requester, msg.Requester) {
		return nil, errorsmod.Wrapf(types.ErrNotRequester, "request %d was made by %s; only it may cancel the request", r.Id, r.Requester)
	}
	if err := k.closeRequest(ctx, r, "CANCELLED", 0); err != nil {
		return nil, err
	}
	return &types.MsgCancelRequestResponse{}, nil
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
