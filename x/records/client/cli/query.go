package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

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
			"a key rotation released are gone with the revoked reader's key). A DICOM study that a hospital's PACS stored through " +
			"its bridge (one record per study) is written as a directory FILE of .dcm files, one per instance, each checked against " +
			"the study's index.",
		Example: "medchaind query records download 42 -o scan.dcm --from dr-wilson\n" +
			"medchaind query records download 43 -o knee-mri/ --from alice    # a study stored by a hospital's PACS: a directory of .dcm files\n" +
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
	cmd.Flags().Bool(flagContainer, false, "write a DICOM study as its container file (a tar with an index) instead of a directory of .dcm files")
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
		return fmt.Errorf("-o %s exists and is a directory: give a new name (a DICOM study is written as a new directory of that name)", path)
	}
	keepContainer, _ := cmd.Flags().GetBool(flagContainer)
	version, _ := cmd.Flags().GetUint64(flagVersion)
	remote, _, err := cliflags.ReadRemoteFromCmd(cmd, clientCtx)
	if err != nil {
		return err
	}
	d, err := medclient.DownloadRecord(ctx, clientCtx, remote, id, version, path)
	if err != nil {
		return err
	}
	if !keepContainer {
		files, err := medclient.ExtractStudy(path)
		if err != nil {
			return err
		}
		if files > 0 {
			return clientCtx.PrintString(fmt.Sprintf("wrote a DICOM study of %d instances (%s) into the directory %s (record %d version %d, %s)\n",
				files, medclient.HumanBytes(d.Bytes), d.Path, d.RecordID, d.Version, d.CID))
		}
	}
	return clientCtx.PrintString(fmt.Sprintf("wrote %s to %s (record %d version %d, %s, %s)\n",
		medclient.HumanBytes(d.Bytes), d.Path, d.RecordID, d.Version, d.Kind, d.CID))
}

// flagVersion picks a record version to download.
const flagVersion = "record-version"

// flagContainer keeps a study record's container as one file.
const flagContainer = "study-container"
