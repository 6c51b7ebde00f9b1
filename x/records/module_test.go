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

	"github.com/medchain/medchain/testutil/moduletest"
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
	moduletest.RequireSigners(t, f.cdc, []moduletest.Signer{
		{Msg: &types.MsgCreateRecord{Creator: userStr, Owner: f.authority}, Signer: user},
		{Msg: &types.MsgAddVersion{Creator: userStr, RecordId: 1}, Signer: user},
		{Msg: &types.MsgRedactRecord{Owner: userStr, RecordId: 1}, Signer: user},
		{Msg: &types.MsgSetArchiveConsent{Owner: userStr, RecordId: 1, Allow: true}, Signer: user},
		{Msg: &types.MsgRecordArchive{Hospital: userStr, Versions: []types.ArchivedVersion{{RecordId: 1, Version: 1}}}, Signer: user},
		{Msg: &types.MsgUpdateParams{Authority: f.authority, Params: types.DefaultParams()}, Signer: authtypes.NewModuleAddress(govtypes.ModuleName)},
	})
}

func TestLegacyAminoNames(t *testing.T) {
	moduletest.RequireAminoNames(t, records.AppModule{}.RegisterLegacyAminoCodec, map[sdk.Msg]string{
		&types.MsgCreateRecord{}:      "medchain/x/records/MsgCreateRecord",
		&types.MsgAddVersion{}:        "medchain/x/records/MsgAddVersion",
		&types.MsgRedactRecord{}:      "medchain/x/records/MsgRedactRecord",
		&types.MsgUpdateParams{}:      "medchain/x/records/MsgUpdateParams",
		&types.MsgSetArchiveConsent{}: "medchain/x/records/MsgSetArchiveConsent",
		&types.MsgRecordArchive{}:     "medchain/x/records/MsgRecordArchive",
	})
}

// Every RPC gets a CLI command or is skipped on purpose: create and
// add-version wait for the client-side upload command, and record-archive
// is hand-written (its versions are RECORD_ID:VERSION arguments).
func TestAutoCLICoversEveryRPC(t *testing.T) {
	moduletest.RequireAutoCLI(t, records.AppModule{}.AutoCLIOptions(), moduletest.AutoCLI{
		SkippedTxs: map[string]bool{"CreateRecord": true, "AddVersion": true, "RecordArchive": true},
		Governed:   map[string]bool{"UpdateParams": true},
	})
	handWritten := map[string]bool{}
	txCmd := records.AppModule{}.GetTxCmd()
	for _, c := range txCmd.Commands() {
		handWritten[c.Name()] = true
	}
	for _, name := range []string{"upload", "add-version", "record-archive"} {
		require.True(t, handWritten[name], "tx records %s", name)
	}
}
