package keeper

import (
	"bytes"
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/collections/indexes"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// multiIndex is the part of indexes.Multi that paginateIndex uses.
type multiIndex[R, PK any] interface {
	Iterate(ctx context.Context, ranger collections.Ranger[collections.Pair[R, PK]]) (indexes.MultiIterator[R, PK], error)
	KeyCodec() collcodec.KeyCodec[collections.Pair[R, PK]]
}

// paginateIndex pages through the entries of a Multi index whose keys start
// with prefix (a full or partial reference key), loading each primary key
// with load. It follows the semantics of the SDK's query.CollectionPaginate,
// which cannot be used here because indexes.Multi has no raw iteration:
// key and offset are exclusive, limit defaults to query.DefaultLimit,
// count_total is honoured for offset pagination, reverse iterates
// backwards, and next_key is the encoded index key of the next entry.
func paginateIndex[R, PK, T any](
	ctx context.Context,
	idx multiIndex[R, PK],
	prefix collections.Pair[R, PK],
	pageReq *query.PageRequest,
	load func(pk PK) (T, error),
) ([]T, *query.PageResponse, error) {
	if pageReq == nil {
		pageReq = &query.PageRequest{}
	}
	if pageReq.Offset > 0 && pageReq.Key != nil {
		return nil, nil, status.Error(codes.InvalidArgument, "pagination: give either key or offset, not both")
	}
	limit := pageReq.Limit
	if limit == 0 {
		limit = query.DefaultLimit
	}
	countTotal := pageReq.CountTotal && pageReq.Key == nil

	rng := new(collections.Range[collections.Pair[R, PK]]).Prefix(prefix)
	if pageReq.Key != nil {
		prefixBytes, err := collections.EncodeKeyWithPrefix(nil, idx.KeyCodec(), prefix)
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		if !bytes.HasPrefix(pageReq.Key, prefixBytes) {
			return nil, nil, status.Error(codes.InvalidArgument, "pagination: key is not a next_key of this query (were the filters changed between pages?)")
		}
		_, start, err := idx.KeyCodec().Decode(pageReq.Key)
		if err != nil {
			return nil, nil, status.Errorf(codes.InvalidArgument, "pagination: key is not a next_key of this query: %s", err)
		}
		if pageReq.Reverse {
			rng.EndInclusive(start)
		} else {
			rng.StartInclusive(start)
		}
	}
	if pageReq.Reverse {
		rng.Descending()
	}

	iter, err := idx.Iterate(ctx, rng)
	if errors.Is(err, collections.ErrInvalidIterator) {
		return nil, nil, status.Error(codes.InvalidArgument, "pagination: key is outside the range of this query")
	}
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	defer iter.Close()

	var (
		results []T
		seen    uint64 // entries passed, including the skipped offset
		nextKey []byte
	)
	for ; iter.Valid(); iter.Next() {
		seen++
		if seen <= pageReq.Offset {
			continue
		}
		if uint64(len(results)) == limit {
			if nextKey == nil {
				fullKey, err := iter.FullKey()
				if err != nil {
					return nil, nil, status.Error(codes.Internal, err.Error())
				}
				nextKey, err = collections.EncodeKeyWithPrefix(nil, idx.KeyCodec(), fullKey)
				if err != nil {
					return nil, nil, status.Error(codes.Internal, err.Error())
				}
			}
			if !countTotal {
				break
			}
			continue
		}
		pk, err := iter.PrimaryKey()
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		item, err := load(pk)
		if err != nil {
			return nil, nil, err
		}
		results = append(results, item)
	}

	pageRes := &query.PageResponse{NextKey: nextKey}
	if countTotal {
		pageRes.Total = seen
	}
	return results, pageRes, nil
}
