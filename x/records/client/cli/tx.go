// Package cli holds the records module's hand-written commands: upload,
// add-version, deidentify and download, which encrypt, move and decrypt
// payloads on the client. They parse flags, run package medclient's
// workflows (CreateRecord, AddVersion, DownloadFile) and print the result.
// AutoCLI adds the generated commands (redact, update-params, the queries)
// to the same command groups.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/records/types"
)

const (
	flagOwner       = "owner"
	flagLabel       = "label"
	flagKind        = "kind"
	flagDerivedFrom = "derived-from"
	flagWait        = "wait"

	// defaultWait is how long a command waits for its transaction's block.
	defaultWait = time.Minute
)

// GetTxCmd returns the records transaction group with the hand-written
// commands; AutoCLI adds redact, set-archive-consent and update-params.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the records module (upload, add-version, redact)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(UploadCmd(), AddVersionCmd(), DeidentifyCmd(), RecordArchiveCmd())
	return cmd
}

// UploadCmd encrypts a file, stores it in a vault and registers it.
func UploadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upload FILE",
		Short: "Encrypt FILE, store it in a vault and register it as a record of --owner",
		Long: "Reads FILE once, as a stream: detects its kind (DICOM by its preamble, FHIR JSON by resourceType, PDF, " +
			"common images, else OTHER; --kind overrides), encrypts it with age under a fresh record key, chunks the " +
			"ciphertext into an IPFS DAG (CIDv1, raw leaves, 1 MiB chunks: the CID Kubo computes) and uploads it to the vault. " +
			"The record key is wrapped for the owner, for every grantee of the owner's live READ scope grants that cover " +
			"the kind and for the owner's emergency reader, then MsgCreateRecord is broadcast and the command waits for its block. " +
			"An emergency policy whose key a break-glass has used is spent: the record gets no emergency wrap and the command " +
			"warns that the owner must renew the policy (`tx access set-emergency-policy`).\n\n" +
			"The signer (--from) is the owner, or a doctor or hospital the owner granted WRITE. The chain is asked first " +
			"(a simulation), so a refused upload fails before any data moves. The owner and every scope grantee must have " +
			"registered an encryption key (`tx access register-key`).\n\n" +
			"The file is padded before encryption, so the chain and the vaults see only a size class (at most 12 % more), " +
			"never its exact size. The label is sealed under the record key: the owner and the record's readers see it, " +
			"the chain and everyone else only ciphertext.",
		Example: "medchaind tx records upload scan.dcm --owner med1... --label \"MRI knee\" --from dr-house --yes\n" +
			"medchaind tx records upload labs.json --from alice -o json",
		Args: cobra.ExactArgs(1),
		RunE: runUpload,
	}
	cmd.Flags().String(flagOwner, "", "the patient the record belongs to (default: the signer)")
	cmd.Flags().String(flagLabel, "", "optional short label, sealed so that only the record's readers can read it")
	cmd.Flags().String(flagKind, "auto", "auto, or one of dicom, fhir, pdf, image, genomic, other")
	cmd.Flags().Uint64(flagDerivedFrom, 0, "the owner's record this one is a de-identified copy of")
	cmd.Flags().Duration(flagWait, defaultWait, "how long to wait for the transaction's block")
	cliflags.AddRemoteFlags(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runUpload(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	creator := clientCtx.FromAddress.String()
	owner, _ := cmd.Flags().GetString(flagOwner)
	if owner == "" {
		owner = creator
	} else if _, err := sdk.AccAddressFromBech32(owner); err != nil {
		return fmt.Errorf("--owner %q is not an address: %w", owner, err)
	}
	label, _ := cmd.Flags().GetString(flagLabel)
	derivedFrom, _ := cmd.Flags().GetUint64(flagDerivedFrom)
	kindFlag, _ := cmd.Flags().GetString(flagKind)
	kind, auto, err := medclient.ParseKind(kindFlag)
	if err != nil {
		return err
	}

	f, size, err := medclient.OpenInput(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	var src io.Reader = f
	if auto {
		if kind, src, err = medclient.DetectKind(f); err != nil {
			return fmt.Errorf("reading %s: %w", args[0], err)
		}
	}
	return createRecord(cmd, clientCtx, medclient.NewRecord{
		Creator: creator, Owner: owner, Kind: kind, DerivedFrom: derivedFrom, Label: label,
		Name: args[0], Src: src, Size: size,
	})
}

// createRecord stores and registers in (medclient.CreateRecord) where the
// command's flags say, and prints the result.
func createRecord(cmd *cobra.Command, clientCtx client.Context, in medclient.NewRecord) error {
	dest, err := destination(cmd, clientCtx)
	if err != nil {
		return err
	}
	res, err := medclient.CreateRecord(cmd.Context(), clientCtx, dest, in)
	return printResult(cmd, clientCtx, res, err)
}

// destination reads where a payload goes and how its transaction is sent
// from the command's --vault, --ipfs-api, tx and --wait flags.
func destination(cmd *cobra.Command, clientCtx client.Context) (medclient.Destination, error) {
	remote, vaultURL, err := cliflags.RemoteFromCmd(cmd)
	if err != nil {
		return medclient.Destination{}, err
	}
	txf, err := cliflags.TxFactory(clientCtx, cmd.Flags())
	if err != nil {
		return medclient.Destination{}, err
	}
	wait, _ := cmd.Flags().GetDuration(flagWait)
	return medclient.Destination{Remote: remote, VaultURL: vaultURL, TxFactory: txf, Wait: wait}, nil
}

// printResult prints what upload or add-version stored, or returns its
// error; a user who declined at the prompt gets nothing printed. It prints
// JSON when -o json is given, else a sentence (the tx flags' json default
// is for the transaction dumps of other commands).
func printResult(cmd *cobra.Command, clientCtx client.Context, r *medclient.UploadResult, err error) error {
	switch {
	case errors.Is(err, medclient.ErrNotConfirmed):
		return nil
	case err != nil:
		return err
	}
	if r.EmergencyKeySpent != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", r.EmergencyKeySpent)
	}
	if cmd.Flags().Changed(flags.FlagOutput) && clientCtx.OutputFormat == flags.OutputFormatJSON {
		out, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return clientCtx.PrintRaw(out)
	}
	verb := "created"
	if r.Version > 1 {
		verb = "updated to version " + strconv.FormatUint(r.Version, 10)
	}
	return clientCtx.PrintString(fmt.Sprintf("record %d %s: %s (%s, %s encrypted) in block %d, tx %s\n",
		r.RecordID, verb, r.CID, r.Kind, medclient.HumanBytes(r.SizeBytes), r.Height, r.TxHash))
}

// AddVersionCmd replaces a record's payload with a new file, under the
// record's current key.
func AddVersionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-version RECORD_ID FILE",
		Short: "Store FILE as the next version of a record (the owner, or a writer who can also read it)",
		Long: "Opens the record key with the signer's wrap (so the signer must be the owner or hold READ as well as " +
			"WRITE), encrypts FILE under it, uploads it to the vault and broadcasts MsgAddVersion. The wraps already on " +
			"chain open the new version too, so none are sent (only the owner may replace them). The record keeps its id, " +
			"kind and label; its version increments and the previous CID stays in `query records history`. If the owner's " +
			"emergency key was used by a break-glass (the policy is spent), the command warns that the owner must renew it " +
			"(`tx access set-emergency-policy`).",
		Example: "medchaind tx records add-version 42 scan-corrected.dcm --from dr-house --yes",
		Args:    cobra.ExactArgs(2),
		RunE:    runAddVersion,
	}
	cmd.Flags().Duration(flagWait, defaultWait, "how long to wait for the transaction's block")
	cliflags.AddRemoteFlags(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runAddVersion(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return fmt.Errorf("%q is not a record id", args[0])
	}
	f, size, err := medclient.OpenInput(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	dest, err := destination(cmd, clientCtx)
	if err != nil {
		return err
	}
	res, err := medclient.AddVersion(cmd.Context(), clientCtx, dest, id, args[1], f, size)
	return printResult(cmd, clientCtx, res, err)
}

func contextWithTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), d)
}
