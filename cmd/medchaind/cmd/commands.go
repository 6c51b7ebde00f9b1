package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"

	"cosmossdk.io/log"
	confixcmd "cosmossdk.io/tools/confix/cmd"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/vault/node"
)

// initCometConfig returns CometBFT's defaults; operators tune config.toml.
func initCometConfig() *cmtcfg.Config {
	return cmtcfg.DefaultConfig()
}

// initAppConfig returns the app.toml template and defaults. A node refuses
// to start with an empty minimum-gas-prices, so medchain ships a zero price
// in umed; a hospital that wants fees raises it. IAVL's fast-node index is
// off: it doubles the writes of every state change, and without it records
// committed 8 % faster on a fresh chain and 29 % faster after 100,000
// records, while CheckAccess still answered 6,000 q/s at p99 4.5 ms
// (docs/performance.md).
//
// State sync snapshots are on, so that a new hospital joins by state sync
// from any node instead of replaying every block since genesis: one every
// snapshotInterval blocks, the last snapshotKeepRecent kept.
func initAppConfig() (string, any) {
	srvCfg := serverconfig.DefaultConfig()
	srvCfg.MinGasPrices = "0" + app.BondDenom
	srvCfg.IAVLDisableFastNode = true
	srvCfg.StateSync.SnapshotInterval = snapshotInterval
	srvCfg.StateSync.SnapshotKeepRecent = snapshotKeepRecent
	return serverconfig.DefaultConfigTemplate + node.ConfigTemplate,
		appConfig{Config: *srvCfg, Vault: node.DefaultConfig()}
}

const (
	// snapshotInterval is about a quarter of an hour of blocks at 1 s,
	// so a joining node replays at most that many blocks after restoring
	// its snapshot. A snapshot costs the node a pass over the whole
	// state, in the background (taking one every few blocks would keep
	// a large chain's nodes busy). Pruning is compatible: the SDK has no
	// pruning keep-every any more, "default" and "custom" pruning keep a
	// snapshot's height until the snapshot is written, and "everything"
	// refuses to start with snapshots on (set snapshot-interval = 0 to
	// use it). 1000 is also a multiple of the default pruning-interval.
	snapshotInterval = 1000
	// snapshotKeepRecent keeps the newest two snapshots: a node restoring
	// the older one still finds it while the next is being written.
	snapshotKeepRecent = 2
)

func initRootCmd(rootCmd *cobra.Command, tempApp *app.MedchainApp) {
	basics := tempApp.BasicModuleManager
	txConfig := tempApp.TxConfig()

	rootCmd.AddCommand(
		genutilcli.InitCmd(basics, app.DefaultNodeHome),
		newTestnetCmd(),
		debug.Cmd(),
		confixcmd.ConfigCommand(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
	)

	server.AddCommandsWithStartCmdOptions(rootCmd, app.DefaultNodeHome, newApp, appExport,
		server.StartCmdOptions{PostSetup: startVault})

	keysCmd := keys.Commands()
	keysCmd.AddCommand(encryptionKeyCmd(), dateShiftCmd(), pseudonymCmd())

	genesisCmd := genutilcli.Commands(txConfig, basics, app.DefaultNodeHome)
	nameGenesisFileInErrors(genesisCmd)

	rootCmd.AddCommand(
		server.StatusCommand(),
		genesisCmd,
		queryCommand(),
		txCommand(),
		keysCmd,
		vaultCmd(),
		bridgeCmd(),
	)
}

// requireInitialisedHome explains what to do when `start` is pointed at a
// home that holds no chain.
func requireInitialisedHome(home string) error {
	genesis := filepath.Join(home, "config", "genesis.json")
	if _, err := os.Stat(genesis); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no chain in home %s: %s does not exist; run `medchaind init <moniker> --home %s` "+
				"and add a genesis file first, or pass the --home of an existing node", home, genesis, home)
		}
		return fmt.Errorf("cannot read the genesis file of home %s: %w", home, err)
	}
	return nil
}

// nameGenesisFileInErrors makes `genesis validate` say which file it could
// not parse; the SDK reports only the JSON offset.
func nameGenesisFileInErrors(genesisCmd *cobra.Command) {
	for _, sub := range genesisCmd.Commands() {
		if sub.Name() != "validate" && sub.Name() != "validate-genesis" {
			continue
		}
		runE := sub.RunE
		sub.RunE = func(cmd *cobra.Command, args []string) error {
			err := runE(cmd, args)
			if err == nil {
				return nil
			}
			file := filepath.Join(client.GetClientContextFromCmd(cmd).HomeDir, "config", "genesis.json")
			if len(args) > 0 {
				file = args[0]
			}
			return fmt.Errorf("genesis file %s is not valid: %w", file, err)
		}
	}
}

// queryCommand holds the queries AutoCLI does not generate (blocks and
// transactions); AutoCLI adds one sub-command per module.
func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Query the chain: modules, blocks and transactions",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		server.QueryBlockCmd(),
		server.QueryBlocksCmd(),
		server.QueryBlockResultsCmd(),
		authcmd.QueryTxsByEventsCmd(),
		authcmd.QueryTxCmd(),
	)
	return cmd
}

// txCommand holds the offline signing tools; AutoCLI adds one sub-command
// per module.
func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Build, sign and broadcast transactions",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

// newApp creates the application for `start` and the other server commands.
func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	return app.New(logger, db, traceStore, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

// appExport loads the state at height (-1 for the latest) and exports it as
// a genesis document.
func appExport(
	logger log.Logger, db dbm.DB, traceStore io.Writer, height int64, forZeroHeight bool,
	jailAllowedAddrs []string, appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	if home, _ := appOpts.Get(flags.FlagHome).(string); home == "" {
		return servertypes.ExportedApp{}, errors.New("export needs the node's home directory: pass --home")
	}
	// The node's choice of IAVL fast-node index, or exporting would build
	// the index into its database (and log it on stdout, over the genesis).
	fastNode := baseapp.SetIAVLDisableFastNode(cast.ToBool(appOpts.Get(server.FlagDisableIAVLFastNode)))
	medApp := app.New(logger, db, traceStore, height == -1, appOpts, fastNode)
	if height != -1 {
		if err := medApp.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}
	return medApp.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}
