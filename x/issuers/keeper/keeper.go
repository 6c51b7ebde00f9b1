package keeper

import (
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/medchain/medchain/x/issuers/types"
)

// Keeper owns the issuers module's state.
type Keeper struct {
	storeService corestore.KVStoreService
	cdc          codec.BinaryCodec
	addressCodec address.Codec

	// authority is the only address allowed to change params (and, later,
	// to admit, suspend and remove issuers); normally the gov module account.
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]
}

// NewKeeper returns the issuers keeper. It panics when authority is not a
// valid address for addressCodec, because a chain with an unusable authority
// could never change its issuers.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	addressCodec address.Codec,
	authority string,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("issuers keeper: invalid authority address %q: %w", authority, err))
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		storeService: storeService,
		cdc:          cdc,
		addressCodec: addressCodec,
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
	}

	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("issuers keeper: building store schema: %w", err))
	}
	k.Schema = schema

	return k
}

// GetAuthority returns the address allowed to govern the module.
func (k Keeper) GetAuthority() string {
	return k.authority
}

// AddressCodec returns the codec the module uses to read and write addresses.
func (k Keeper) AddressCodec() address.Codec {
	return k.addressCodec
}
