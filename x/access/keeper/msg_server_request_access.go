package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"

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
	// of its own, and requesters x/issuers does not authorise share only a
	// quarter of it. Checked before anything below writes.
	onTarget, strangers, err := k.pendingOnTarget(ctx, owner, msg.RecordId, t, params.MaxPendingRequestsPerRecord)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("record %d", msg.RecordId)
	if msg.RecordId == 0 {
		what = fmt.Sprintf("the scope of %s", msg.Owner)
	}
	if onTarget >= params.MaxPendingRequestsPerRecord {
		return nil, errorsmod.Wrapf(types.ErrTooManyRecordRequests,
			"%s already has %d pending requests, the limit (params max_pending_requests_per_record is %d); the owner can deny them, or you can ask again once they expire",
			what, onTarget, params.MaxPendingRequestsPerRecord)
	}
	if share := strangersShare(params.MaxPendingRequestsPerRecord); strangers >= share {
		auth, err := k.issuers.IsAuthorised(ctx, requester)
		if err != nil {
			return nil, err
		}
		if !auth.Authorised {
			return nil, errorsmod.Wrapf(types.ErrTooManyRecordRequests,
				"%s already has %d pending requests from accounts that are not authorised issuers, their share (a quarter of params max_pending_requests_per_record %d); the rest is kept for clinicians; the owner can deny them, or you can ask again once they expire",
				what, strangers, params.MaxPendingRequestsPerRecord)
		}
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
