package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	"github.com/medchain/medchain/x/records/types"
)

// replicaView is one placed vault and whether it holds the payload.
type replicaView struct {
	Hospital string `json:"hospital"`
	VaultURL string `json:"vault_url"`
	Holds    bool   `json:"holds"`
	Error    string `json:"error,omitempty"`
}

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
			resp, err := types.NewQueryClient(clientCtx).Record(ctx, &types.QueryRecordRequest{Id: id})
			if err != nil {
				return fmt.Errorf("record %d: %w", id, err)
			}
			if resp.Record.Status != types.RecordStatusActive {
				return fmt.Errorf("record %d was redacted: its payload is released everywhere", id)
			}
			version, _ := cmd.Flags().GetUint64(flagVersion)
			payload, err := medclient.VersionPayload(ctx, clientCtx, resp.Record, version)
			if err != nil {
				return err
			}
			root, err := types.ValidateCID(payload.Cid)
			if err != nil {
				return err
			}
			placed, err := types.NewQueryClient(clientCtx).Placement(ctx, &types.QueryPlacementRequest{Cid: payload.Cid})
			if err != nil {
				return err
			}
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			hc := medclient.ReplicaHTTPClient()
			out := struct {
				RecordID          uint64        `json:"record_id"`
				Version           uint64        `json:"version"`
				CID               string        `json:"cid"`
				ReplicationFactor uint32        `json:"replication_factor"`
				Replicas          []replicaView `json:"replicas"`
			}{id, payload.Version, payload.Cid, placed.ReplicationFactor, []replicaView{}}
			for _, r := range placed.Replicas {
				v := replicaView{Hospital: r.Address, VaultURL: r.VaultUrl}
				vc := vault.NewClient(r.VaultUrl, hc)
				if from != "" {
					txCtx, err := client.GetClientTxContext(cmd)
					if err != nil {
						return err
					}
					t, err := medclient.Ticket(ctx, txCtx, r.VaultUrl, gate.PurposeRead, id, payload.Version, payload.Cid)
					if err != nil {
						return err
					}
					vc.Header = http.Header{gate.Header: {t}}
				}
				askCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
				v.Holds, err = vc.Has(askCtx, root)
				cancel()
				if err != nil {
					v.Error = err.Error()
				}
				out.Replicas = append(out.Replicas, v)
			}
			data, err := json.MarshalIndent(out, "", "  ")
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
