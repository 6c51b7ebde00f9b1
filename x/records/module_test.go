package records_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	aminoapi "cosmossdk.io/api/amino"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

type noIssuers struct{}

func (noIssuers) IsAuthorised(context.Context, sdk.AccAddress) (issuerstypes.Authorisation, error) {
	return issuerstypes.Authorisation{Reason: "not a registered issuer or practitioner"}, nil
}

func (noIssuers) ActiveHospitalVaults(context.Context) ([]issuerstypes.Issuer, error) {
	return nil, nil
}

type moduleFixture struct {
	cdc       *codec.ProtoCodec
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
	records.AppModule{}.RegisterInterfaces(registry)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)
	return moduleFixture{cdc: codec.NewProtoCodec(registry), authority: authority}
}

func (f moduleFixture) module(t *testing.T) (records.AppModule, sdk.Context) {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx
	k := keeper.NewKeeper(f.cdc, runtime.NewKVStoreService(key), addresscodec.NewBech32Codec("med"), f.authority, noIssuers{})
	return records.NewAppModule(f.cdc, k), ctx
}

func TestModuleGenesisJSON(t *testing.T) {
	f := newModuleFixture(t)
	module, _ := f.module(t)

	def := module.DefaultGenesis(f.cdc)
	require.NoError(t, module.ValidateGenesis(f.cdc, nil, def))
	var gs types.GenesisState
	require.NoError(t, f.cdc.UnmarshalJSON(def, &gs))
	require.Equal(t, *types.DefaultGenesis(), gs)

	require.Error(t, module.ValidateGenesis(f.cdc, nil, json.RawMessage(`{"params":`)))
	bad := types.DefaultGenesis()
	bad.Params.MaxRecordsPerOwnerPerBlock = 0
	require.ErrorIs(t, module.ValidateGenesis(f.cdc, nil, f.cdc.MustMarshalJSON(bad)), types.ErrInvalidParams)
	require.Error(t, records.AppModule{}.ValidateGenesis(f.cdc, nil, def), "a module without keeper cannot read addresses")
}

func TestModuleGenesisRoundTrip(t *testing.T) {
	f := newModuleFixture(t)
	module, ctx := f.module(t)
	ac := addresscodec.NewBech32Codec("med")
	owner, err := ac.BytesToString([]byte("patient_____________"))
	require.NoError(t, err)
	h, err := multihash.Sum([]byte("x"), multihash.SHA2_256, -1)
	require.NoError(t, err)
	c := cid.NewCidV1(cid.DagProtobuf, h).String()
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

	in := f.cdc.MustMarshalJSON(types.NewGenesisState(types.DefaultParams(),
		[]types.Record{{
			Id: 7, Owner: owner, Issuer: owner, Cid: c, EpochCid: c, Kind: types.RecordKindFHIR, SizeBytes: 10, SealedLabel: types.FakeSealedLabel("labs"),
			Version: 1, Status: types.RecordStatusActive, CreatedAt: at, UpdatedAt: at,
		}},
		[]types.RecordVersion{{RecordId: 7, Version: 1, Cid: c, Issuer: owner, At: at}},
		8,
	))
	module.InitGenesis(ctx, f.cdc, in)
	require.JSONEq(t, string(in), string(module.ExportGenesis(ctx, f.cdc)))
	require.Contains(t, string(in), `"kind":"RECORD_KIND_FHIR"`, "enums are written by name in genesis JSON")

	bad := types.DefaultGenesis()
	bad.NextId = 0
	require.Panics(t, func() { module.InitGenesis(ctx, f.cdc, f.cdc.MustMarshalJSON(bad)) })
}

// Each message's signer is found from the proto annotation alone.
func TestMsgSigners(t *testing.T) {
	f := newModuleFixture(t)
	ac := addresscodec.NewBech32Codec("med")
	user := []byte("user________________")
	userStr, err := ac.BytesToString(user)
	require.NoError(t, err)

	for _, tc := range []struct {
		msg    sdk.Msg
		signer []byte
	}{
		{&types.MsgCreateRecord{Creator: userStr, Owner: f.authority}, user},
		{&types.MsgAddVersion{Creator: userStr, RecordId: 1}, user},
		{&types.MsgRedactRecord{Owner: userStr, RecordId: 1}, user},
		{&types.MsgUpdateParams{Authority: f.authority, Params: types.DefaultParams()}, authtypes.NewModuleAddress(govtypes.ModuleName)},
	} {
		signers, _, err := f.cdc.GetMsgV1Signers(tc.msg)
		require.NoError(t, err, "%T", tc.msg)
		require.Equal(t, [][]byte{tc.signer}, signers, "%T", tc.msg)
		_, err = f.cdc.InterfaceRegistry().Resolve(sdk.MsgTypeURL(tc.msg))
		require.NoError(t, err, "%T", tc.msg)
	}
}

func TestLegacyAminoNames(t *testing.T) {
	legacyAmino := codec.NewLegacyAmino()
	records.AppModule{}.RegisterLegacyAminoCodec(legacyAmino)

	for msg, name := range map[sdk.Msg]string{
		&types.MsgCreateRecord{}: "medchain/x/records/MsgCreateRecord",
		&types.MsgAddVersion{}:   "medchain/x/records/MsgAddVersion",
		&types.MsgRedactRecord{}: "medchain/x/records/MsgRedactRecord",
		&types.MsgUpdateParams{}: "medchain/x/records/MsgUpdateParams",
	} {
		bz, err := legacyAmino.MarshalJSON(msg)
		require.NoError(t, err)
		require.Contains(t, string(bz), `"type":"`+name+`"`)
		require.Less(t, len(name), 40, "Ledger rejects amino names of 40 characters or more")

		desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(gogoproto.MessageName(msg)))
		require.NoError(t, err)
		opt := proto.GetExtension(desc.(protoreflect.MessageDescriptor).Options(), aminoapi.E_Name)
		require.Equal(t, name, opt, gogoproto.MessageName(msg))
	}
}

// Every RPC gets a CLI command or is skipped on purpose: create and
// add-version wait for the client-side upload command.
func TestAutoCLICoversEveryRPC(t *testing.T) {
	opts := records.AppModule{}.AutoCLIOptions()
	skipped := map[string]bool{"CreateRecord": true, "AddVersion": true}

	for _, svc := range []struct {
		name string
		opts map[string]bool
	}{
		{opts.Query.Service, rpcNames(opts.Query.RpcCommandOptions)},
		{opts.Tx.Service, rpcNames(opts.Tx.RpcCommandOptions)},
	} {
		desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(svc.name))
		require.NoError(t, err, svc.name)
		methods := desc.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < methods.Len(); i++ {
			require.True(t, svc.opts[string(methods.Get(i).Name())], "%s.%s has no AutoCLI options", svc.name, methods.Get(i).Name())
		}
	}
	for _, o := range append(opts.Query.RpcCommandOptions, opts.Tx.RpcCommandOptions...) {
		require.Equal(t, skipped[o.RpcMethod], o.Skip, o.RpcMethod)
		if o.Skip {
			continue
		}
		require.NotEmpty(t, o.Use, o.RpcMethod)
		require.NotEmpty(t, o.Short, o.RpcMethod)
		require.Contains(t, o.Example, "medchaind ", o.RpcMethod)
		require.Equal(t, o.RpcMethod == "UpdateParams", o.GovProposal, o.RpcMethod)
	}
}

func rpcNames[T interface{ GetRpcMethod() string }](opts []T) map[string]bool {
	names := make(map[string]bool, len(opts))
	for _, o := range opts {
		names[o.GetRpcMethod()] = true
	}
	return names
}
