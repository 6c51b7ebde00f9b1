package cmd

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

// encryptionKeyCmd shows the encryption key derived from a keyring key:
// what `tx access register-key` registers and what wraps are sealed to.
func encryptionKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "encryption-key NAME",
		Short: "Show the encryption public key derived from the keyring key NAME",
		Long: "medchain derives each account's ML-KEM-768-X25519 encryption key pair from its keyring key (the key signs a " +
			"medchain text naming the chain; the signature seeds the pair), so restoring the mnemonic restores the encryption key " +
			"and there is no second secret to back up, and the key of one chain opens nothing on another. This prints the public " +
			"key, its key id and algorithm for the chain of --chain-id (or client.toml, or --node's); " +
			"`medchaind tx access register-key --from NAME` registers it on chain.",
		Example: "medchaind keys encryption-key alice\nmedchaind keys encryption-key alice --output json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			kp, err := medclient.DeriveKeyPair(clientCtx, args[0])
			if err != nil {
				return err
			}
			rec, err := clientCtx.Keyring.Key(args[0])
			if err != nil {
				return err
			}
			addr, err := rec.GetAddress()
			if err != nil {
				return err
			}
			out := struct {
				Address   string `json:"address"`
				Algorithm string `json:"algorithm"`
				KeyID     string `json:"key_id"`
				PublicKey string `json:"public_key"`
			}{addr.String(), accesstypes.KeyAlgorithmMLKEM768X25519.String(), kp.KeyID(), base64.StdEncoding.EncodeToString(kp.PublicKey())}
			if output, _ := cmd.Flags().GetString(flags.FlagOutput); output == flags.OutputFormatJSON {
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				return clientCtx.PrintRaw(b)
			}
			return clientCtx.PrintString(fmt.Sprintf("address:    %s\nalgorithm:  %s\nkey id:     %s\npublic key: %s\n",
				out.Address, out.Algorithm, out.KeyID, out.PublicKey))
		},
	}
	// --output and the keyring flags come from `keys`; the chain the key
	// is bound to from --chain-id, client.toml or --node.
	cmd.Flags().String(flags.FlagChainID, "", "the chain the encryption key is for (default: client.toml's, else --node's)")
	cmd.Flags().String(flags.FlagNode, "", "a node to ask the chain id of, if neither --chain-id nor client.toml gives it")
	return cmd
}

// dateShiftCmd shows the patient's own date shift, which only the key
// holder can compute.
func dateShiftCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "date-shift NAME",
		Short: "Show by how many days de-identified copies of NAME's records move their dates",
		Long: "`tx records deidentify` shifts every date of a copy back by a number of days derived from the keyring key " +
			"(PS3.15 option 113107): the same for all of the patient's records, so intervals between studies survive, and " +
			"unknown to anyone without the key. This prints it, so the patient (and only the patient) can map dates back " +
			"or check a copy: `go run ./scripts/dicomcheck ORIGINAL COPY --shift-days N`.",
		Example: "medchaind keys date-shift alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			days, err := medclient.DateShiftDays(clientCtx, args[0])
			if err != nil {
				return err
			}
			return clientCtx.PrintString(fmt.Sprintf("%d\n", days))
		},
	}
}
