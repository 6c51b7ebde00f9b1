// Package cliflags is the glue between medchaind's cobra commands and
// medclient, which stays free of any CLI library so that any Go program
// can use it: the flags that choose a vault or a Kubo node, the flags of a
// command that uses a key off chain, and transaction factories from tx
// flags.
package cliflags

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/medchain/medchain/medclient"
)

// AddRemoteFlags adds --vault and --ipfs-api to a command that moves
// payloads.
func AddRemoteFlags(cmd *cobra.Command) {
	cmd.Flags().String(medclient.FlagVault, medclient.DefaultVault(), "URL of the medchain vault that holds the encrypted payloads ($"+medclient.EnvVault+" sets the default)")
	cmd.Flags().String(medclient.FlagIPFSAPI, "", "use a Kubo node's RPC API (e.g. http://127.0.0.1:5001) instead of a vault")
}

// RemoteFromCmd returns the remote the command's flags name, and the
// vault's URL when it is a vault (empty for Kubo).
func RemoteFromCmd(cmd *cobra.Command) (medclient.Remote, string, error) {
	api, _ := cmd.Flags().GetString(medclient.FlagIPFSAPI)
	base, _ := cmd.Flags().GetString(medclient.FlagVault)
	return medclient.NewRemote(base, api)
}

// ReadRemoteFromCmd returns where a command that reads payloads reads from:
// the vault --vault (or $MEDCHAIN_VAULT) names first, then the vaults
// placement names for each payload (medclient.NewReadRemote); with
// --ipfs-api, that Kubo node only.
func ReadRemoteFromCmd(cmd *cobra.Command, clientCtx client.Context) (medclient.Remote, string, error) {
	remote, base, err := RemoteFromCmd(cmd)
	if err != nil {
		return nil, "", err
	}
	return medclient.NewReadRemote(remote, base, clientCtx, cmd.ErrOrStderr()), base, nil
}

// AddKeyFlags adds the flags of a command that uses a keyring key off
// chain (to sign tickets, or to open what the key may read): --from (with
// fromUsage), --keyring-backend, --keyring-dir and --chain-id.
func AddKeyFlags(cmd *cobra.Command, fromUsage string) {
	cmd.Flags().String(flags.FlagFrom, "", fromUsage)
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory, if other than --home")
	cmd.Flags().String(flags.FlagChainID, "", "the network chain ID (default: the client config's)")
}

// NewTx prepares a transaction from the command's tx flags (TxFactory).
func NewTx(clientCtx client.Context, flagSet *pflag.FlagSet) (*medclient.Tx, error) {
	txf, err := TxFactory(clientCtx, flagSet)
	if err != nil {
		return nil, err
	}
	return medclient.NewTx(clientCtx, txf)
}

// TxFactory reads a transaction factory from the command's tx flags
// (--from, --gas, --fees, --fee-granter, ...). Without --gas the gas is
// estimated by Preflight's simulation (with --gas-adjustment 1.3 unless
// given): a record's wraps make its size vary too much for a fixed
// default.
func TxFactory(clientCtx client.Context, flagSet *pflag.FlagSet) (tx.Factory, error) {
	txf, err := tx.NewFactoryCLI(clientCtx, flagSet)
	if err != nil {
		return tx.Factory{}, err
	}
	if !flagSet.Changed(flags.FlagGas) {
		txf = txf.WithSimulateAndExecute(true)
		if !flagSet.Changed(flags.FlagGasAdjustment) {
			txf = txf.WithGasAdjustment(1.3)
		}
	}
	return txf, nil
}
