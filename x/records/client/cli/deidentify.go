package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/medclient/deid"
	"github.com/medchain/medchain/x/records/types"
)

// DeidentifyCmd makes a de-identified copy of one of the signer's records.
func DeidentifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deidentify RECORD_ID --from OWNER",
		Short: "Store a de-identified copy of one of your DICOM or FHIR records as a new record (derived_from set)",
		Long: "Downloads and decrypts the record on this machine, removes identifying data, and uploads the result as a " +
			"new record of yours whose derived_from is the original; only such copies can become data-NFTs.\n\n" +
			"DICOM follows every attribute of PS3.15 Table E.1-1 with its Basic Application Level Confidentiality " +
			"Profile action (inside sequences too): identifying attributes removed, emptied or replaced with dummies, " +
			"descriptions and comments removed, UIDs remapped consistently under a secret derived from your key, private " +
			"attributes, overlays and curves removed, Patient Identity Removed = YES, and the profile and options declared " +
			"in the De-identification Method Code Sequence. A file whose Burned In Annotation is YES is refused unless " +
			"--allow-burned-in-annotation is given (its pixels may show a name).\n\n" +
			"FHIR JSON loses all eighteen HIPAA Safe Harbor identifiers: names, addresses below the state (ZIP codes cut " +
			"to three digits), telecom, identifiers, photos, URLs and IP addresses in values, narrative and notes; resource " +
			"ids and references are replaced by keyed pseudonyms; ages over 89 become \"90 or older\".\n\n" +
			"Dates (--dates): shift (the default) moves every date back by a number of days derived from your key, the " +
			"same for all your records, so intervals survive and nobody else can undo it (DICOM option 113107); remove " +
			"applies the basic profile's removal to DICOM dates and keeps only the year of FHIR dates.\n\n" +
			"Other kinds are refused: medchain cannot find what identifies a person in a PDF or an image. The plaintext " +
			"exists only in a private temporary directory, removed afterwards.",
		Example: "medchaind tx records deidentify 42 --from alice --yes -o json",
		Args:    cobra.ExactArgs(1),
		RunE:    runDeidentify,
	}
	cmd.Flags().String(flagLabel, "", "label of the copy, sealed to its readers (default: the original's)")
	cmd.Flags().String(flagDates, datesShift, "what happens to dates: shift (by your own secret number of days) or remove")
	cmd.Flags().Bool(flagAllowBurnedIn, false, "de-identify a DICOM file whose Burned In Annotation is YES (its pixels may still show identifying text)")
	cmd.Flags().Duration(flagWait, defaultWait, "how long to wait for the transaction's block")
	cliflags.AddRemoteFlags(cmd)
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
		return fmt.Errorf("record %d is %s: only DICOM and FHIR records can be de-identified; medchain cannot find what identifies a person in other kinds", id, medclient.KindName(record.Kind))
	}
	dates, _ := cmd.Flags().GetString(flagDates)
	if dates != datesShift && dates != datesRemove {
		return fmt.Errorf("--dates %q: use %s or %s", dates, datesShift, datesRemove)
	}
	allowBurnedIn, _ := cmd.Flags().GetBool(flagAllowBurnedIn)
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
	remote, _, err := cliflags.ReadRemoteFromCmd(cmd, clientCtx)
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
	summary, err := deidentifyFile(clientCtx, record.Kind, original, copyPath, dates == datesShift, allowBurnedIn)
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), summary)

	f, size, err := medclient.OpenInput(copyPath)
	if err != nil {
		return err
	}
	defer f.Close()
	label, _ := cmd.Flags().GetString(flagLabel)
	if label == "" {
		if label, err = envelope.OpenLabel(key, owner, record.SealedLabel); err != nil {
			return fmt.Errorf("record %d: its label: %w", id, err)
		}
	}
	return createRecord(cmd, clientCtx, medclient.NewRecord{
		Creator: owner, Owner: owner, Kind: record.Kind, DerivedFrom: id, Label: label,
		Name: fmt.Sprintf("a de-identified copy of record %d", id), Src: f, Size: size,
	})
}

// Values of --dates.
const (
	flagDates         = "dates"
	flagAllowBurnedIn = "allow-burned-in-annotation"
	datesShift        = "shift"
	datesRemove       = "remove"
)

// deidentifyFile writes the de-identified copy of src to dst and says what
// it changed. Secrets derived from the signer's key pseudonymise UIDs and
// ids and, with shiftDates, give the patient's date shift.
func deidentifyFile(clientCtx client.Context, kind types.RecordKind, src, dst string, shiftDates, allowBurnedIn bool) (string, error) {
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
	shift := 0
	if shiftDates {
		if shift, err = medclient.DateShiftDays(clientCtx, clientCtx.FromName); err != nil {
			return "", err
		}
	}
	var summary string
	if kind == types.RecordKindDICOM {
		uidKey, err := medclient.DeriveSecret(clientCtx, clientCtx.FromName, "dicom uid remapping")
		if err != nil {
			return "", err
		}
		rep, err := deid.DICOM(in, st.Size(), out, uidKey, deid.DICOMOptions{DateShiftDays: shift, AllowBurnedInAnnotation: allowBurnedIn})
		if err != nil {
			return "", err
		}
		summary = "de-identified DICOM: " + rep.Summary()
	} else {
		key, err := medclient.DeriveSecret(clientCtx, clientCtx.FromName, "fhir id pseudonyms")
		if err != nil {
			return "", err
		}
		rep, err := deid.FHIR(in, out, deid.FHIROptions{Key: key, DateShiftDays: shift})
		if err != nil {
			return "", err
		}
		summary = "de-identified FHIR: " + rep.Summary()
	}
	return summary, out.Close()
}
