package medclient

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient/deid"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// DeidentifyOptions are the choices of a de-identified copy.
type DeidentifyOptions struct {
	// Label is the copy's label, sealed to its readers; empty keeps the
	// original's.
	Label string
	// ShiftDates moves every date back by the patient's own secret number
	// of days (DateShiftDays); false removes dates as the basic profile
	// does (DICOM) or keeps only the year (FHIR).
	ShiftDates bool
	// AllowBurnedIn de-identifies a DICOM file whose Burned In Annotation
	// is YES (its pixels may still show identifying text).
	AllowBurnedIn bool
	// Report receives one line saying what was changed, before the copy is
	// stored (and so before any confirmation prompt); nil discards it.
	Report io.Writer
	// To, when set, stores the copy as a record of a pseudonym of the
	// signer instead, with no derived_from, so that nothing public links
	// it to the patient or the original (see Pseudonymous).
	To *Pseudonymous
}

// Pseudonymous is where a pseudonymous copy goes: the pseudonym's client
// context (its key signs the upload ticket and the transaction) and
// destination. Before anything is downloaded, the vault of the hospital
// that issued the original is asked to vouch for the pseudonym (unless a
// hospital already did), and the pseudonym's encryption key is registered
// if it has none.
type Pseudonymous struct {
	Ctx  client.Context
	Dest Destination
}

// DeidentifyRecord stores a de-identified copy of the signer's DICOM or
// FHIR record recordID as a new record of theirs, derived from it: the
// original is fetched from read, verified and decrypted into a private
// temporary directory (removed afterwards), de-identified (package deid,
// with secrets derived from the signer's key), and stored with
// CreateRecord at dest. A record the signer does not own, a redacted one
// and other kinds are refused before anything is fetched.
func DeidentifyRecord(ctx context.Context, clientCtx client.Context, read Remote, dest Destination, recordID uint64, opts DeidentifyOptions) (*UploadResult, error) {
	resp, err := recordstypes.NewQueryClient(clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	record := resp.Record
	owner := clientCtx.FromAddress.String()
	switch {
	case record.Status != recordstypes.RecordStatusActive:
		return nil, fmt.Errorf("record %d was redacted: there is nothing to de-identify", recordID)
	case record.Owner != owner:
		return nil, fmt.Errorf("record %d belongs to %s: only its owner makes de-identified copies", recordID, record.Owner)
	case record.Kind != recordstypes.RecordKindDICOM && record.Kind != recordstypes.RecordKindFHIR:
		return nil, fmt.Errorf("record %d is %s: only DICOM and FHIR records can be de-identified; medchain cannot find what identifies a person in other kinds", recordID, KindName(record.Kind))
	}
	if opts.To != nil {
		if err := preparePseudonym(ctx, clientCtx, recordID, opts.To); err != nil {
			return nil, err
		}
	}
	kp, err := FromKeyPair(clientCtx)
	if err != nil {
		return nil, err
	}
	key, _, err := OpenRecordKey(ctx, clientCtx, kp, recordID, owner)
	if err != nil {
		return nil, err
	}
	root, err := recordstypes.ValidateCID(record.Cid)
	if err != nil {
		return nil, err
	}
	BoundFetch(read, record.SizeBytes)
	if err := AuthorizeReads(ctx, clientCtx, read, recordID, record.Version, record.Cid); err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "medchain-deid-*") // 0700
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	original, copyPath := filepath.Join(dir, "original"), filepath.Join(dir, "deidentified")
	if _, err := DownloadFile(ctx, read, root, key, original); err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	summary, err := deidentifyFile(clientCtx, record.Kind, original, copyPath, opts)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	if opts.Report != nil {
		fmt.Fprintln(opts.Report, summary)
	}

	f, size, err := OpenInput(copyPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	label := opts.Label
	if label == "" {
		if label, err = envelope.OpenLabel(key, owner, record.SealedLabel); err != nil {
			return nil, fmt.Errorf("record %d: its label: %w", recordID, err)
		}
	}
	if to := opts.To; to != nil {
		pseudonym := to.Ctx.FromAddress.String()
		return CreateRecord(ctx, to.Ctx, to.Dest, NewRecord{
			Creator: pseudonym, Owner: pseudonym, Kind: record.Kind, Label: label,
			Name: fmt.Sprintf("a de-identified copy of record %d, as pseudonym %s", recordID, pseudonym), Src: f, Size: size,
		})
	}
	return CreateRecord(ctx, clientCtx, dest, NewRecord{
		Creator: owner, Owner: owner, Kind: record.Kind, DerivedFrom: recordID, Label: label,
		Name: fmt.Sprintf("a de-identified copy of record %d", recordID), Src: f, Size: size,
	})
}

// preparePseudonym gets the pseudonym of to vouched for by the hospital
// that issued the signer's record recordID, and its encryption key
// registered, before anything of the record is fetched.
func preparePseudonym(ctx context.Context, clientCtx client.Context, recordID uint64, to *Pseudonymous) error {
	pseudonym := to.Ctx.FromAddress.String()
	if pseudonym == clientCtx.FromAddress.String() {
		return fmt.Errorf("the pseudonym is your own address: derive one with `medchaind keys pseudonym`")
	}
	wait := to.Dest.Wait
	if wait <= 0 {
		wait = time.Minute
	}
	if _, err := RequestPseudonym(ctx, clientCtx, recordID, pseudonym, to.Dest.VaultURL, wait); err != nil {
		return err
	}
	t, err := NewTx(to.Ctx, to.Dest.TxFactory)
	if err != nil {
		return err
	}
	return EnsureRegisteredKey(ctx, to.Ctx, t, wait)
}

// deidentifyFile writes the de-identified copy of src to dst and says what
// it changed. Secrets derived from the signer's key pseudonymise UIDs and
// ids and, with ShiftDates, give the patient's date shift.
func deidentifyFile(clientCtx client.Context, kind recordstypes.RecordKind, src, dst string, opts DeidentifyOptions) (string, error) {
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
	if opts.ShiftDates {
		if shift, err = DateShiftDays(clientCtx, clientCtx.FromName); err != nil {
			return "", err
		}
	}
	var summary string
	if kind == recordstypes.RecordKindDICOM {
		uidKey, err := DeriveSecret(clientCtx, clientCtx.FromName, "dicom uid remapping")
		if err != nil {
			return "", err
		}
		rep, err := deid.DICOM(in, st.Size(), out, uidKey, deid.DICOMOptions{DateShiftDays: shift, AllowBurnedInAnnotation: opts.AllowBurnedIn})
		if err != nil {
			return "", err
		}
		summary = "de-identified DICOM: " + rep.Summary()
	} else {
		key, err := DeriveSecret(clientCtx, clientCtx.FromName, "fhir id pseudonyms")
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
