package issuers_test

import (
	"encoding/json"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/medchain/medchain/x/issuers"
	"github.com/medchain/medchain/x/issuers/keeper"
	"github.com/medchain/medchain/x/issuers/types"
)

type moduleFixture struct {
	cdc       *codec.ProtoCodec
	module    issuers.AppModule
	authority string
}

func newModuleFixture(t *testing.T) moduleFixture {
	t.Helper()
	ac := addresscodec.NewBech32Codec("med")
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: gogoproto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          ac,
			ValidatorAddressCodec: addresscodec.NewBech32Codec("medvaloper"),
		},
	})
	require.NoError(t, err)
	issuers.AppModule{}.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)

	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	key := storetypes.NewKVStoreKey(types.StoreKey)
	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority)
	return moduleFixture{cdc: cdc, module: issuers.NewAppModule(cdc, k), authority: authority}
}

func TestModuleGenesisJSON(t *testing.T) {
	f := newModuleFixture(t)

	def := f.module.DefaultGenesis(f.cdc)
	require.NoError(t, f.module.ValidateGenesis(f.cdc, nil, def))

	var gs types.GenesisState
	require.NoError(t, f.cdc.UnmarshalJSON(def, &gs))
	require.Equal(t, *types.DefaultGenesis(), gs)

	require.Error(t, f.module.ValidateGenesis(f.cdc, nil, json.RawMessage(`{"params":`)))
	bad := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(0, 1)))
	require.ErrorIs(t, f.module.ValidateGenesis(f.cdc, nil, bad), types.ErrInvalidParams)
}

func TestModuleGenesisRoundTrip(t *testing.T) {
	f := newModuleFixture(t)
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx
	ac := addresscodec.NewBech32Codec("med")
	module := issuers.NewAppModule(f.cdc, keeper.NewKeeper(f.cdc, runtime.NewKVStoreService(key), ac, f.authority))

	in := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(200, 42)))
	module.InitGenesis(ctx, f.cdc, in)
	require.JSONEq(t, string(in), string(module.ExportGenesis(ctx, f.cdc)))

	bad := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(0, 42)))
	require.Panics(t, func() { module.InitGenesis(ctx, f.cdc, bad) })
}

// The authority must be recognised as the signer from the proto annotation
// alone, since the module defines no GetSigners.
func TestMsgUpdateParamsSigner(t *testing.T) {
	f := newModuleFixture(t)
	msg := &types.MsgUpdateParams{Authority: f.authority, Params: types.DefaultParams()}

	signers, _, err := f.cdc.GetMsgV1Signers(msg)
	require.NoError(t, err)
	require.Equal(t, [][]byte{authtypes.NewModuleAddress(govtypes.ModuleName)}, signers)

	_, err = f.cdc.InterfaceRegistry().Resolve("/medchain.issuers.v1.MsgUpdateParams")
	require.NoError(t, err)
}

func TestLegacyAminoName(t *testing.T) {
	amino := codec.NewLegacyAmino()
	issuers.AppModule{}.RegisterLegacyAminoCodec(amino)

	bz, err := amino.MarshalJSON(&types.MsgUpdateParams{Authority: "med1x", Params: types.DefaultParams()})
	require.NoError(t, err)
	require.Contains(t, string(bz), `"type":"medchain/x/issuers/MsgUpdateParams"`)
}

// Every RPC of the module must either get a CLI command or be skipped on
// purpose, so that a new RPC cannot be forgotten.
func TestAutoCLICoversEveryRPC(t *testing.T) {
	opts := issuers.AppModule{}.AutoCLIOptions()

	for _, svc := range []struct {
		name     string
		commands map[string]bool
	}{
		{opts.Query.Service, rpcNames(opts.Query.RpcCommandOptions)},
		{opts.Tx.Service, rpcNames(opts.Tx.RpcCommandOptions)},
	} {
		desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(svc.name))
		require.NoError(t, err, svc.name)
		methods := desc.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < methods.Len(); i++ {
			m := string(methods.Get(i).Name())
			require.True(t, svc.commands[m], "%s.%s has no AutoCLI options", svc.name, m)
		}
	}

	for _, o := range opts.Query.RpcCommandOptions {
		require.NotEmpty(t, o.Use, o.RpcMethod)
		require.NotEmpty(t, o.Short, o.RpcMethod)
		require.NotEmpty(t, o.Example, o.RpcMethod)
	}
}

func rpcNames[T interface{ GetRpcMethod() string }](opts []T) map[string]bool {
	names := make(map[string]bool, len(opts))
	for _, o := range opts {
		names[o.GetRpcMethod()] = true
	}
	return names
}
