package issuers

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/issuers/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: the query and tx
// commands of the module are generated from its proto services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the issuers module parameters in force",
					Example:   "medchaind query issuers params",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					// Only the gov authority may update params; a direct tx
					// from a user account would always fail, so it is
					// submitted as a proposal with `medchaind tx gov
					// submit-proposal` instead.
					RpcMethod: "UpdateParams",
					Skip:      true,
				},
			},
		},
	}
}
