// Package cli holds the records module's hand-written commands: upload,
// add-version and download, which encrypt, move and decrypt payloads on the
// client (package medclient). AutoCLI adds the generated commands (redact,
// update-params, the queries) to the same command groups.
package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	accesstypes "github.com/medchain/medchain/x/access/types"
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
// commands; AutoCLI adds redact and update-params.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the records module (upload, add-version, redact)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(UploadCmd(), AddVersionCmd(), DeidentifyCmd())
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
			"The record key is wrapped for the owner and for every grantee of the owner's live READ scope grants that cover " +
			"the kind, then MsgCreateRecord is broadcast and the command waits for its block.\n\n" +
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

// uploadResult is what upload and add-version print.
type uploadResult struct {
	RecordID  uint64 `json:"record_id"`
	Version   uint64 `json:"version,omitempty"`
	CID       string `json:"cid"`
	SizeBytes int64  `json:"size_bytes"`
	Kind      string `json:"kind"`
	TxHash    string `json:"txhash"`
	Height    int64  `json:"height"`
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

	f, size, err := openInput(args[0])
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
	msg := &types.MsgCreateRecord{Creator: creator, Owner: owner, Kind: kind, DerivedFrom: derivedFrom}
	return createRecord(cmd, clientCtx, msg, label, args[0], src, size)
}

// createRecord encrypts src (the file name, of size bytes), uploads it and
// registers it as msg describes (creator, owner, kind, derived_from); it
// fills in the CID, size, wraps and the label sealed under the new record
// key. The chain is asked in simulation before any data moves.
func createRecord(cmd *cobra.Command, clientCtx client.Context, msg *types.MsgCreateRecord, label, name string, src io.Reader, size int64) error {
	ctx := cmd.Context()
	if err := types.ValidateLabel(label, types.MaxLabelLengthCap); err != nil {
		return err
	}
	remote, vaultURL, err := cliflags.RemoteFromCmd(cmd)
	if err != nil {
		return err
	}
	if err := checkVaultLimit(cmd, vaultURL, size); err != nil {
		return err
	}
	medclient.AuthorizeUploads(ctx, clientCtx, remote, medclient.EncryptedSizeBound(size))
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	recordKey, err := envelope.NewRecordKey()
	if err != nil {
		return err
	}
	padded, err := envelope.EncryptedSize(size)
	if err != nil {
		return err
	}
	msg.Cid, msg.SizeBytes = medclient.PlaceholderCID(""), uint64(padded)
	if msg.SealedLabel, err = envelope.SealLabel(recordKey, msg.Owner, label); err != nil {
		return err
	}
	readers, err := medclient.NewRecordReaders(ctx, clientCtx, msg.Owner, msg.Kind)
	if err != nil {
		return err
	}
	if err := wrapNew(clientCtx, msg, readers, recordKey); err != nil {
		return err
	}
	// Ask the chain before any data moves: the signer's right to write,
	// the wraps, the label and the kind are all checked in simulation.
	if err := t.Preflight(msg); err != nil {
		return err
	}
	if ok, err := t.Confirm(fmt.Sprintf("upload %s (%s, %s) as a record of %s", name, kindName(msg.Kind), medclient.HumanBytes(size), msg.Owner)); err != nil || !ok {
		return err
	}

	progress := medclient.NewProgress(src, "encrypting and uploading", size)
	up, err := medclient.Upload(ctx, remote, progress, size, recordKey)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("upload of %s failed, nothing was registered: %w", name, err)
	}
	msg.Cid, msg.SizeBytes = up.CID.String(), uint64(up.Size)
	if err := wrapNew(clientCtx, msg, readers, recordKey); err != nil { // bound to the real CID now
		return err
	}

	wait, _ := cmd.Flags().GetDuration(flagWait)
	res, err := t.BroadcastAndWait(ctx, wait, msg)
	if err != nil {
		return fmt.Errorf("the payload is in the vault as %s but the record was not registered (the vault collects it later): %w", msg.Cid, err)
	}
	id, err := createdID(res)
	if err != nil {
		return err
	}
	return printResult(cmd, clientCtx, uploadResult{
		RecordID: id, Version: 1, CID: msg.Cid, SizeBytes: up.Size,
		Kind: kindName(msg.Kind), TxHash: res.TxHash, Height: res.Height,
	})
}

// wrapNew seals the record key for readers (the owner and every scope
// grantee), bound to the record's CID, which opens its key epoch 0: the
// record id is left 0, for the chain to fill in, so uploads by any number
// of clients at once never wait for one another or seal again.
func wrapNew(clientCtx client.Context, msg *types.MsgCreateRecord, readers []accesstypes.EncryptionKey, recordKey envelope.RecordKey) error {
	var err error
	msg.Wraps, err = medclient.SealForAll(medclient.Epoch{ChainID: clientCtx.ChainID, Anchor: msg.Cid}, readers, recordKey.Bytes())
	return err
}

// openInput opens a regular file to upload and returns its size.
func openInput(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() == 0 {
		f.Close()
		return nil, 0, fmt.Errorf("%s is empty: there is nothing to store", path)
	}
	return f, st.Size(), nil
}

// checkVaultLimit refuses, before anything is encrypted, a file whose
// upload would exceed the vault's limit.
func checkVaultLimit(cmd *cobra.Command, vaultURL string, size int64) error {
	if vaultURL == "" {
		return nil // Kubo sets no such limit
	}
	st, err := medclient.FetchVaultStatus(cmd.Context(), vaultURL)
	if err != nil {
		return err
	}
	if need := medclient.EncryptedSizeBound(size); st.MaxUploadBytes > 0 && need > st.MaxUploadBytes {
		return fmt.Errorf("%w: the file is %s, about %s encrypted, and the vault at %s accepts at most %s per upload; nothing was sent",
			errTooLarge, medclient.HumanBytes(size), medclient.HumanBytes(need), vaultURL, medclient.HumanBytes(st.MaxUploadBytes))
	}
	return nil
}

var errTooLarge = errors.New("too large for the vault")

func kindName(k types.RecordKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "RECORD_KIND_"))
}

// printResult prints JSON when -o json is given, else a sentence (the tx
// flags' json default is for the transaction dumps of other commands).
func printResult(cmd *cobra.Command, clientCtx client.Context, r uploadResult) error {
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
			"kind and label; its version increments and the previous CID stays in `query records history`.",
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
	ctx := cmd.Context()
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return fmt.Errorf("%q is not a record id", args[0])
	}
	resp, err := types.NewQueryClient(clientCtx).Record(ctx, &types.QueryRecordRequest{Id: id})
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	record := resp.Record
	f, size, err := openInput(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	remote, vaultURL, err := cliflags.RemoteFromCmd(cmd)
	if err != nil {
		return err
	}
	if err := checkVaultLimit(cmd, vaultURL, size); err != nil {
		return err
	}
	medclient.AuthorizeUploads(ctx, clientCtx, remote, medclient.EncryptedSizeBound(size))
	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	recordKey, epoch, err := medclient.OpenRecordKey(ctx, clientCtx, kp, id, clientCtx.FromAddress.String())
	if err != nil {
		return fmt.Errorf("a new version is encrypted under the record's key, which the signer must be able to open: %w", err)
	}
	// No wraps: the stored ones seal this key epoch's record key, which the
	// new version is encrypted under, and only the owner may replace them.
	msg := &types.MsgAddVersion{
		Creator: clientCtx.FromAddress.String(), RecordId: id, KeyEpoch: epoch.KeyEpoch,
		Cid: medclient.PlaceholderCID(""),
	}
	padded, err := envelope.EncryptedSize(size)
	if err != nil {
		return err
	}
	msg.SizeBytes = uint64(padded)
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	if err := t.Preflight(msg); err != nil {
		return err
	}
	if ok, err := t.Confirm(fmt.Sprintf("store %s (%s) as version %d of record %d", args[1], medclient.HumanBytes(size), record.Version+1, id)); err != nil || !ok {
		return err
	}
	progress := medclient.NewProgress(f, "encrypting and uploading", size)
	up, err := medclient.Upload(ctx, remote, progress, size, recordKey)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("upload of %s failed, the record is unchanged: %w", args[1], err)
	}
	msg.Cid, msg.SizeBytes = up.CID.String(), uint64(up.Size)
	wait, _ := cmd.Flags().GetDuration(flagWait)
	res, err := t.BroadcastAndWait(ctx, wait, msg)
	if err != nil {
		return fmt.Errorf("the payload is in the vault as %s but the version was not registered (the vault collects it later): %w", msg.Cid, err)
	}
	return printResult(cmd, clientCtx, uploadResult{
		RecordID: id, Version: record.Version + 1, CID: msg.Cid, SizeBytes: up.Size,
		Kind: kindName(record.Kind), TxHash: res.TxHash, Height: res.Height,
	})
}

func contextWithTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), d)
}

// createdID reads the id the chain gave a record from its transaction's
// MsgCreateRecordResponse.
func createdID(res *sdk.TxResponse) (uint64, error) {
	raw, err := hex.DecodeString(res.Data)
	if err != nil {
		return 0, fmt.Errorf("transaction %s: its data is not hex: %w", res.TxHash, err)
	}
	var data sdk.TxMsgData
	if err := data.Unmarshal(raw); err != nil {
		return 0, fmt.Errorf("transaction %s: %w", res.TxHash, err)
	}
	for _, r := range data.MsgResponses {
		var created types.MsgCreateRecordResponse
		if r.TypeUrl == "/"+proto.MessageName(&created) {
			if err := created.Unmarshal(r.Value); err != nil {
				return 0, fmt.Errorf("transaction %s: %w", res.TxHash, err)
			}
			return created.Id, nil
		}
	}
	return 0, fmt.Errorf("transaction %s created no record", res.TxHash)
}
