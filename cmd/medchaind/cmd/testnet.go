package cmd

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cosmos/go-bip39"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/internal/localnet"
)

const (
	flagValidators = "v"
	flagOutputDir  = "output-dir"
	flagChainID    = "chain-id"
	flagPortBase   = "port-base"
)

// newTestnetCmd returns `medchaind testnet`: a throw-away multi-validator
// network on this machine, for trying medchain without writing a config.yml.
// The hospital consortium of the repository is `make localnet`; both are
// built by internal/localnet.
func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Create and run a local multi-validator network (127.0.0.1 only)",
		Long: `Create and run a throw-away network of N hospital validators on this machine.

init-files writes one home per validator plus a client home holding every key
(test keyring) into --output-dir; each validator is registered in genesis as an
active hospital issuer, since only hospitals may validate. start runs them in
the foreground until Ctrl-C. To run the repository's four-hospital consortium
described by config.yml, use 'make localnet' instead.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(testnetInitFilesCmd(), testnetStartCmd())
	return cmd
}

func testnetInitFilesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init-files",
		Short: "Write the homes, keys and genesis of an N-validator network",
		Example: `medchaind testnet init-files --v 4 --output-dir ./.testnet
medchaind testnet start --output-dir ./.testnet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, _ := cmd.Flags().GetInt(flagValidators)
			dir, _ := cmd.Flags().GetString(flagOutputDir)
			chainID, _ := cmd.Flags().GetString(flagChainID)
			portBase, _ := cmd.Flags().GetInt(flagPortBase)
			if n < 1 || n > 20 {
				return fmt.Errorf("--%s %d: a local testnet has between 1 and 20 validators", flagValidators, n)
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return fmt.Errorf("%s is not empty; choose another --%s or remove it", dir, flagOutputDir)
			}
			yml, err := testnetConfig(n, chainID)
			if err != nil {
				return err
			}
			cfg, err := localnet.ParseConfig([]byte(yml), "generated testnet config")
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			if err := localnet.Init(cmd.Context(), localnet.Options{
				Binary: self, Dir: dir, Config: cfg, PortBase: portBase, Out: cmd.OutOrStdout(),
			}); err != nil {
				return err
			}
			// The generated config is kept beside the network so that the
			// operator can read what was built.
			return os.WriteFile(filepath.Join(dir, "testnet.yml"), []byte(yml), 0o600)
		},
	}
	cmd.Flags().Int(flagValidators, 4, "number of validators")
	cmd.Flags().String(flagOutputDir, "./.testnet", "directory for the nodes' homes, the client home and logs")
	cmd.Flags().String(flagChainID, "medchain-testnet-1", "chain id of the new network")
	cmd.Flags().Int(flagPortBase, 28000, "first port of the first node; node i uses port-base+10*i .. +9")
	return cmd
}

func testnetStartCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "start",
		Short:   "Run a network written by init-files in the foreground (Ctrl-C stops it)",
		Example: `medchaind testnet start --output-dir ./.testnet`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString(flagOutputDir)
			self, err := os.Executable()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return localnet.Run(ctx, localnet.Options{Binary: self, Dir: dir, Out: cmd.OutOrStdout()})
		},
	}
	cmd.Flags().String(flagOutputDir, "./.testnet", "directory written by init-files")
	return cmd
}

// testnetConfig describes n validators named hospital-0 … hospital-n-1,
// each with a fresh mnemonic, registered as active hospitals in genesis.
func testnetConfig(n int, chainID string) (string, error) {
	var accounts, validators, issuers strings.Builder
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("hospital-%d", i)
		mnemonic, addr, err := newAccount()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&accounts, "  - name: %s\n    coins: [\"1000000000000%s\"]\n    mnemonic: %q\n", name, app.BondDenom, mnemonic)
		fmt.Fprintf(&validators, "  - name: %s\n    bonded: 100000000%s\n", name, app.BondDenom)
		fmt.Fprintf(&issuers, "        - {address: %s, name: %q, kind: ISSUER_KIND_HOSPITAL, status: ISSUER_STATUS_ACTIVE}\n",
			addr, fmt.Sprintf("Testnet Hospital %d", i))
	}
	return fmt.Sprintf(`version: 1
accounts:
%svalidators:
%sgenesis:
  chain_id: %s
  app_state:
    staking: {params: {bond_denom: %[4]s}}
    mint: {params: {mint_denom: %[4]s}}
    issuers:
      issuers:
%s`, accounts.String(), validators.String(), chainID, app.BondDenom, issuers.String()), nil
}

// newAccount makes a mnemonic and the account address its default key has
// (coin type 118, account 0, index 0: what `keys add --recover` derives).
func newAccount() (mnemonic, address string, err error) {
	entropy, err := bip39.NewEntropy(256)
	if err != nil {
		return "", "", err
	}
	mnemonic, err = bip39.NewMnemonic(entropy)
	if err != nil {
		return "", "", err
	}
	seed, err := hd.Secp256k1.Derive()(mnemonic, "", hd.CreateHDPath(sdk.CoinType, 0, 0).String())
	if err != nil {
		return "", "", err
	}
	pub := hd.Secp256k1.Generate()(seed).PubKey()
	return mnemonic, sdk.AccAddress(pub.Address()).String(), nil
}
