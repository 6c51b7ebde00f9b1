package keeper

import (
	"bytes"
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/x/records/types"
)

// recordIndex is one of the (account, record id) indexes of Keeper.Records.
type recordIndex = *indexes.Multi[sdk.AccAddress, uint64, types.Record]

// paginateRecords pages through the records an index lists under account,
// in id order, keeping only those keep accepts (nil keeps all). It is an
// index scan: only the account's entries are read. It follows the semantics
// of the SDK's query.CollectionPaginate, which cannot be used on a Multi
// index: key and offset are exclusive, limit defaults to
// query.DefaultLimit, offset and count_total count matching records,
// count_total is honoured for offset pagination, reverse iterates
// backwards, and next_key is the encoded index key of the next match.
func (k Keeper) paginateRecords(
	ctx context.Context,
	idx recordIndex,
	account sdk.AccAddress,
	pageReq *query.PageRequest,
	keep func(types.Record) bool,
) ([]types.Record, *query.PageResponse, error) {
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

	keyCodec := idx.KeyCodec()
	prefix := collections.PairPrefix[sdk.AccAddress, uint64](account)
	rng := new(collections.Range[collections.Pair[sdk.AccAddress, uint64]]).Prefix(prefix)
	if pageReq.Key != nil {
		prefixBytes, err := collections.EncodeKeyWithPrefix(nil, keyCodec, prefix)
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		if !bytes.HasPrefix(pageReq.Key, prefixBytes) {
			return nil, nil, status.Error(codes.InvalidArgument, "pagination: key is not a next_key of this query (was the account changed between pages?)")
		}
		_, start, err := keyCodec.Decode(pageReq.Key)
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
		results []types.Record
		seen    uint64 // matches passed, including the skipped offset
		nextKey []byte
	)
	for ; iter.Valid(); iter.Next() {
		id, err := iter.PrimaryKey()
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		record, err := k.Records.Get(ctx, id)
		if err != nil {
			return nil, nil, status.Errorf(codes.Internal, "record %d: %s", id, err)
		}
		if keep != nil && !keep(record) {
			continue
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
				if nextKey, err = collections.EncodeKeyWithPrefix(nil, keyCodec, fullKey); err != nil {
					return nil, nil, status.Error(codes.Internal, err.Error())
				}
			}
			if !countTotal {
				break
			}
			continue
		}
		results = append(results, record)
	}

	pageRes := &query.PageResponse{NextKey: nextKey}
	if countTotal {
		pageRes.Total = seen
	}
	return results, pageRes, nil
}
