package records

import (
	"github.com/spf13/cobra"

	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/medchain/medchain/x/records/client/cli"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

// ConsensusVersion is the version of the module's state layout and state
// machine. Raise it, with a registered migration, on every breaking change.
//
// 2: the index of live CIDs and the tombstones of released ones
// (keeper.Migrator.Migrate1to2 builds them from the records).
// 3: labels sealed under the record key (plaintext labels erased), and
// new payload sizes padded to a size class
// 4: params max_versions_per_record, which bounds the versions
// MsgAddVersion may add to a record (keeper.Migrator.Migrate3to4 sets it)
const ConsensusVersion = 4

var (
	_ appmodule.AppModule = AppModule{}

	_ module.AppModuleBasic      = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
)

// AppModule wires the records keeper into the application. The app connects
// x/access with keeper.SetHooks.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the records AppModule.
func NewAppModule(cdc codec.Codec, keeper keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: keeper}
}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// Name returns the module name.
//
// Deprecated: kept for the legacy module manager; apps name modules in their
// order lists.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the module's amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the module's messages with the interface
// registry.
func (AppModule) RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(registry)
}

// RegisterGRPCGatewayRoutes serves the Query service over REST
// (GET /medchain/records/v1/...).
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(fmt.Errorf("registering %s gRPC gateway routes: %w", types.ModuleName, err))
	}
}

// RegisterServices registers the Msg and Query services. State migrations
// are registered here too when ConsensusVersion is raised.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQuerier(am.keeper))
	if err := cfg.RegisterMigration(types.ModuleName, 1, keeper.NewMigrator(am.keeper).Migrate1to2); err != nil {
		panic(fmt.Errorf("registering the %s migration 1 -> 2: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 2, keeper.NewMigrator(am.keeper).Migrate2to3); err != nil {
		panic(fmt.Errorf("registering the %s migration 2 -> 3: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 3, keeper.NewMigrator(am.keeper).Migrate3to4); err != nil {
		panic(fmt.Errorf("registering the %s migration 3 -> 4: %w", types.ModuleName, err))
	}
}

// DefaultGenesis returns the module's default genesis state as JSON.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis state given as JSON.
func (am AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decoding %s genesis state: %w", types.ModuleName, err)
	}
	if am.keeper.AddressCodec() == nil {
		return fmt.Errorf("%s module has no keeper; build it with NewAppModule", types.ModuleName)
	}
	return gs.Validate(am.keeper.AddressCodec())
}

// InitGenesis writes the genesis state to the store. The module manager's
// interface has no error return, so a bad genesis stops the chain here.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		panic(fmt.Errorf("decoding %s genesis state: %w", types.ModuleName, err))
	}
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Errorf("initialising %s genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis returns the module state as genesis JSON.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("exporting %s genesis: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// GetQueryCmd returns the hand-written query commands (download); AutoCLI
// adds the generated ones to the same group.
func (AppModule) GetQueryCmd() *cobra.Command { return cli.GetQueryCmd() }

// GetTxCmd returns the hand-written transactions (upload, add-version);
// AutoCLI adds redact and update-params to the same group.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }
