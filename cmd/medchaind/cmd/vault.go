package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ipfs/go-cid"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"

	"cosmossdk.io/log"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vaultnode"
)

// appConfig is app.toml: the SDK's sections and medchain's [vault].
type appConfig struct {
	serverconfig.Config `mapstructure:",squash"`

	Vault vaultnode.Config `mapstructure:"vault"`
}

// startVault runs the [vault] of app.toml inside `medchaind start`, under
// the node's cancellable context: it stops with the node.
func startVault(svrCtx *server.Context, _ client.Context, ctx context.Context, g *errgroup.Group) error {
	cfg, err := vaultnode.ReadConfig(svrCtx.Viper)
	if err != nil {
		return err
	}
	if !cfg.Enable {
		svrCtx.Logger.Info("vault disabled ([vault] enable = false)")
		return nil
	}
	rpc := loopbackRPC(svrCtx.Config.RPC.ListenAddress)
	logger := svrCtx.Logger.With(log.ModuleKey, "vault")
	g.Go(func() error { return vaultnode.Run(ctx, cfg, svrCtx.Config.RootDir, rpc, logger) })
	return nil
}

// loopbackRPC turns a listen address into one a local client can dial.
func loopbackRPC(laddr string) string {
	for _, any := range []string{"0.0.0.0", "[::]"} {
		laddr = strings.Replace(laddr, "://"+any+":", "://127.0.0.1:", 1)
	}
	return laddr
}

// vaultCmd is `medchaind vault`: the vault on its own, and checking CARs.
func vaultCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "The IPFS vault that stores encrypted record payloads",
		Long: "`medchaind start` runs a vault beside the node (the [vault] section of app.toml). " +
			"These commands run one on its own and check what a vault serves.",
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(vaultServeCmd(), verifyCARCmd())
	return cmd
}

func vaultServeCmd() *cobra.Command {
	def := vaultnode.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a vault on its own, following a node's chain",
		Long: "Serves the vault HTTP API (trustless gateway reads, verified CAR uploads, /api/v1/status, /healthz, " +
			"/metrics) from a store under --home, pins what records on the chain of --node point at, unpins what " +
			"redactions and rotations release, and collects unpinned blocks after --gc-grace. Stops on SIGINT or SIGTERM.",
		Example: "medchaind vault serve --home /var/lib/medchain --address 127.0.0.1:8095 --node tcp://127.0.0.1:26657",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			node, _ := cmd.Flags().GetString(flags.FlagNode)
			cfg := vaultnode.DefaultConfig()
			cfg.Address, _ = cmd.Flags().GetString("address")
			cfg.Path, _ = cmd.Flags().GetString("path")
			cfg.MaxUploadSize, _ = cmd.Flags().GetInt64("max-upload-size")
			cfg.FollowChain, _ = cmd.Flags().GetBool("follow-chain")
			cfg.GCInterval, _ = cmd.Flags().GetDuration("gc-interval")
			cfg.GCGrace, _ = cmd.Flags().GetDuration("gc-grace")
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := log.NewLogger(cmd.ErrOrStderr()).With(log.ModuleKey, "vault")
			return vaultnode.Run(ctx, cfg, home, node, logger)
		},
	}
	cmd.Flags().String("address", def.Address, "HTTP listen address")
	cmd.Flags().String("path", def.Path, "store directory (relative to --home)")
	cmd.Flags().Int64("max-upload-size", def.MaxUploadSize, "largest upload accepted, in bytes")
	cmd.Flags().Bool("follow-chain", def.FollowChain, "pin and unpin following the chain's record events (else every upload is kept)")
	cmd.Flags().String(flags.FlagNode, "tcp://127.0.0.1:26657", "CometBFT RPC of the node whose chain to follow")
	cmd.Flags().Duration("gc-interval", def.GCInterval, "how often unpinned blocks are collected (0 never)")
	cmd.Flags().Duration("gc-grace", def.GCGrace, "how long an unpinned upload or released payload survives")
	return cmd
}

func verifyCARCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify-car FILE [CID]",
		Short: "Check that a CAR holds the complete, untampered DAG of CID (or of its header root)",
		Long: "Re-hashes every block against its CID, checks that every block under the root is present and that " +
			"the root is a UnixFS file, exactly as medchaind checks a download before decrypting it. Use it on a CAR " +
			"fetched from any vault or gateway with `curl 'http://VAULT/ipfs/CID?format=car'`.",
		Example: "curl -o rec.car 'http://127.0.0.1:8095/ipfs/bafy...?format=car'\nmedchaind vault verify-car rec.car bafy...",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			root := cid.Undef
			if len(args) == 2 {
				if root, err = cid.Decode(args[1]); err != nil {
					return fmt.Errorf("%q is not a CID: %w", args[1], err)
				}
			}
			v, err := vault.VerifyCAR(cmd.Context(), f, root, "")
			if err != nil {
				return fmt.Errorf("%s does not verify: %w", args[0], err)
			}
			cmd.Printf("%s verifies: root %s, %d blocks, a file of %d bytes\n", args[0], v.Root, v.Blocks, v.Size)
			return nil
		},
	}
}
