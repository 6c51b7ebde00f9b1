package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/internal/indexpage"
	"github.com/medchain/medchain/x/records/types"
)

// Querier implements the records Query service. A REDACTED record is
// returned as its tombstone: its CID and its versions' CIDs are empty in
// state, so no query can return them.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the records Query service backed by keeper.
func NewQuerier(keeper Keeper) Querier {
	return Querier{Keeper: keeper}
}

// Record returns one record.
func (q Querier) Record(ctx context.Context, req *types.QueryRecordRequest) (*types.QueryRecordResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	record, found, err := q.GetRecord(ctx, req.Id)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "no record with id %d", req.Id)
	}
	return &types.QueryRecordResponse{Record: record}, nil
}

// RecordsByOwner lists an owner's records in id order, optionally only one
// kind and/or status. It scans the owner index, never all records.
func (q Querier) RecordsByOwner(ctx context.Context, req *types.QueryRecordsByOwnerRequest) (*types.QueryRecordsByOwnerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.queryAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	if req.Kind != types.RecordKindUnspecified && !req.Kind.IsValid() {
		return nil, status.Errorf(codes.InvalidArgument, "unknown kind %d; use one of: %s", req.Kind, types.ValidRecordKinds())
	}
	if req.Status != types.RecordStatusUnspecified && !req.Status.IsValid() {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d; use active or redacted", req.Status)
	}
	var keep func(types.Record) bool
	if req.Kind != types.RecordKindUnspecified || req.Status != types.RecordStatusUnspecified {
		keep = func(r types.Record) bool {
			return (req.Kind == types.RecordKindUnspecified || r.Kind == req.Kind) &&
				(req.Status == types.RecordStatusUnspecified || r.Status == req.Status)
		}
	}
	records, page, err := q.recordsOf(ctx, q.Records.Indexes.Owner, owner, req.Pagination, keep)
	if err != nil {
		return nil, err
	}
	return &types.QueryRecordsByOwnerResponse{Records: records, Pagination: page}, nil
}

// RecordsByIssuer lists the records an account created, in id order.
func (q Querier) RecordsByIssuer(ctx context.Context, req *types.QueryRecordsByIssuerRequest) (*types.QueryRecordsByIssuerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	issuer, err := q.queryAddress("issuer", req.Issuer)
	if err != nil {
		return nil, err
	}
	records, page, err := q.recordsOf(ctx, q.Records.Indexes.Issuer, issuer, req.Pagination, nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryRecordsByIssuerResponse{Records: records, Pagination: page}, nil
}

// History lists a record's versions, oldest first.
func (q Querier) History(ctx context.Context, req *types.QueryHistoryRequest) (*types.QueryHistoryResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	_, found, err := q.GetRecord(ctx, req.RecordId)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "no record with id %d", req.RecordId)
	}
	versions, page, err := query.CollectionPaginate(ctx, q.Keeper.History, req.Pagination,
		func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (types.RecordVersion, error) {
			return v, nil
		},
		query.WithCollectionPaginationPairPrefix[uint64, uint64](req.RecordId),
	)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryHistoryResponse{Versions: versions, Pagination: page}, nil
}

// NextRecordId returns the id the next record will get.
func (q Querier) NextRecordId(ctx context.Context, req *types.QueryNextRecordIdRequest) (*types.QueryNextRecordIdResponse, error) { //nolint:revive // name from the proto service
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	id, err := q.NextRecordID(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryNextRecordIdResponse{Id: id}, nil
}

// ByCid says which record version a CID belongs to and whether its payload
// is live. A released CID is found through its tombstone (by hash).
func (q Querier) ByCid(ctx context.Context, req *types.QueryByCidRequest) (*types.QueryByCidResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	c, err := types.ValidateCID(req.Cid)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	use, err := q.Keeper.LiveCids.Get(ctx, c.String())
	if err == nil {
		return &types.QueryByCidResponse{Cid: c.String(), RecordId: use.RecordId, Version: use.Version, Live: true}, nil
	}
	if !errors.Is(err, collections.ErrNotFound) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	use, err = q.Keeper.ReleasedCids.Get(ctx, types.CIDHash(c))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "no record has ever used CID %s", c)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryByCidResponse{Cid: c.String(), RecordId: use.RecordId, Version: use.Version}, nil
}

// LiveCids lists the CIDs vaults must keep, in CID order.
func (q Querier) LiveCids(ctx context.Context, req *types.QueryLiveCidsRequest) (*types.QueryLiveCidsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	cids, page, err := query.CollectionPaginate(ctx, q.Keeper.LiveCids, req.Pagination,
		func(c string, use types.CidUse) (types.LiveCid, error) {
			return types.LiveCid{Cid: c, RecordId: use.RecordId, Version: use.Version}, nil
		})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLiveCidsResponse{Cids: cids, Pagination: page}, nil
}

// Placement lists the hospitals whose vaults hold a CID.
func (q Querier) Placement(ctx context.Context, req *types.QueryPlacementRequest) (*types.QueryPlacementResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	c, err := types.ValidateCID(req.Cid)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	replicas, factor, err := q.Place(ctx, c)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryPlacementResponse{Cid: c.String(), ReplicationFactor: factor, Replicas: replicas}, nil
}

// Vaults lists the hospitals whose vaults hold replicas, and the factor.
func (q Querier) Vaults(ctx context.Context, req *types.QueryVaultsRequest) (*types.QueryVaultsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	replicas, factor, err := q.Replicas(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryVaultsResponse{ReplicationFactor: factor, Vaults: vaultReplicas(replicas)}, nil
}

// Archives lists a record's Filecoin archive entries, of one version or of
// all, in (version, piece CID) order; expired says whether each deal has
// ended at the block time.
func (q Querier) Archives(ctx context.Context, req *types.QueryArchivesRequest) (*types.QueryArchivesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	record, found, err := q.GetRecord(ctx, req.RecordId)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "no record with id %d", req.RecordId)
	}
	if req.Version > record.Version {
		return nil, status.Errorf(codes.NotFound, "record %d has no version %d (its versions are 1 to %d)", req.RecordId, req.Version, record.Version)
	}
	prefix := collections.TriplePrefix[uint64, uint64, string](req.RecordId)
	if req.Version != 0 {
		prefix = collections.TripleSuperPrefix[uint64, uint64, string](req.RecordId, req.Version)
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	entries, page, err := query.CollectionPaginate(ctx, q.Keeper.Archives, req.Pagination,
		func(_ collections.Triple[uint64, uint64, string], e types.ArchiveEntry) (types.ArchiveEntryView, error) {
			return e.View(now), nil
		},
		func(o *query.CollectionsPaginateOptions[collections.Triple[uint64, uint64, string]]) {
			o.Prefix = &prefix
		},
	)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryArchivesResponse{Entries: entries, Pagination: page}, nil
}

// Params returns the module parameters in force.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// queryAddress reads a bech32 account address from a query field.
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

// recordsOf pages through the records an (account, record id) index lists
// under account, in id order: an index scan that reads only the account's
// entries.
func (q Querier) recordsOf(
	ctx context.Context,
	idx *indexes.Multi[sdk.AccAddress, uint64, types.Record],
	account sdk.AccAddress,
	pageReq *query.PageRequest,
	keep func(types.Record) bool,
) ([]types.Record, *query.PageResponse, error) {
	return indexpage.Paginate(ctx, idx, collections.PairPrefix[sdk.AccAddress, uint64](account), pageReq,
		func(id uint64) (types.Record, error) {
			record, err := q.Records.Get(ctx, id)
			if err != nil {
				return types.Record{}, status.Errorf(codes.Internal, "record %d: %s", id, err)
			}
			return record, nil
		}, keep)
}
