package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/internal/indexpage"
	"github.com/medchain/medchain/x/issuers/types"
)

// Querier implements the issuers Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the issuers Query service backed by keeper.
func NewQuerier(keeper Keeper) Querier {
	return Querier{Keeper: keeper}
}

// Issuer returns one issuer.
func (q Querier) Issuer(ctx context.Context, req *types.QueryIssuerRequest) (*types.QueryIssuerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.queryAddress("address", req.Address)
	if err != nil {
		return nil, err
	}
	issuer, found, err := q.GetIssuer(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "%s is not a registered issuer", req.Address)
	}
	return &types.QueryIssuerResponse{Issuer: issuer}, nil
}

// Issuers lists issuers in address order, optionally only those of one kind
// and/or status. Filtered lists are read from the indexes, never by
// scanning every issuer; a list filtered by status alone comes from the
// (status, kind) index and is therefore grouped by kind.
func (q Querier) Issuers(ctx context.Context, req *types.QueryIssuersRequest) (*types.QueryIssuersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Kind != types.IssuerKindUnspecified && !req.Kind.IsValid() {
		return nil, status.Errorf(codes.InvalidArgument, "unknown kind %d; use one of: %s", req.Kind, types.ValidIssuerKinds())
	}
	if req.Status != types.IssuerStatusUnspecified && !req.Status.IsValid() {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d; use one of: %s", req.Status, types.ValidIssuerStatuses())
	}

	load := func(addr sdk.AccAddress) (types.Issuer, error) {
		issuer, err := q.Keeper.Issuers.Get(ctx, addr)
		if err != nil {
			return types.Issuer{}, status.Error(codes.Internal, err.Error())
		}
		return issuer, nil
	}

	var (
		issuers []types.Issuer
		pageRes *query.PageResponse
		err     error
	)
	switch {
	case req.Status != types.IssuerStatusUnspecified && req.Kind != types.IssuerKindUnspecified:
		issuers, pageRes, err = indexpage.Paginate(ctx, q.Keeper.Issuers.Indexes.Status,
			collections.PairPrefix[collections.Pair[int32, int32], sdk.AccAddress](statusKindKey(req.Status, req.Kind)),
			req.Pagination, load, nil)
	case req.Status != types.IssuerStatusUnspecified:
		issuers, pageRes, err = indexpage.Paginate(ctx, q.Keeper.Issuers.Indexes.Status,
			collections.PairPrefix[collections.Pair[int32, int32], sdk.AccAddress](collections.PairPrefix[int32, int32](int32(req.Status))),
			req.Pagination, load, nil)
	case req.Kind != types.IssuerKindUnspecified:
		issuers, pageRes, err = indexpage.Paginate(ctx, q.Keeper.Issuers.Indexes.Kind,
			collections.PairPrefix[int32, sdk.AccAddress](int32(req.Kind)),
			req.Pagination, load, nil)
	default:
		issuers, pageRes, err = query.CollectionPaginate(ctx, q.Keeper.Issuers, req.Pagination,
			func(_ sdk.AccAddress, issuer types.Issuer) (types.Issuer, error) { return issuer, nil })
		if err != nil {
			err = status.Error(codes.InvalidArgument, err.Error())
		}
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryIssuersResponse{Issuers: issuers, Pagination: pageRes}, nil
}

// Practitioner returns one practitioner with its status derived from its
// organisation.
func (q Querier) Practitioner(ctx context.Context, req *types.QueryPractitionerRequest) (*types.QueryPractitionerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.queryAddress("address", req.Address)
	if err != nil {
		return nil, err
	}
	p, found, err := q.GetPractitioner(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "%s is not a practitioner of any organisation", req.Address)
	}
	return &types.QueryPractitionerResponse{Practitioner: p}, nil
}

// Practitioners lists an organisation's practitioners in address order,
// from the organisation index, with their status derived from the
// organisation.
func (q Querier) Practitioners(ctx context.Context, req *types.QueryPractitionersRequest) (*types.QueryPractitionersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	orgAddr, err := q.queryAddress("organisation", req.Organisation)
	if err != nil {
		return nil, err
	}
	org, found, err := q.GetIssuer(ctx, orgAddr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "%s is not a registered issuer", req.Organisation)
	}
	practitionerStatus := types.PractitionerStatusFor(org.Status)

	practitioners, pageRes, err := indexpage.Paginate(ctx, q.Keeper.Practitioners.Indexes.Organisation,
		collections.PairPrefix[sdk.AccAddress, sdk.AccAddress](orgAddr),
		req.Pagination,
		func(addr sdk.AccAddress) (types.Practitioner, error) {
			p, err := q.Keeper.Practitioners.Get(ctx, addr)
			if err != nil {
				return types.Practitioner{}, status.Error(codes.Internal, err.Error())
			}
			p.Status = practitionerStatus
			return p, nil
		}, nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryPractitionersResponse{Practitioners: practitioners, Pagination: pageRes}, nil
}

// IsAuthorised answers whether an address may act as an issuer right now;
// see Keeper.IsAuthorised.
func (q Querier) IsAuthorised(ctx context.Context, req *types.QueryIsAuthorisedRequest) (*types.QueryIsAuthorisedResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.queryAddress("address", req.Address)
	if err != nil {
		return nil, err
	}
	a, err := q.Keeper.IsAuthorised(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryIsAuthorisedResponse{
		Authorised:   a.Authorised,
		Organisation: a.Organisation,
		Kind:         a.Kind,
		Role:         a.Role,
		Reason:       a.Reason,
	}, nil
}

// Params returns the module parameters in force.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}

	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		if errors.Is(err, collections.ErrNotFound) {
			return nil, status.Error(codes.NotFound, "issuers params are not set; was the module's genesis initialised?")
		}
		return nil, status.Error(codes.Internal, err.Error())
	}

	return &types.QueryParamsResponse{Params: params}, nil
}

// queryAddress decodes an address argument of a query.
func (q Querier) queryAddress(field, addr string) (sdk.AccAddress, error) {
	if addr == "" {
		return nil, status.Errorf(codes.InvalidArgument, "%s is empty", field)
	}
	bz, err := q.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s %q: %s", field, addr, err)
	}
	return bz, nil
}
