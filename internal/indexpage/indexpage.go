// Package indexpage paginates query results over a collections Multi index,
// which the SDK's query.CollectionPaginate cannot do because indexes.Multi
// has no raw iteration. medchain's modules use it to list an account's
// entries (an organisation's practitioners, a patient's records) as an
// index scan rather than a scan of the whole collection.
package indexpage

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

// Index is the part of indexes.Multi that Paginate uses.
type Index[R, PK any] interface {
	Iterate(ctx context.Context, ranger collections.Ranger[collections.Pair[R, PK]]) (indexes.MultiIterator[R, PK], error)
	KeyCodec() collcodec.KeyCodec[collections.Pair[R, PK]]
}

// Paginate pages through the entries of idx whose keys start with prefix (a
// full or partial reference key), loading each primary key with load and,
// when keep is not nil, keeping only the items it accepts. The semantics
// follow query.CollectionPaginate: key and offset are exclusive, limit
// defaults to query.DefaultLimit, offset and count_total count kept items,
// count_total is honoured for offset pagination, reverse iterates
// backwards, and next_key is the encoded index key of the next kept item.
// Without keep, only the items of the page are loaded.
func Paginate[R, PK, T any](
	ctx context.Context,
	idx Index[R, PK],
	prefix collections.Pair[R, PK],
	pageReq *query.PageRequest,
	load func(pk PK) (T, error),
	keep func(T) bool,
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
			return nil, nil, status.Error(codes.InvalidArgument,
				"pagination: key is not a next_key of this query (were the query's filters changed between pages?)")
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

	loadCurrent := func() (T, error) {
		pk, err := iter.PrimaryKey()
		if err != nil {
			var zero T
			return zero, status.Error(codes.Internal, err.Error())
		}
		return load(pk)
	}

	var (
		results []T
		seen    uint64 // kept items passed, including the skipped offset
		nextKey []byte
	)
	for ; iter.Valid(); iter.Next() {
		var (
			item   T
			loaded bool
		)
		if keep != nil {
			if item, err = loadCurrent(); err != nil {
				return nil, nil, err
			}
			if !keep(item) {
				continue
			}
			loaded = true
		}
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
				if nextKey, err = collections.EncodeKeyWithPrefix(nil, idx.KeyCodec(), fullKey); err != nil {
					return nil, nil, status.Error(codes.Internal, err.Error())
				}
			}
			if !countTotal {
				break
			}
			continue
		}
		if !loaded {
			if item, err = loadCurrent(); err != nil {
				return nil, nil, err
			}
		}
		results = append(results, item)
	}

	pageRes := &query.PageResponse{NextKey: nextKey}
	if countTotal {
		pageRes.Total = seen
	}
	return results, pageRes, nil
}
