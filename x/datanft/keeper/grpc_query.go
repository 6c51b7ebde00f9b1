package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/internal/indexpage"
	"github.com/medchain/medchain/x/datanft/types"
)

// queryErr turns a keeper error into a gRPC status: not-found errors stay
// NotFound, the rest are internal.
func queryErr(err error) error {
	if errors.Is(err, types.ErrNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func (k Keeper) queryAddress(field, addr string) (sdk.AccAddress, error) {
	a, err := k.decode(field, addr)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return a, nil
}

// owned adds a data-NFT's owner (from x/nft) and its listing.
func (k Keeper) owned(ctx context.Context, n types.DataNFT) (types.OwnedDataNFT, error) {
	out := types.OwnedDataNFT{Nft: n}
	if owner := k.nft.GetOwner(ctx, n.ClassId, n.Id); owner != nil {
		out.Owner = k.str(owner)
	}
	l, err := k.Listings.Get(ctx, collections.Join(n.ClassId, n.Id))
	switch {
	case err == nil:
		out.Listing = &l
	case !errors.Is(err, collections.ErrNotFound):
		return out, err
	}
	return out, nil
}

// Params returns the module parameters.
func (q Querier) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	k := q.Keeper
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// NFT returns one data-NFT.
func (q Querier) NFT(ctx context.Context, req *types.QueryNFTRequest) (*types.QueryNFTResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	n, err := k.dataNFT(ctx, req.ClassId, req.NftId)
	if err != nil {
		return nil, queryErr(err)
	}
	o, err := k.owned(ctx, n)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryNFTResponse{Nft: o}, nil
}

// NFTByRecord returns the data-NFT of a record.
func (q Querier) NFTByRecord(ctx context.Context, req *types.QueryNFTByRecordRequest) (*types.QueryNFTResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	key, err := k.NFTs.Indexes.Record.MatchExact(ctx, req.RecordId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "record %d has no data-NFT", req.RecordId)
	}
	if err != nil {
		return nil, queryErr(err)
	}
	return q.NFT(ctx, &types.QueryNFTRequest{ClassId: key.K1(), NftId: key.K2()})
}

// loadOwned loads a data-NFT by key with its owner and listing.
func (k Keeper) loadOwned(ctx context.Context) func(NFTKey) (types.OwnedDataNFT, error) {
	return func(key NFTKey) (types.OwnedDataNFT, error) {
		n, err := k.NFTs.Get(ctx, key)
		if err != nil {
			return types.OwnedDataNFT{}, status.Errorf(codes.Internal, "data-NFT %s/%s: %s", key.K1(), key.K2(), err)
		}
		return k.owned(ctx, n)
	}
}

// NFTsByOwner lists the data-NFTs an account holds. It pages through the
// account's tokens in x/nft and keeps the data-NFTs, so a page may hold
// fewer than limit entries (the identity NFT is skipped).
func (q Querier) NFTsByOwner(ctx context.Context, req *types.QueryNFTsByOwnerRequest) (*types.QueryNFTsResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := k.queryAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	res, err := k.nft.NFTs(ctx, &nft.QueryNFTsRequest{Owner: k.str(owner), Pagination: req.Pagination})
	if err != nil {
		return nil, err
	}
	out := &types.QueryNFTsResponse{Nfts: []types.OwnedDataNFT{}, Pagination: res.Pagination}
	for _, t := range res.Nfts {
		n, err := k.NFTs.Get(ctx, collections.Join(t.ClassId, t.Id))
		if errors.Is(err, collections.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, queryErr(err)
		}
		o, err := k.owned(ctx, n)
		if err != nil {
			return nil, queryErr(err)
		}
		out.Nfts = append(out.Nfts, o)
	}
	return out, nil
}

// NFTsByClass lists the data-NFTs of a class.
func (q Querier) NFTsByClass(ctx context.Context, req *types.QueryNFTsByClassRequest) (*types.QueryNFTsResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if has, err := k.Classes.Has(ctx, req.ClassId); err != nil {
		return nil, queryErr(err)
	} else if !has {
		return nil, status.Errorf(codes.NotFound, "there is no data-NFT class %q", req.ClassId)
	}
	load := k.loadOwned(ctx)
	nfts, page, err := query.CollectionPaginate(ctx, k.NFTs, req.Pagination,
		func(key NFTKey, _ types.DataNFT) (types.OwnedDataNFT, error) { return load(key) },
		query.WithCollectionPaginationPairPrefix[string, string](req.ClassId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryNFTsResponse{Nfts: nfts, Pagination: page}, nil
}

// NFTsByProducer lists the data-NFTs an issuer produced.
func (q Querier) NFTsByProducer(ctx context.Context, req *types.QueryNFTsByProducerRequest) (*types.QueryNFTsResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	producer, err := k.queryAddress("producer", req.Producer)
	if err != nil {
		return nil, err
	}
	nfts, page, err := indexpage.Paginate(ctx, k.NFTs.Indexes.Producer,
		collections.PairPrefix[sdk.AccAddress, NFTKey](producer), req.Pagination, k.loadOwned(ctx), nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryNFTsResponse{Nfts: nfts, Pagination: page}, nil
}

// Classes lists the data-NFT classes.
func (q Querier) Classes(ctx context.Context, req *types.QueryClassesRequest) (*types.QueryClassesResponse, error) {
	k := q.Keeper
	if req == nil {
		req = &types.QueryClassesRequest{}
	}
	classes, page, err := query.CollectionPaginate(ctx, k.Classes, req.Pagination,
		func(_ string, c types.Class) (types.Class, error) { return c, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryClassesResponse{Classes: classes, Pagination: page}, nil
}

// Listings lists the data-NFTs for sale.
func (q Querier) Listings(ctx context.Context, req *types.QueryListingsRequest) (*types.QueryListingsResponse, error) {
	k := q.Keeper
	if req == nil {
		req = &types.QueryListingsRequest{}
	}
	listings, page, err := query.CollectionPaginate(ctx, k.Listings, req.Pagination,
		func(_ NFTKey, l types.Listing) (types.Listing, error) { return l, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryListingsResponse{Listings: listings, Pagination: page}, nil
}

// Licence returns one licence.
func (q Querier) Licence(ctx context.Context, req *types.QueryLicenceRequest) (*types.QueryLicenceResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := k.Licences.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "there is no licence %d", req.Id)
	}
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryLicenceResponse{Licence: l}, nil
}

func (k Keeper) loadLicence(ctx context.Context) func(uint64) (types.Licence, error) {
	return func(id uint64) (types.Licence, error) {
		l, err := k.Licences.Get(ctx, id)
		if err != nil {
			return l, status.Errorf(codes.Internal, "licence %d: %s", id, err)
		}
		return l, nil
	}
}

// LicencesByBuyer lists the licences an account bought.
func (q Querier) LicencesByBuyer(ctx context.Context, req *types.QueryLicencesByBuyerRequest) (*types.QueryLicencesResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	buyer, err := k.queryAddress("buyer", req.Buyer)
	if err != nil {
		return nil, err
	}
	ls, page, err := indexpage.Paginate(ctx, k.Licences.Indexes.Buyer,
		collections.PairPrefix[sdk.AccAddress, uint64](buyer), req.Pagination, k.loadLicence(ctx), nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryLicencesResponse{Licences: ls, Pagination: page}, nil
}

// LicencesByNFT lists the licences of a data-NFT.
func (q Querier) LicencesByNFT(ctx context.Context, req *types.QueryLicencesByNFTRequest) (*types.QueryLicencesResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := k.dataNFT(ctx, req.ClassId, req.NftId); err != nil {
		return nil, queryErr(err)
	}
	ls, page, err := indexpage.Paginate(ctx, k.Licences.Indexes.NFT,
		collections.PairPrefix[string, uint64](nftRef(req.ClassId, req.NftId)), req.Pagination, k.loadLicence(ctx), nil)
	if err != nil {
		return nil, err
	}
	return &types.QueryLicencesResponse{Licences: ls, Pagination: page}, nil
}

// PendingLicences lists the licences a record owner has to fulfil.
func (q Querier) PendingLicences(ctx context.Context, req *types.QueryPendingLicencesRequest) (*types.QueryLicencesResponse, error) {
	k := q.Keeper
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := k.queryAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	load := k.loadLicence(ctx)
	ls, page, err := query.CollectionPaginate(ctx, k.PendingByOwner, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ int64) (types.Licence, error) {
			return load(key.K2())
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](owner))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLicencesResponse{Licences: ls, Pagination: page}, nil
}

// Pseudonym says whether a hospital vouched for an account as a patient's
// pseudonym.
func (q Querier) Pseudonym(ctx context.Context, req *types.QueryPseudonymRequest) (*types.QueryPseudonymResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.queryAddress("address", req.Address)
	if err != nil {
		return nil, err
	}
	p, err := q.Pseudonyms.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return &types.QueryPseudonymResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryPseudonymResponse{Vouched: true, Pseudonym: p}, nil
}

// Querier implements the datanft Query service.
type Querier struct{ Keeper }

// NewQuerier returns the datanft Query service backed by keeper.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }
