package issuers_test

import (
	"encoding/json"
	"testing"
	"time"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/appmodule"

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
	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, nil)
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
	bad := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(0, 1), nil, nil))
	require.ErrorIs(t, f.module.ValidateGenesis(f.cdc, nil, bad), types.ErrInvalidParams)

	// Addresses are checked against the chain's prefix.
	foreign := f.cdc.MustMarshalJSON(types.NewGenesisState(types.DefaultParams(), []types.Issuer{{
		Address: "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn", Name: "Elsewhere",
		Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive,
	}}, nil))
	require.ErrorIs(t, f.module.ValidateGenesis(f.cdc, nil, foreign), types.ErrInvalidAddress)

	require.Error(t, issuers.AppModule{}.ValidateGenesis(f.cdc, nil, def), "a module without keeper cannot read addresses")
}

func TestModuleGenesisRoundTrip(t *testing.T) {
	f := newModuleFixture(t)
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx
	ac := addresscodec.NewBech32Codec("med")
	module := issuers.NewAppModule(f.cdc, keeper.NewKeeper(f.cdc, runtime.NewKVStoreService(key), ac, f.authority, nil))

	hospital, err := ac.BytesToString([]byte("hospital____________"))
	require.NoError(t, err)
	doctor, err := ac.BytesToString([]byte("doctor______________"))
	require.NoError(t, err)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	in := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(200, 42),
		[]types.Issuer{{
			Address: hospital, Name: "Hospital", Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive,
			Jurisdiction: "DE-BY", LicenseId: "260912345", Website: "https://hospital.example", AddedAt: at, UpdatedAt: at,
		}},
		[]types.Practitioner{{Address: doctor, Organisation: hospital, Role: types.PractitionerRoleDoctor, AddedAt: at}},
	))
	module.InitGenesis(ctx, f.cdc, in)
	require.JSONEq(t, string(in), string(module.ExportGenesis(ctx, f.cdc)))
	require.Contains(t, string(in), `"kind":"ISSUER_KIND_HOSPITAL"`, "enums are written by name in genesis JSON")

	bad := f.cdc.MustMarshalJSON(types.NewGenesisState(types.NewParams(0, 42), nil, nil))
	require.Panics(t, func() { module.InitGenesis(ctx, f.cdc, bad) })
}

// The module's EndBlock is the keeper's EndBlocker; without a staking
// keeper it has nothing to do.
func TestModuleEndBlock(t *testing.T) {
	f := newModuleFixture(t)
	var _ appmodule.HasEndBlocker = f.module
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx
	require.NoError(t, f.module.EndBlock(ctx))
}

// Each message's signer must be recognised from the proto annotation alone,
// since the module defines no GetSigners: the authority for governance
// messages, the organisation for the ones it signs itself.
func TestMsgSigners(t *testing.T) {
	f := newModuleFixture(t)
	ac := addresscodec.NewBech32Codec("med")
	org := []byte("organisation________")
	orgStr, err := ac.BytesToString(org)
	require.NoError(t, err)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName)
	moduletest.RequireSigners(t, f.cdc, []moduletest.Signer{
		{Msg: &types.MsgRegisterIssuer{Authority: f.authority, Address: orgStr}, Signer: gov},
		{Msg: &types.MsgSetIssuerStatus{Authority: f.authority, Address: orgStr}, Signer: gov},
		{Msg: &types.MsgUpdateParams{Authority: f.authority, Params: types.DefaultParams()}, Signer: gov},
		{Msg: &types.MsgAddPractitioner{Organisation: orgStr, Practitioner: f.authority}, Signer: org},
		{Msg: &types.MsgRemovePractitioner{Organisation: orgStr, Practitioner: f.authority}, Signer: org},
		{Msg: &types.MsgUpdateIssuerProfile{Issuer: orgStr, Name: "x"}, Signer: org},
	})
}

func TestLegacyAminoNames(t *testing.T) {
	moduletest.RequireAminoNames(t, issuers.AppModule{}.RegisterLegacyAminoCodec, map[sdk.Msg]string{
		&types.MsgRegisterIssuer{}:      "medchain/x/issuers/MsgRegisterIssuer",
		&types.MsgSetIssuerStatus{}:     "medchain/x/issuers/MsgSetIssuerStatus",
		&types.MsgAddPractitioner{}:     "medchain/x/issuers/MsgAddPractitioner",
		&types.MsgRemovePractitioner{}:  "medchain/x/issuers/MsgRemoveMember",
		&types.MsgUpdateIssuerProfile{}: "medchain/x/issuers/MsgUpdateProfile",
		&types.MsgUpdateParams{}:        "medchain/x/issuers/MsgUpdateParams",
	})
}

// Every RPC of the module gets a CLI command; messages signed by the
// authority are built as governance proposals.
func TestAutoCLICoversEveryRPC(t *testing.T) {
	moduletest.RequireAutoCLI(t, issuers.AppModule{}.AutoCLIOptions(), moduletest.AutoCLI{
		Governed: map[string]bool{"RegisterIssuer": true, "SetIssuerStatus": true, "UpdateParams": true},
	})
}
