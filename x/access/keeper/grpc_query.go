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
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Querier implements the access Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the access Query service backed by keeper.
func NewQuerier(keeper Keeper) Querier { return Querier{Keeper: keeper} }

// CheckAccess answers "may grantee READ/WRITE record now?". The owner
// always may. Anyone else needs a live grant for itself or, for a
// practitioner, for its ACTIVE organisation: the record grant (key
// RecordAccessStoreKey) or the owner's scope grant covering the record's
// kind (key ScopeAccessStoreKey). For READ the answer carries the wrap of
// whoever the grant is to.
func (q Querier) CheckAccess(ctx context.Context, req *types.QueryCheckAccessRequest) (*types.QueryCheckAccessResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	grantee, err := queryAddress(q.addressCodec, "grantee", req.Grantee)
	if err != nil {
		return nil, err
	}
	permission := req.Permission
	if permission == types.PermissionUnspecified {
		permission = types.PermissionRead
	}
	if !permission.IsValid() {
		return nil, status.Errorf(codes.InvalidArgument, "permission %s is not valid; use read or write", permission)
	}
	record, found, err := q.records.GetRecord(ctx, req.RecordId)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "record %d does not exist", req.RecordId)
	}
	resp := &types.QueryCheckAccessResponse{KeyEpoch: record.KeyEpoch, EpochCid: record.EpochCid}
	owner, err := q.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	d, err := types.Decide(ctx, keeperState{q}, record, owner, grantee, permission, now(ctx))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp.Allowed, resp.Reason = d.Allowed, d.Reason
	if !d.Allowed {
		return resp, nil
	}
	if d.GrantID != 0 {
		g, err := q.Grants.Get(ctx, d.GrantID)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "grant %d: %s", d.GrantID, err)
		}
		resp.Grant = &g
	}
	if d.ViaOrganisation {
		resp.ViaOrganisation = q.str(d.Holder)
	}
	if d.EmergencyAccessID != 0 {
		resp.EmergencyAccessId, resp.EmergencyReader = d.EmergencyAccessID, q.str(d.Holder)
	}
	if permission == types.PermissionRead {
		resp.Wrap, err = q.currentWrap(ctx, record, d.Holder)
	}
	return resp, err
}

// keeperState is the access decision's view of this chain's state.
type keeperState struct{ q Querier }

func (s keeperState) Authorisation(ctx context.Context, addr sdk.AccAddress) (bool, sdk.AccAddress, string, error) {
	auth, err := s.q.issuers.IsAuthorised(ctx, addr)
	if err != nil {
		return false, nil, "", err
	}
	var org sdk.AccAddress
	if auth.Organisation != "" {
		if bz, err := s.q.addressCodec.StringToBytes(auth.Organisation); err == nil {
			org = bz
		}
	}
	return auth.Authorised, org, auth.Reason, nil
}

func (s keeperState) AddressString(addr sdk.AccAddress) string { return s.q.str(addr) }

func (s keeperState) Entry(ctx context.Context, recordID uint64, owner, who sdk.AccAddress, perm types.Permission) (types.AccessEntry, bool, error) {
	return s.q.accessEntry(ctx, recordID, owner, who, perm)
}

func (s keeperState) Emergency(ctx context.Context, patient, practitioner sdk.AccAddress) (types.EmergencyEntry, bool, error) {
	e, err := s.q.EmergencyOpen.Get(ctx, collections.Join(patient, practitioner))
	if errors.Is(err, collections.ErrNotFound) {
		return e, false, nil
	}
	return e, err == nil, err
}

// currentWrap returns reader's wrap of record at its current key epoch.
func (q Querier) currentWrap(ctx context.Context, record recordstypes.Record, reader sdk.AccAddress) (*types.Wrap, error) {
	w, err := q.Wraps.Get(ctx, collections.Join(record.Id, reader))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if w.KeyEpoch != record.KeyEpoch {
		return nil, nil
	}
	return &w, nil
}

// Grant returns one grant.
func (q Querier) Grant(ctx context.Context, req *types.QueryGrantRequest) (*types.QueryGrantResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	g, err := q.Grants.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "grant %d does not exist (revoked, expired, or never made)", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryGrantResponse{Grant: g}, nil
}

// GrantsByOwner lists an owner's grants in id order (index scan).
func (q Querier) GrantsByOwner(ctx context.Context, req *types.QueryGrantsByOwnerRequest) (*types.QueryGrantsByOwnerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := queryAddress(q.addressCodec, "owner", req.Owner)
	if err != nil {
		return nil, err
	}
	grants, page, err := q.grantsOf(ctx, q.Grants.Indexes.Owner, owner, req.Pagination)
	if err != nil {
		return nil, err
	}
	return &types.QueryGrantsByOwnerResponse{Grants: grants, Pagination: page}, nil
}

// GrantsByGrantee lists a grantee's grants in id order (index scan).
func (q Querier) GrantsByGrantee(ctx context.Context, req *types.QueryGrantsByGranteeRequest) (*types.QueryGrantsByGranteeResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	grantee, err := queryAddress(q.addressCodec, "grantee", req.Grantee)
	if err != nil {
		return nil, err
	}
	grants, page, err := q.grantsOf(ctx, q.Grants.Indexes.Grantee, grantee, req.Pagination)
	if err != nil {
		return nil, err
	}
	return &types.QueryGrantsByGranteeResponse{Grants: grants, Pagination: page}, nil
}

// GrantsByRecord lists a record's own grants (paginated) and the owner's
// scope grants covering it.
func (q Querier) GrantsByRecord(ctx context.Context, req *types.QueryGrantsByRecordRequest) (*types.QueryGrantsByRecordResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	record, found, err := q.records.GetRecord(ctx, req.RecordId)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !found || req.RecordId == 0 {
		return nil, status.Errorf(codes.NotFound, "record %d does not exist", req.RecordId)
	}
	grants, page, err := indexpage.Paginate(ctx, q.Grants.Indexes.Record, collections.PairPrefix[uint64, uint64](record.Id),
		req.Pagination, q.loadGrant(ctx), nil)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryGrantsByRecordResponse{Grants: grants, Pagination: page}
	owner, err := q.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if record.Status == recordstypes.RecordStatusRedacted {
		return resp, nil
	}
	err = q.ScopeAccess.Walk(ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, int32](owner),
		func(_ collections.Triple[sdk.AccAddress, sdk.AccAddress, int32], e types.AccessEntry) (bool, error) {
			if !types.CoversKind(e.Kinds, record.Kind) {
				return false, nil
			}
			g, err := q.Grants.Get(ctx, e.GrantId)
			if err != nil {
				return true, err
			}
			resp.ScopeGrants = append(resp.ScopeGrants, g)
			return false, nil
		})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return resp, nil
}

func (q Querier) loadGrant(ctx context.Context) func(uint64) (types.Grant, error) {
	return func(id uint64) (types.Grant, error) {
		g, err := q.Grants.Get(ctx, id)
		if err != nil {
			return g, status.Errorf(codes.Internal, "grant %d: %s", id, err)
		}
		return g, nil
	}
}

func (q Querier) grantsOf(ctx context.Context, idx *indexes.Multi[sdk.AccAddress, uint64, types.Grant], account sdk.AccAddress, page *query.PageRequest) ([]types.Grant, *query.PageResponse, error) {
	return indexpage.Paginate(ctx, idx, collections.PairPrefix[sdk.AccAddress, uint64](account), page, q.loadGrant(ctx), nil)
}

// Request returns one pending request.
func (q Querier) Request(ctx context.Context, req *types.QueryRequestRequest) (*types.QueryRequestResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	r, err := q.Requests.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "request %d is not pending (answered, cancelled, expired, or never made)", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if !r.IsPending(now(ctx)) {
		return nil, status.Errorf(codes.NotFound, "request %d is not pending: it expired at %s", req.Id, r.ExpiresAt.UTC())
	}
	return &types.QueryRequestResponse{Request: r}, nil
}

// RequestsByOwner lists the pending requests made to an owner.
func (q Querier) RequestsByOwner(ctx context.Context, req *types.QueryRequestsByOwnerRequest) (*types.QueryRequestsByOwnerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := queryAddress(q.addressCodec, "owner", req.Owner)
	if err != nil {
		return nil, err
	}
	requests, page, err := q.requestsOf(ctx, q.Requests.Indexes.Owner, owner, req.Pagination)
	if err != nil {
		return nil, err
	}
	return &types.QueryRequestsByOwnerResponse{Requests: requests, Pagination: page}, nil
}

// RequestsByRequester lists the pending requests an account made.
func (q Querier) RequestsByRequester(ctx context.Context, req *types.QueryRequestsByRequesterRequest) (*types.QueryRequestsByRequesterResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	requester, err := queryAddress(q.addressCodec, "requester", req.Requester)
	if err != nil {
		return nil, err
	}
	requests, page, err := q.requestsOf(ctx, q.Requests.Indexes.Requester, requester, req.Pagination)
	if err != nil {
		return nil, err
	}
	return &types.QueryRequestsByRequesterResponse{Requests: requests, Pagination: page}, nil
}

// requestsOf pages through the requests of account in idx that are still
// pending: expired ones waiting for EndBlock are left out.
func (q Querier) requestsOf(ctx context.Context, idx *indexes.Multi[sdk.AccAddress, uint64, types.AccessRequest], account sdk.AccAddress, page *query.PageRequest) ([]types.AccessRequest, *query.PageResponse, error) {
	t := now(ctx)
	return indexpage.Paginate(ctx, idx, collections.PairPrefix[sdk.AccAddress, uint64](account), page,
		func(id uint64) (types.AccessRequest, error) {
			r, err := q.Requests.Get(ctx, id)
			if err != nil {
				return r, status.Errorf(codes.Internal, "request %d: %s", id, err)
			}
			return r, nil
		}, func(r types.AccessRequest) bool { return r.IsPending(t) })
}

// EncryptionKey returns an account's current key, or the key with key_id.
func (q Querier) EncryptionKey(ctx context.Context, req *types.QueryEncryptionKeyRequest) (*types.QueryEncryptionKeyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := queryAddress(q.addressCodec, "address", req.Address)
	if err != nil {
		return nil, err
	}
	current, hasCurrent, err := q.CurrentKey(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if req.KeyId == "" {
		if !hasCurrent {
			return nil, status.Errorf(codes.NotFound, "%s has no registered encryption key; it must run `medchaind tx access register-key`", req.Address)
		}
		return &types.QueryEncryptionKeyResponse{Key: current, Current: true}, nil
	}
	key, err := q.Keys.Get(ctx, collections.Join(addr, req.KeyId))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "%s has no key %q", req.Address, req.KeyId)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEncryptionKeyResponse{Key: key, Current: hasCurrent && current.KeyId == key.KeyId}, nil
}

// EncryptionKeys lists every key an account registered, oldest first.
func (q Querier) EncryptionKeys(ctx context.Context, req *types.QueryEncryptionKeysRequest) (*types.QueryEncryptionKeysResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := queryAddress(q.addressCodec, "address", req.Address)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryEncryptionKeysResponse{}
	err = q.Keys.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, string](addr),
		func(_ collections.Pair[sdk.AccAddress, string], key types.EncryptionKey) (bool, error) {
			resp.Keys = append(resp.Keys, key)
			return false, nil
		})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	sortKeysByTime(resp.Keys)
	if current, found, err := q.CurrentKey(ctx, addr); err == nil && found {
		resp.CurrentKeyId = current.KeyId
	}
	return resp, nil
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
