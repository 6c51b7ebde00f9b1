package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
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
			"exists only in a private temporary directory, removed afterwards.\n\n" +
			"With --to PSEUDONYM (a key from `medchaind keys pseudonym`) the copy becomes the pseudonym's record instead, with no " +
			"derived_from: the vault of the hospital that issued the original checks that you own it and vouches for the pseudonym " +
			"on chain (only that hospital learns whose it is), the pseudonym registers its encryption key, and it mints and lists " +
			"the copy with --from PSEUDONYM.",
		Example: "medchaind tx records deidentify 42 --from alice --yes -o json\n" +
			"medchaind keys pseudonym alice 0 && medchaind tx records deidentify 42 --to alice-pseudonym-0 --from alice --yes -o json",
		Args: cobra.ExactArgs(1),
		RunE: runDeidentify,
	}
	cmd.Flags().String(flagLabel, "", "label of the copy, sealed to its readers (default: the original's)")
	cmd.Flags().String(flagDates, datesShift, "what happens to dates: shift (by your own secret number of days) or remove")
	cmd.Flags().Bool(flagAllowBurnedIn, false, "de-identify a DICOM file whose Burned In Annotation is YES (its pixels may still show identifying text)")
	cmd.Flags().String(flagTo, "", "store the copy as a record of this keyring key, one of your pseudonyms (`medchaind keys pseudonym`), with no derived_from: the hospital that issued the record vouches for it, and nothing on chain links the copy to you")
	cmd.Flags().Duration(flagWait, defaultWait, "how long to wait for the transaction's block")
	cliflags.AddRemoteFlags(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runDeidentify(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return fmt.Errorf("%q is not a record id", args[0])
	}
	dates, _ := cmd.Flags().GetString(flagDates)
	if dates != datesShift && dates != datesRemove {
		return fmt.Errorf("--dates %q: use %s or %s", dates, datesShift, datesRemove)
	}
	opts := medclient.DeidentifyOptions{ShiftDates: dates == datesShift, Report: cmd.ErrOrStderr()}
	opts.AllowBurnedIn, _ = cmd.Flags().GetBool(flagAllowBurnedIn)
	opts.Label, _ = cmd.Flags().GetString(flagLabel)
	read, _, err := cliflags.ReadRemoteFromCmd(cmd, clientCtx)
	if err != nil {
		return err
	}
	dest, err := destination(cmd, clientCtx)
	if err != nil {
		return err
	}
	if to, _ := cmd.Flags().GetString(flagTo); to != "" {
		addr, err := medclient.KeyAddress(clientCtx, to)
		if err != nil {
			return fmt.Errorf("--to %s: %w (derive it with `medchaind keys pseudonym`)", to, err)
		}
		pctx := clientCtx.WithFrom(to).WithFromName(to).WithFromAddress(addr)
		pdest, err := destination(cmd, pctx)
		if err != nil {
			return err
		}
		opts.To = &medclient.Pseudonymous{Ctx: pctx, Dest: pdest}
	}
	res, err := medclient.DeidentifyRecord(cmd.Context(), clientCtx, read, dest, id, opts)
	return printResult(cmd, clientCtx, res, err)
}

// Values of --dates.
const (
	flagDates         = "dates"
	flagAllowBurnedIn = "allow-burned-in-annotation"
	flagTo            = "to"
	datesShift        = "shift"
	datesRemove       = "remove"
)
