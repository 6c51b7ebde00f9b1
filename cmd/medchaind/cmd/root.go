// Package cmd builds the medchaind command tree: the node (start, export,
// comet), genesis tooling, keys, and AutoCLI-generated tx and query commands
// for every module.
package cmd

import (
	"fmt"
	"os"
	"strings"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/server"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/medchain/medchain/app"
)

// envPrefix names the environment variables that stand in for flags:
// MEDCHAIN_HOME for --home, MEDCHAIN_CHAIN_ID for --chain-id, and so on.
const envPrefix = "MEDCHAIN"

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
		WithViper(envPrefix)

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

			if err := flagsFromEnvironment(cmd.Flags(), envPrefix); err != nil {
				return err
			}
			clientCtx := initClientCtx.WithCmdContext(cmd.Context())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			// Checked before the config interceptor runs, because it would
			// otherwise create a half-configured home and fail on something
			// unrelated (an empty minimum-gas-prices).
			if cmd.Parent() == cmd.Root() && cmd.Name() == "start" {
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

	// AutoCLI needs a client context before flags are parsed; it gets the
	// built-in client.toml defaults here, and the real --home's client.toml
	// is read in PersistentPreRunE. Reading the default home's file at this
	// point would make it win over --home and MEDCHAIN_HOME.
	autoCliOpts := tempApp.AutoCliOpts()
	defaultsCtx, err := config.ReadDefaultValuesFromDefaultClientConfig(initClientCtx)
	if err != nil {
		panic(err)
	}
	autoCliOpts.ClientCtx = defaultsCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

// flagsFromEnvironment gives every flag the command line left unset the
// value of its environment variable (MEDCHAIN_HOME for --home, dashes as
// underscores), so that `export MEDCHAIN_HOME=...` works for every command.
// A flag given on the command line always wins.
func flagsFromEnvironment(fs *pflag.FlagSet, prefix string) error {
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || firstErr != nil {
			return
		}
		name := prefix + "_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		value, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			firstErr = fmt.Errorf("environment variable %s=%q is not a valid --%s: %w", name, value, f.Name, err)
		}
	})
	return firstErr
}
