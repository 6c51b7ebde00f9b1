package keeper

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/internal/indexpage"
	"github.com/medchain/medchain/x/access/types"
)

// EmergencyPolicy returns a patient's emergency policy.
func (q Querier) EmergencyPolicy(ctx context.Context, req *types.QueryEmergencyPolicyRequest) (*types.QueryEmergencyPolicyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	patient, err := queryAddress(q.addressCodec, "patient", req.Patient)
	if err != nil {
		return nil, err
	}
	p, err := q.EmergencyPolicies.Get(ctx, patient)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "%s has no emergency policy", req.Patient)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEmergencyPolicyResponse{Policy: p}, nil
}

// EmergencyLog lists every emergency access to a patient's records, newest
// first (index scan).
func (q Querier) EmergencyLog(ctx context.Context, req *types.QueryEmergencyLogRequest) (*types.QueryEmergencyLogResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	patient, err := queryAddress(q.addressCodec, "patient", req.Patient)
	if err != nil {
		return nil, err
	}
	page := query.PageRequest{}
	if req.Pagination != nil {
		page = *req.Pagination
	}
	page.Reverse = true
	accesses, resp, err := indexpage.Paginate(ctx, q.EmergencyAccesses.Indexes.Patient, collections.PairPrefix[sdk.AccAddress, uint64](patient), &page,
		func(id uint64) (types.EmergencyAccess, error) { return q.EmergencyAccesses.Get(ctx, id) }, nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryEmergencyLogResponse{Accesses: accesses, Pagination: resp}, nil
}

// EmergencyAccess returns one emergency access with its releases and what
// a practitioner needs to check them.
func (q Querier) EmergencyAccess(ctx context.Context, req *types.QueryEmergencyAccessRequest) (*types.QueryEmergencyAccessResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	a, err := q.EmergencyAccesses.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "emergency access %d does not exist", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp := &types.QueryEmergencyAccessResponse{Access: a, Open: a.IsOpen(now(ctx))}
	patient, err := q.addressCodec.StringToBytes(a.Patient)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if p, err := q.EmergencyPolicies.Get(ctx, patient); err == nil && p.KeyId == a.EmergencyKeyId {
		resp.Threshold, resp.Commitments = p.Threshold, p.Commitments
	}
	return resp, nil
}

// OpenEmergencyAccesses lists the accesses whose window is open, soonest
// to close first.
func (q Querier) OpenEmergencyAccesses(ctx context.Context, req *types.QueryOpenEmergencyAccessesRequest) (*types.QueryOpenEmergencyAccessesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	t := now(ctx)
	accesses, page, err := query.CollectionFilteredPaginate(ctx, q.EmergencyExpiry, req.Pagination,
		func(key collections.Pair[time.Time, uint64], _ collections.NoValue) (bool, error) {
			return t.Before(key.K1()), nil
		},
		func(key collections.Pair[time.Time, uint64], _ collections.NoValue) (types.EmergencyAccess, error) {
			return q.EmergencyAccesses.Get(ctx, key.K2())
		})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryOpenEmergencyAccessesResponse{Accesses: accesses, Pagination: page}, nil
}

// Recovery returns one key recovery with what its new owner needs to check
// the approvals.
func (q Querier) Recovery(ctx context.Context, req *types.QueryRecoveryRequest) (*types.QueryRecoveryResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	r, err := q.Recoveries.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "recovery %d does not exist", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp := &types.QueryRecoveryResponse{Recovery: r}
	if p, err := q.recoveryPolicy(ctx, r); err == nil {
		resp.Threshold, resp.Commitments = p.Threshold, p.Commitments
	}
	return resp, nil
}

// Wrap returns the stored wrap of a record's key for one reader.
func (q Querier) Wrap(ctx context.Context, req *types.QueryWrapRequest) (*types.QueryWrapResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	reader, err := queryAddress(q.addressCodec, "reader", req.Reader)
	if err != nil {
		return nil, err
	}
	w, err := q.Wraps.Get(ctx, collections.Join(req.RecordId, reader))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "record %d has no wrap for %s", req.RecordId, req.Reader)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryWrapResponse{Wrap: w}, nil
}
