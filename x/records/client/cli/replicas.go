package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
)

// ReplicasCmd lists the vaults placement names for a record's payload and
// asks each whether it holds it.
func ReplicasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replicas RECORD_ID [--record-version N] [--from KEY]",
		Short: "List the hospitals' vaults that must hold a record's payload, and ask each whether it does",
		Long: "Prints JSON. The placement comes from the chain (q records placement: rendezvous hashing of the CID over the " +
			"ACTIVE hospitals with a vault URL, replication_factor of them); each vault is then asked over HTTP whether it " +
			"holds the payload's root (a vault writes a root only once the whole payload is in). A vault whose access gate " +
			"is on answers only to a reader's ticket: give --from with a key that may read the record.",
		Example: "medchaind query records replicas 42\nmedchaind query records replicas 42 --from alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a record id", args[0])
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			version, _ := cmd.Flags().GetUint64(flagVersion)
			var signer *client.Context
			if from, _ := cmd.Flags().GetString(flags.FlagFrom); from != "" {
				txCtx, err := client.GetClientTxContext(cmd)
				if err != nil {
					return err
				}
				signer = &txCtx
			}
			report, err := medclient.CheckReplicas(ctx, clientCtx, signer, id, version)
			if err != nil {
				return err
			}
			data, err := json.MarshalIndent(report, "", "  ")
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(data, '\n'))
			return err
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	cmd.Flags().Uint64(flagVersion, 0, "the version whose payload to look for (default: the current one)")
	cliflags.AddKeyFlags(cmd, "a key that may read the record, to sign tickets for gated vaults")
	return cmd
}
