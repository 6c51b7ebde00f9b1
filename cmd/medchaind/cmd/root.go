// Package cmd builds the medchaind command tree: the node (start, export,
// comet), genesis tooling, keys, and AutoCLI-generated tx and query commands
// for every module.
package cmd

import (
	"os"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/server"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/medchain/medchain/app"
)

// NewRootCmd returns the medchaind root command.
func NewRootCmd() *cobra.Command {
	app.SetAddressPrefixes()

	// A throw-away app instance provides the codecs, the module basics and
	// the AutoCLI options; it never touches a database on disk.
	tempHome, err := os.MkdirTemp("", "medchaind-cli")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tempHome)
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(tempHome))

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("MEDCHAIN")

	rootCmd := &cobra.Command{
		Use:   app.AppName,
		Short: "medchain node and client: patient-controlled medical record sharing",
		Long: `medchaind runs a medchain node (hospitals run the validators) and is the
command-line client for patients, practitioners and operators.

Every flag can also be set in the environment as MEDCHAIN_<FLAG>, for example
MEDCHAIN_HOME=/srv/medchain or MEDCHAIN_CHAIN_ID=medchain-local-1.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())

			clientCtx := initClientCtx.WithCmdContext(cmd.Context())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			// Checked before the config interceptor runs, because it would
			// otherwise create a half-configured home and fail on something
			// unrelated (an empty minimum-gas-prices).
			if cmd.Name() == "start" {
				if err := requireInitialisedHome(clientCtx.HomeDir); err != nil {
					return err
				}
			}
			clientCtx, err = config.ReadFromClientConfig(clientCtx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometConfig())
		},
	}

	initRootCmd(rootCmd, tempApp)

	autoCliOpts := tempApp.AutoCliOpts()
	initClientCtx, _ = config.ReadFromClientConfig(initClientCtx)
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}
