package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/deid"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/x/records/types"
)

// DeidentifyCmd makes a de-identified copy of one of the signer's records.
func DeidentifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deidentify RECORD_ID --from OWNER",
		Short: "Store a de-identified copy of one of your DICOM or FHIR records as a new record (derived_from set)",
		Long: "Downloads and decrypts the record on this machine, removes identifying data, and uploads the result as a " +
			"new record of yours whose derived_from is the original; only such copies can become data-NFTs. " +
			"DICOM follows the PS3.15 Annex E basic profile (names, IDs, birth date, sex, addresses, age, accession number, " +
			"physicians, institution, station, device serial, operators emptied or removed; study, series, instance and " +
			"frame-of-reference UIDs remapped consistently under a secret derived from your key; private tags and overlays " +
			"removed; Patient Identity Removed = YES). FHIR JSON loses identifiers, names, telecom, addresses, photos and " +
			"narrative, and birth dates keep only the year. Other kinds are refused: medchain cannot find what identifies " +
			"a person in a PDF or an image. The plaintext exists only in a private temporary directory, removed afterwards.",
		Example: "medchaind tx records deidentify 42 --from alice --yes -o json",
		Args:    cobra.ExactArgs(1),
		RunE:    runDeidentify,
	}
	cmd.Flags().String(flagLabel, "", "label of the copy (default: the original's)")
	cmd.Flags().Duration(flagWait, defaultWait, "how long to wait for the transaction's block")
	medclient.AddRemoteFlags(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runDeidentify(cmd *cobra.Command, args []string) error {
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
	owner := clientCtx.FromAddress.String()
	switch {
	case record.Status != types.RecordStatusActive:
		return fmt.Errorf("record %d was redacted: there is nothing to de-identify", id)
	case record.Owner != owner:
		return fmt.Errorf("record %d belongs to %s: only its owner makes de-identified copies", id, record.Owner)
	case record.Kind != types.RecordKindDICOM && record.Kind != types.RecordKindFHIR:
		return fmt.Errorf("record %d is %s: only DICOM and FHIR records can be de-identified; medchain cannot find what identifies a person in other kinds", id, kindName(record.Kind))
	}
	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	key, _, err := medclient.OpenRecordKey(ctx, clientCtx, kp, id, owner)
	if err != nil {
		return err
	}
	root, err := types.ValidateCID(record.Cid)
	if err != nil {
		return err
	}
	remote, _, err := medclient.ReadRemoteFromCmd(cmd, clientCtx)
	if err != nil {
		return err
	}
	medclient.BoundFetch(remote, record.SizeBytes)
	if err := medclient.AuthorizeReads(ctx, clientCtx, remote, id, record.Version, record.Cid); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "medchain-deid-*") // 0700
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	original, copyPath := filepath.Join(dir, "original"), filepath.Join(dir, "deidentified")
	if _, err := medclient.DownloadFile(ctx, remote, root, key, original); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	summary, err := deidentifyFile(clientCtx, record.Kind, original, copyPath)
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), summary)

	f, size, err := openInput(copyPath)
	if err != nil {
		return err
	}
	defer f.Close()
	label, _ := cmd.Flags().GetString(flagLabel)
	if label == "" {
		label = record.Label
	}
	msg := &types.MsgCreateRecord{Creator: owner, Owner: owner, Kind: record.Kind, Label: label, DerivedFrom: id}
	return createRecord(cmd, clientCtx, msg, fmt.Sprintf("a de-identified copy of record %d", id), f, size)
}

// deidentifyFile writes the de-identified copy of src to dst and says what
// it changed.
func deidentifyFile(clientCtx client.Context, kind types.RecordKind, src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return "", err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer out.Close()
	var summary string
	if kind == types.RecordKindDICOM {
		uidKey, err := medclient.DeriveSecret(clientCtx, clientCtx.FromName, "dicom uid remapping")
		if err != nil {
			return "", err
		}
		rep, err := deid.DICOM(in, st.Size(), out, uidKey)
		if err != nil {
			return "", err
		}
		summary = fmt.Sprintf("de-identified DICOM: %d attributes removed, %d emptied, %d UIDs remapped", len(rep.Removed), len(rep.Emptied), rep.Remapped)
	} else {
		rep, err := deid.FHIR(io.Reader(in), out)
		if err != nil {
			return "", err
		}
		summary = fmt.Sprintf("de-identified FHIR: %d elements removed, %d birth dates cut to the year", rep.Removed, rep.DatesReduced)
	}
	return summary, out.Close()
}
