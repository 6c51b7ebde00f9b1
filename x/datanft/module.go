// Package datanft is the module of data-NFTs (issue 7). So far it holds
// identity NFTs: one per account, minted with MsgClaimIdentity into the
// x/nft class medchain-identity and never transferable
// (IdentityTransferDecorator). Data-NFTs of de-identified records, the
// market and licences come next.
package datanft

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
)

// ConsensusVersion is the module's state version.
const ConsensusVersion = 1

var (
	_ appmodule.AppModule        = AppModule{}
	_ module.AppModuleBasic      = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
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
	types.RegisterQueryServer(cfg.QueryServer(), am.keeper)
}

// DefaultGenesis is the genesis of a new chain.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis state.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decoding %s genesis state: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis creates the identity class.
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
	return cdc.MustMarshalJSON(am.keeper.ExportGenesis(ctx))
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// AutoCLIOptions generates the CLI from the services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{{
				RpcMethod:      "Identity",
				Use:            "identity ADDRESS",
				Short:          "Say whether ADDRESS holds its identity NFT",
				Example:        "medchaind query datanft identity med1...",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
			}},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{{
				RpcMethod: "ClaimIdentity",
				Use:       "claim-identity",
				Short:     "Mint your identity NFT (one per account; it can never be sent)",
				Long: "Mints the x/nft token medchain-identity/<your address> to the signer. It carries no personal data; " +
					"it is the account's on-chain ID card, and x/nft send refuses it.",
				Example: "medchaind tx datanft claim-identity --from alice",
			}},
		},
	}
}
