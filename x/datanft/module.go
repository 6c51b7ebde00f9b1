// Package datanft is the module of data-NFTs. It holds identity NFTs (one
// per account, minted with MsgClaimIdentity into the x/nft class
// medchain-identity, never transferable) and data-NFTs of de-identified
// records: minted by the patient, earning their producer (the issuer of the
// original record) a royalty on every sale and licence, sold on a market
// whose listings vanish when the NFT moves, and licensed to researchers as
// x/access READ grants paid through an escrow. x/nft stores the tokens;
// NFTModule wraps x/nft's module so that its MsgSend refuses identity NFTs
// and removes stale listings, whatever route the message takes.
package datanft

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/spf13/cobra"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/medchain/medchain/x/datanft/client/cli"
	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
)

// ConsensusVersion is the module's state version.
//
// 2: the pseudonyms hospitals vouch for (no data to migrate).
const ConsensusVersion = 2

var (
	_ appmodule.AppModule        = AppModule{}
	_ module.AppModuleBasic      = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ appmodule.HasEndBlocker    = AppModule{}
)

// AppModule is the datanft module.
type AppModule struct {
	keeper keeper.Keeper
}

// NewAppModule returns the datanft module.
func NewAppModule(k keeper.Keeper) AppModule { return AppModule{keeper: k} }

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// Name is the module's name.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the messages.
func (AppModule) RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(registry)
}

// RegisterGRPCGatewayRoutes registers the REST routes.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(fmt.Errorf("registering %s gRPC gateway routes: %w", types.ModuleName, err))
	}
}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQuerier(am.keeper))
	if err := cfg.RegisterMigration(types.ModuleName, 1, keeper.NewMigrator(am.keeper).Migrate1to2); err != nil {
		panic(fmt.Errorf("registering the %s migration 1 -> 2: %w", types.ModuleName, err))
	}
}

// DefaultGenesis is the genesis of a new chain.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis state.
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

// InitGenesis loads the module state and creates the identity class.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		panic(fmt.Errorf("decoding %s genesis state: %w", types.ModuleName, err))
	}
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Errorf("initialising %s genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis exports the module's state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("exporting %s genesis: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// EndBlock refunds timed-out licences, a bounded number per block.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// GetTxCmd returns the hand-written transactions (fulfil-licences);
// AutoCLI adds the generated ones to it.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }
