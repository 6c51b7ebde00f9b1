package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/medchain/medchain/x/issuers/keeper"
	"github.com/medchain/medchain/x/issuers/types"
)

const bech32Prefix = "med"

// fixture is an issuers keeper on a real (in-memory) multistore.
type fixture struct {
	ctx          sdk.Context
	keeper       keeper.Keeper
	msgServer    types.MsgServer
	querier      keeper.Querier
	addressCodec address.Codec

	authority string // the gov module account, as the app wires it
	stranger  string // a well-formed account that is not the authority
}

// newFixture returns a keeper whose store is still empty (no genesis).
func newFixture(t *testing.T) fixture {
	t.Helper()

	key := storetypes.NewKVStoreKey(types.StoreKey)
	testCtx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))

	registry := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)

	ac := addresscodec.NewBech32Codec(bech32Prefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)
	stranger, err := ac.BytesToString(sdk.AccAddress("stranger____________"))
	require.NoError(t, err)

	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority)

	return fixture{
		ctx:          testCtx.Ctx,
		keeper:       k,
		msgServer:    keeper.NewMsgServerImpl(k),
		querier:      keeper.NewQuerier(k),
		addressCodec: ac,
		authority:    authority,
		stranger:     stranger,
	}
}

// newInitializedFixture returns a keeper initialised with the default genesis.
func newInitializedFixture(t *testing.T) fixture {
	t.Helper()
	f := newFixture(t)
	require.NoError(t, f.keeper.InitGenesis(f.ctx, types.DefaultGenesis()))
	return f
}

func TestNewKeeperKeepsAuthority(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, f.authority, f.keeper.GetAuthority())
	require.Equal(t, "med", f.authority[:3])
}

func TestNewKeeperRejectsMalformedAuthority(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	ac := addresscodec.NewBech32Codec(bech32Prefix)

	for _, authority := range []string{"", "not-an-address", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"} {
		require.Panics(t, func() {
			keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority)
		}, "authority %q", authority)
	}
}
