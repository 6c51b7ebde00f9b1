package cmd

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/medclient"
)

// pseudonymCmd derives one of a key's pseudonyms and adds it to the
// keyring, so that every command can sign as it with --from.
func pseudonymCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pseudonym NAME N",
		Short: "Derive pseudonym number N of the keyring key NAME and add it to the keyring as NAME-pseudonym-N",
		Long: "A pseudonym is an account of its own that sells de-identified copies of your records, with nothing on chain " +
			"linking it to you: its key is derived from NAME's signature of a medchain text naming the chain and N, so your " +
			"mnemonic restores every pseudonym, and N = 0, 1, 2, ... give unlinkable accounts (use a new one for each sale you " +
			"want kept apart). The key is added to the keyring (the same backend as NAME) so that `--from NAME-pseudonym-N` " +
			"signs as it. `medchaind tx records deidentify ID --to NAME-pseudonym-N --from NAME` then has the hospital that issued " +
			"record ID vouch for it and stores the copy as its record, which it mints and lists with --from. Moving its " +
			"proceeds to your own address would link the two.",
		Example: "medchaind keys pseudonym alice 0\nmedchaind keys pseudonym alice 0 --output json",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			n, err := strconv.ParseUint(args[1], 10, 32)
			if err != nil {
				return fmt.Errorf("%q is not a pseudonym number (0, 1, 2, ...)", args[1])
			}
			priv, err := medclient.DerivePseudonymKey(cmd.Context(), clientCtx, args[0], uint32(n))
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s-pseudonym-%d", args[0], n)
			addr := sdk.AccAddress(priv.PubKey().Address())
			if rec, err := clientCtx.Keyring.Key(name); err == nil {
				have, err := rec.GetAddress()
				if err != nil {
					return err
				}
				if !have.Equals(addr) {
					return fmt.Errorf("the keyring already has a key %q at %s, not the pseudonym %s: rename or delete it first", name, have, addr)
				}
			} else if err := clientCtx.Keyring.ImportPrivKeyHex(name, hex.EncodeToString(priv.Key), "secp256k1"); err != nil {
				return fmt.Errorf("adding %s to the keyring: %w", name, err)
			}
			out := struct {
				Name    string `json:"name"`
				Address string `json:"address"`
			}{name, addr.String()}
			if output, _ := cmd.Flags().GetString(flags.FlagOutput); output == flags.OutputFormatJSON {
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				return clientCtx.PrintRaw(b)
			}
			return clientCtx.PrintString(fmt.Sprintf("name:    %s\naddress: %s\n", out.Name, out.Address))
		},
	}
	cmd.Flags().String(flags.FlagChainID, "", "the chain the pseudonym is for (default: client.toml's, else --node's)")
	cmd.Flags().String(flags.FlagNode, "", "a node to ask the chain id of, if neither --chain-id nor client.toml gives it")
	return cmd
}
