package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/ipfs/go-cid"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"

	"cosmossdk.io/log"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	"github.com/medchain/medchain/vault/node"
)

// appConfig is app.toml: the SDK's sections and medchain's [vault].
type appConfig struct {
	serverconfig.Config `mapstructure:",squash"`

	Vault node.Config `mapstructure:"vault"`
}

// startVault runs the [vault] of app.toml inside `medchaind start`, under
// the node's cancellable context: it stops with the node.
func startVault(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
	cfg, err := node.ReadConfig(svrCtx.Viper)
	if err != nil {
		return err
	}
	if !cfg.Enable {
		svrCtx.Logger.Info("vault disabled ([vault] enable = false)")
		return nil
	}
	rpc := loopbackRPC(svrCtx.Config.RPC.ListenAddress)
	logger := svrCtx.Logger.With(log.ModuleKey, "vault")
	// The SDK hands post-setup the node's in-process CometBFT client when
	// gRPC or the API is on (the default): the follower reads blocks
	// through it instead of over HTTP.
	inProcess, _ := clientCtx.Client.(rpcclient.Client)
	// A custodian hospital's node releases its shares of patients'
	// emergency keys to practitioners who broke the glass; it runs with
	// the vault, which exports its counts.
	var custodian *node.Custodian
	if cfg.EmergencyRelease != node.ReleaseOff && cfg.HospitalKey != "" && clientCtx.Client != nil {
		if custodian, err = node.NewCustodian(clientCtx, cfg, svrCtx.Config.RootDir, logger); err != nil {
			return err
		}
	}
	// A gated hospital vault vouches for the pseudonyms of patients whose
	// records the hospital issued (POST /api/v1/pseudonym).
	var voucher *node.Voucher
	if cfg.HospitalKey != "" && cfg.AccessGate != "" && cfg.AccessGate != node.GateOff && clientCtx.Client != nil {
		if voucher, err = node.NewVoucher(clientCtx, cfg, svrCtx.Config.RootDir, logger); err != nil {
			return err
		}
	}
	g.Go(func() error {
		return node.RunWith(ctx, cfg, svrCtx.Config.RootDir, rpc, inProcess, custodian, voucher, logger)
	})
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
	cmd.AddCommand(vaultServeCmd(), verifyCARCmd(), vaultTicketCmd())
	cmd.AddCommand(vaultArchiveCmds()...)
	return cmd
}

// standaloneVoucher is the pseudonym service of a gated `vault serve` that
// signs as its hospital, talking to the chain through --node; nil when the
// vault has no gate or no hospital key. The node must answer (for the
// chain id) when the vault starts; if it does not, the vault runs without
// the service and says so.
func standaloneVoucher(ctx context.Context, cmd *cobra.Command, cfg node.Config, home string, logger log.Logger) (*node.Voucher, error) {
	if cfg.HospitalKey == "" || cfg.AccessGate == "" || cfg.AccessGate == node.GateOff {
		return nil, nil
	}
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return nil, err
	}
	if clientCtx, err = medclient.EnsureChainID(ctx, clientCtx); err != nil {
		logger.Info("vault: WARNING: no pseudonym service: the node did not say its chain id", "err", err)
		return nil, nil
	}
	return node.NewVoucher(clientCtx, cfg, home, logger)
}

func vaultServeCmd() *cobra.Command {
	def := node.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a vault on its own, following a node's chain",
		Long: "Serves the vault HTTP API (trustless gateway reads, verified CAR uploads, /api/v1/status, /healthz, " +
			"/metrics) from a store under --home, pins what records on the chain of --node point at, unpins what " +
			"redactions and rotations release, reconciles its pins with the chain's live CIDs every --reconcile-interval " +
			"and before each GC, and collects unpinned blocks after --gc-grace. Stops on SIGINT or SIGTERM.",
		Example: "medchaind vault serve --home /var/lib/medchain --address 127.0.0.1:8095 --node tcp://127.0.0.1:26657",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			rpcAddr, _ := cmd.Flags().GetString(flags.FlagNode)
			cfg := node.DefaultConfig()
			cfg.Address, _ = cmd.Flags().GetString("address")
			cfg.Path, _ = cmd.Flags().GetString("path")
			cfg.MaxUploadSize, _ = cmd.Flags().GetInt64("max-upload-size")
			cfg.FollowChain, _ = cmd.Flags().GetBool("follow-chain")
			cfg.ReconcileInterval, _ = cmd.Flags().GetDuration("reconcile-interval")
			cfg.UploadAuth, _ = cmd.Flags().GetString("upload-auth")
			cfg.UploadQuotaBytesPerDay, _ = cmd.Flags().GetInt64("upload-quota-bytes-per-day")
			cfg.UploadMaxConcurrent, _ = cmd.Flags().GetInt("upload-max-concurrent")
			cfg.Hospital, _ = cmd.Flags().GetString("hospital")
			cfg.HospitalKey, _ = cmd.Flags().GetString("hospital-key")
			cfg.KeyringBackend, _ = cmd.Flags().GetString(flags.FlagKeyringBackend)
			cfg.KeyringPassphraseFile, _ = cmd.Flags().GetString("keyring-passphrase-file")
			cfg.GCInterval, _ = cmd.Flags().GetDuration("gc-interval")
			cfg.GCGrace, _ = cmd.Flags().GetDuration("gc-grace")
			cfg.AccessGate, _ = cmd.Flags().GetString("access-gate")
			cfg.GateWitnesses, _ = cmd.Flags().GetStringSlice("gate-witness")
			cfg.GateTrustHeight, _ = cmd.Flags().GetInt64("gate-trust-height")
			cfg.GateTrustHash, _ = cmd.Flags().GetString("gate-trust-hash")
			cfg.GateTrustPeriod, _ = cmd.Flags().GetDuration("gate-trust-period")
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := log.NewLogger(cmd.ErrOrStderr()).With(log.ModuleKey, "vault")
			voucher, err := standaloneVoucher(ctx, cmd, cfg, home, logger)
			if err != nil {
				return err
			}
			return node.RunWith(ctx, cfg, home, rpcAddr, nil, nil, voucher, logger)
		},
	}
	cmd.Flags().String("address", def.Address, "HTTP listen address")
	cmd.Flags().String("path", def.Path, "store directory (relative to --home)")
	cmd.Flags().Int64("max-upload-size", def.MaxUploadSize, "largest upload accepted, in bytes")
	cmd.Flags().Bool("follow-chain", def.FollowChain, "pin and unpin following the chain's record events (else every upload is kept)")
	cmd.Flags().String(flags.FlagNode, "tcp://127.0.0.1:26657", "CometBFT RPC of the node whose chain to follow")
	cmd.Flags().Duration("reconcile-interval", def.ReconcileInterval, "how often the pins are reconciled against chain state (with --follow-chain)")
	cmd.Flags().String("upload-auth", def.UploadAuth, "ticket (uploads need a ticket of an account with an encryption key on chain) or off")
	cmd.Flags().Int64("upload-quota-bytes-per-day", def.UploadQuotaBytesPerDay, "per-account bytes stored per UTC day, with ticket uploads (0: no bound)")
	cmd.Flags().Int("upload-max-concurrent", def.UploadMaxConcurrent, "per-account uploads at once, with ticket uploads (0: no bound)")
	cmd.Flags().String("hospital", "", "the hospital (account address) this vault holds the replicas of")
	cmd.Flags().String("hospital-key", "", "the hospital's key in the keyring under --home: signs replica tickets and the upload receipts records are registered with")
	cmd.Flags().String(flags.FlagKeyringBackend, def.KeyringBackend, "the backend of the keyring holding --hospital-key (file or test)")
	cmd.Flags().String("keyring-passphrase-file", def.KeyringPassphraseFile, "with the file backend: the file holding the keyring's passphrase (relative to --home)")
	cmd.Flags().Duration("gc-interval", def.GCInterval, "how often unpinned blocks are collected (0 never)")
	cmd.Flags().Duration("gc-grace", def.GCGrace, "how long an unpinned upload or released payload survives")
	cmd.Flags().String("access-gate", def.AccessGate, "off, node (reads need a signed ticket that --node's CheckAccess allows) or light (the same, verified with proofs)")
	cmd.Flags().StringSlice("gate-witness", nil, "with --access-gate light: another node's RPC (repeatable)")
	cmd.Flags().Int64("gate-trust-height", 0, "with --access-gate light: a height whose block hash you trust")
	cmd.Flags().String("gate-trust-hash", "", "with --access-gate light: that block's hash, hex")
	cmd.Flags().Duration("gate-trust-period", def.GateTrustPeriod, "with --access-gate light: the trusting period")
	return cmd
}

// vaultTicketCmd prints a signed access-gate ticket, for integrators who
// fetch from a gated vault with their own HTTP client.
func vaultTicketCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ticket [RECORD_ID [CID] | CID] --vault URL --from KEY",
		Short: "Print a signed ticket for a vault: to read from a gated vault, or to upload (valid one minute, usable once)",
		Long: "Signs, with --from's account key, a ticket bound to the vault --vault names and to the chain: to read " +
			"RECORD_ID's payload CID (purpose read; --record-version N when CID is an earlier version's, default the " +
			"current one), to read the record's access log as its owner (--purpose log, no CID), or to upload a CAR of at " +
			"most --size bytes (--purpose upload, no arguments; the account must have registered an encryption key). Send " +
			"it as the " + gate.Header + " header. A vault serves a CID only if it is that version's payload on chain.",
		Example: "T=$(medchaind vault ticket 42 bafy... --from dr-grey --vault http://127.0.0.1:8095)\n" +
			"curl -H \"" + gate.Header + ": $T\" http://127.0.0.1:8095/ipfs/bafy...?format=car -o record.car\n" +
			"T=$(medchaind vault ticket --purpose upload --size $(stat -c %s file.car) --from alice --vault http://127.0.0.1:8095)\n" +
			"curl -H \"" + gate.Header + ": $T\" -H 'Content-Type: application/vnd.ipld.car' --data-binary @file.car http://127.0.0.1:8095/api/v1/upload",
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			purpose, _ := cmd.Flags().GetString("purpose")
			vaultURL, _ := cmd.Flags().GetString(medclient.FlagVault)
			if purpose == gate.PurposeUpload {
				size, _ := cmd.Flags().GetInt64("size")
				if len(args) > 0 || size <= 0 {
					return fmt.Errorf("an upload ticket takes no arguments and needs --size, the CAR's size in bytes")
				}
				t, err := medclient.UploadTicket(cmd.Context(), clientCtx, vaultURL, size)
				if err != nil {
					return err
				}
				return clientCtx.PrintString(t + "\n")
			}
			if purpose == gate.PurposeReplica || purpose == gate.PurposeArchive {
				if len(args) != 1 {
					return fmt.Errorf("a %s ticket names one CID, and no record", purpose)
				}
				sign := medclient.ReplicaTicket
				if purpose == gate.PurposeArchive {
					sign = medclient.ArchiveTicket
				}
				t, err := sign(cmd.Context(), clientCtx, vaultURL, args[0])
				if err != nil {
					return err
				}
				return clientCtx.PrintString(t + "\n")
			}
			if len(args) == 0 {
				return fmt.Errorf("a %s ticket names the record (RECORD_ID)", purpose)
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("record id %q: %w", args[0], err)
			}
			if pseudonym, _ := cmd.Flags().GetString("pseudonym"); purpose == gate.PurposePseudonym || pseudonym != "" {
				if purpose != gate.PurposePseudonym || pseudonym == "" || len(args) != 1 {
					return fmt.Errorf("a pseudonym ticket (--purpose pseudonym) names one record (RECORD_ID) and --pseudonym")
				}
				t, err := medclient.PseudonymTicket(cmd.Context(), clientCtx, vaultURL, id, pseudonym)
				if err != nil {
					return err
				}
				return clientCtx.PrintString(t + "\n")
			}
			c := ""
			if len(args) == 2 {
				c = args[1]
			}
			if (purpose == gate.PurposeRead) != (c != "") {
				return fmt.Errorf("a read ticket names the CID to read; a log ticket names none")
			}
			version, _ := cmd.Flags().GetUint64("record-version")
			t, err := medclient.Ticket(cmd.Context(), clientCtx, vaultURL, purpose, id, version, c)
			if err != nil {
				return err
			}
			return clientCtx.PrintString(t + "\n")
		},
	}
	cmd.Flags().String("purpose", gate.PurposeRead, "read, log, upload, pseudonym, replica (a hospital's key: copy a live CID placed on it, or see a gated vault's pin of it) or archive (a hospital's key: copy a live CID whose record may be archived)")
	cmd.Flags().Int64("size", 0, "with --purpose upload: the most CAR bytes the upload sends")
	cmd.Flags().String("pseudonym", "", "with --purpose pseudonym: the address the record's owner asks the issuing hospital's vault to vouch for (POST "+node.PseudonymPath+")")
	cmd.Flags().Uint64("record-version", 0, "the record version whose payload CID is (default: the current one)")
	cmd.Flags().String(medclient.FlagVault, "", "the vault the ticket is for (tickets are bound to one vault; required)")
	cmd.Flags().String(flags.FlagChainID, "", "the chain id the ticket is for (default: the client config's)")
	_ = cmd.MarkFlagRequired(medclient.FlagVault)
	cmd.Flags().String(flags.FlagFrom, "", "the key to sign with")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory, if other than --home")
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
