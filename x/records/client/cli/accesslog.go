package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
)

// AccessLogCmd shows the owner who asked a vault for a record, and what
// the vault's access gate decided.
func AccessLogCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access-log RECORD_ID --from OWNER",
		Short: "Show your record's access log at a vault: every read its access gate allowed or refused",
		Long: "Prints JSON. A vault whose access gate is on logs every read request (who, which record and CID, when, allowed or denied " +
			"and why) to an append-only file. Its owner reads a record's entries with a ticket signed by --from; nobody " +
			"else may.",
		Example: "medchaind query records access-log 42 --from alice --vault http://127.0.0.1:27005",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a record id", args[0])
			}
			_, base, err := cliflags.RemoteFromCmd(cmd)
			if err != nil {
				return err
			}
			body, err := medclient.AccessLog(cmd.Context(), clientCtx, base, id)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(body[:len(body):len(body)], '\n'))
			return err
		},
	}
	cliflags.AddKeyFlags(cmd, "the key to sign with (name or address in the keyring)")
	cliflags.AddRemoteFlags(cmd)
	return cmd
}
