package keeper

import (
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// queryAddress reads a bech32 account address from a query field.
func queryAddress(ac address.Codec, field, addr string) (sdk.AccAddress, error) {
	if addr == "" {
		return nil, status.Errorf(codes.InvalidArgument, "%s is empty", field)
	}
	bz, err := ac.StringToBytes(addr)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s %q: %s", field, addr, err)
	}
	return bz, nil
}

// sortKeysByTime orders keys oldest first (ties by id, for determinism).
func sortKeysByTime(keys []types.EncryptionKey) {
	slices.SortStableFunc(keys, func(a, b types.EncryptionKey) int {
		if c := a.RegisteredAt.Compare(b.RegisteredAt); c != 0 {
			return c
		}
		if a.KeyId < b.KeyId {
			return -1
		}
		if a.KeyId > b.KeyId {
			return 1
		}
		return 0
	})
}
