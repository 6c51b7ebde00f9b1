package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/records/types"
)

// GetQueryCmd returns the records query group with the hand-written
// download command; AutoCLI adds the generated queries.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the records module (records, history, download)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(DownloadCmd(), AccessLogCmd(), ReplicasCmd(), ShowCmd(), ListCmd())
	return cmd
}

// DownloadCmd fetches, verifies and decrypts a record into a file.
func DownloadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "download RECORD_ID -o FILE --from KEY [--record-version N]",
		Short: "Decrypt a record (its current version, or an earlier one) you may read into FILE",
		Long: "Asks the chain for the signer's wrap of the record key (CheckAccess), opens it with the encryption key " +
			"derived from --from, fetches the payload from the --vault vault or else from the vaults placement names for it " +
			"(in order, moving on when one is down, slow or lacks it), verifies every block against the record's CID, " +
			"decrypts it and writes FILE. The plaintext goes to a temporary file beside FILE that is renamed only when " +
			"complete, so FILE never holds a partial or unverified payload. An account without access gets \"no access\" " +
			"and nothing is written. --record-version N downloads an earlier version of the current key epoch (the versions " +
			"a key rotation released are gone with the revoked reader's key).",
		Example: "medchaind query records download 42 -o scan.dcm --from dr-wilson\n" +
			"medchaind query records download 42 -o scan-v1.dcm --record-version 1 --from alice",
		Args: cobra.ExactArgs(1),
		RunE: runDownload,
	}
	cmd.Flags().StringP(flags.FlagOutput, "o", "", "the file to write (required)")
	cmd.Flags().String(flags.FlagFrom, "", "the key of the reader (name or address in the keyring)")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory, if other than --home")
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "<host>:<port> to CometBFT RPC interface for this chain")
	cmd.Flags().String(flags.FlagGRPC, "", "the gRPC endpoint to use for this chain")
	cmd.Flags().Bool(flags.FlagGRPCInsecure, false, "allow gRPC over insecure channels")
	cmd.Flags().String(flags.FlagChainID, "", "the network chain ID")
	cmd.Flags().Duration("timeout", 30*time.Minute, "give up after this long")
	cmd.Flags().Uint64(flagVersion, 0, "the version to download (default: the current one)")
	cliflags.AddRemoteFlags(cmd)
	_ = cmd.MarkFlagRequired(flags.FlagOutput)
	_ = cmd.MarkFlagRequired(flags.FlagFrom)
	return cmd
}

func runDownload(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	timeout, _ := cmd.Flags().GetDuration("timeout")
	ctx, cancel := contextWithTimeout(cmd, timeout)
	defer cancel()
	if clientCtx, err = medclient.EnsureChainID(ctx, clientCtx); err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return fmt.Errorf("%q is not a record id", args[0])
	}
	path, _ := cmd.Flags().GetString(flags.FlagOutput)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s is a directory: give a file name", path)
	}
	resp, err := types.NewQueryClient(clientCtx).Record(ctx, &types.QueryRecordRequest{Id: id})
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	record := resp.Record
	if record.Status != types.RecordStatusActive {
		return fmt.Errorf("record %d was redacted by its owner: there is nothing to download", id)
	}
	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	recordKey, _, err := medclient.OpenRecordKey(ctx, clientCtx, kp, id, clientCtx.FromAddress.String())
	if err != nil {
		return err
	}
	version, _ := cmd.Flags().GetUint64(flagVersion)
	payload, err := versionPayload(ctx, clientCtx, record, version)
	if err != nil {
		return err
	}
	root, err := types.ValidateCID(payload.Cid)
	if err != nil {
		return err
	}
	remote, _, err := cliflags.ReadRemoteFromCmd(cmd, clientCtx)
	if err != nil {
		return err
	}
	medclient.BoundFetch(remote, payload.SizeBytes)
	// A vault with its access gate on serves only to a signed ticket,
	// bound to that vault, and burns it: each vault tried gets its own.
	if err := medclient.AuthorizeReads(ctx, clientCtx, remote, id, payload.Version, payload.Cid); err != nil {
		return err
	}
	n, err := medclient.DownloadFile(ctx, remote, root, recordKey, path)
	if err != nil {
		return fmt.Errorf("record %d: %w (nothing was written to %s)", id, err, path)
	}
	return clientCtx.PrintString(fmt.Sprintf("wrote %s to %s (record %d version %d, %s, %s)\n",
		medclient.HumanBytes(n), path, id, payload.Version, medclient.KindName(record.Kind), payload.Cid))
}

// flagVersion picks a record version to download.
const flagVersion = "record-version"

// versionPayload returns the version of record to download: the current
// one for 0, else that version from the history, which must be of the
// record's current key epoch (the reader's wrap opens only that key).
func versionPayload(ctx context.Context, clientCtx client.Context, record types.Record, version uint64) (types.RecordVersion, error) {
	if version == 0 || version == record.Version {
		return types.RecordVersion{RecordId: record.Id, Version: record.Version, Cid: record.Cid, KeyEpoch: record.KeyEpoch,
			SizeBytes: record.SizeBytes}, nil
	}
	if version > record.Version {
		return types.RecordVersion{}, fmt.Errorf("record %d has %d versions; there is no version %d", record.Id, record.Version, version)
	}
	resp, err := types.NewQueryClient(clientCtx).History(ctx, &types.QueryHistoryRequest{
		RecordId: record.Id, Pagination: &query.PageRequest{Offset: version - 1, Limit: 1},
	})
	if err != nil {
		return types.RecordVersion{}, fmt.Errorf("history of record %d: %w", record.Id, err)
	}
	if len(resp.Versions) != 1 || resp.Versions[0].Version != version {
		return types.RecordVersion{}, fmt.Errorf("history of record %d has no version %d", record.Id, version)
	}
	v := resp.Versions[0]
	if v.KeyEpoch != record.KeyEpoch {
		return types.RecordVersion{}, fmt.Errorf("version %d of record %d is of key epoch %d; the key was rotated to epoch %d "+
			"when a reader was revoked, and the older payloads were released with it", version, record.Id, v.KeyEpoch, record.KeyEpoch)
	}
	return v, nil
}
