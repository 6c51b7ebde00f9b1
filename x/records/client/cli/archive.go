package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/medchain/medchain/x/records/types"
)

const (
	flagProvider = "provider"
	flagDealRef  = "deal-ref"
	flagExpires  = "expires"
)

// RecordArchiveCmd records that record versions are stored in a Filecoin
// piece. It is written by hand because AutoCLI would take the versions as
// JSON objects; here each is RECORD_ID:VERSION.
func RecordArchiveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "record-archive PIECE_CID PIECE_SIZE RECORD_ID:VERSION...",
		Short: "Record that record versions are stored in a Filecoin piece (sign with --from an ACTIVE hospital)",
		Long: "Records one archive entry per RECORD_ID:VERSION: the version's ciphertext is a segment of the piece " +
			"PIECE_CID (its CommP, baga6ea4sea...) of padded size PIECE_SIZE bytes, stored by --provider until --expires. " +
			fmt.Sprintf("At most %d versions per transaction; record a larger piece in several. ", types.MaxArchivedVersionsPerMsg) +
			"Each version must be live (of an ACTIVE record, at its current key epoch) and archiving it allowed by the " +
			"params' archive_policy (by default only records whose owner ran `set-archive-consent RECORD_ID true`). " +
			"If any version is refused, nothing is recorded. Recording the same piece again for a version renews the " +
			"hospital's entry (new provider, deal reference and expiry).",
		Example: "medchaind tx records record-archive baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq 34359738368 " +
			"42:1 42:2 57:3 --provider f01234 --deal-ref 9f1c2b7e-5d1a-4f0e-8f7a-2b6c1d3e4f50 --expires 2027-06-01T00:00:00Z --from st-mary",
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			provider, _ := cmd.Flags().GetString(flagProvider)
			dealRef, _ := cmd.Flags().GetString(flagDealRef)
			expires, _ := cmd.Flags().GetString(flagExpires)
			msg, err := ParseRecordArchive(clientCtx.FromAddress.String(), args, provider, dealRef, expires)
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(flagProvider, "", "the storage provider's actor address, e.g. f01234 (required)")
	cmd.Flags().String(flagDealRef, "", "optional reference to the deal: a deal id or UUID")
	cmd.Flags().String(flagExpires, "", "when the deal ends, RFC 3339, e.g. 2027-06-01T00:00:00Z (required)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// ParseRecordArchive builds the MsgRecordArchive of record-archive's
// arguments (PIECE_CID PIECE_SIZE RECORD_ID:VERSION...) and flags. It
// checks the form only; the chain checks the rest.
func ParseRecordArchive(hospital string, args []string, provider, dealRef, expires string) (*types.MsgRecordArchive, error) {
	if len(args) < 3 {
		return nil, fmt.Errorf("give PIECE_CID, PIECE_SIZE and at least one RECORD_ID:VERSION")
	}
	size, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("PIECE_SIZE %q is not a number of bytes: %w", args[1], err)
	}
	if provider == "" {
		return nil, fmt.Errorf("--%s is required: the storage provider's actor address, e.g. f01234", flagProvider)
	}
	if expires == "" {
		return nil, fmt.Errorf("--%s is required: when the deal ends, RFC 3339", flagExpires)
	}
	expiresAt, err := time.Parse(time.RFC3339, expires)
	if err != nil {
		return nil, fmt.Errorf("--%s %q is not an RFC 3339 time such as 2027-06-01T00:00:00Z: %w", flagExpires, expires, err)
	}
	items := args[2:]
	if len(items) > types.MaxArchivedVersionsPerMsg {
		return nil, fmt.Errorf("%d versions; the chain takes at most %d in one transaction: run record-archive again for the rest",
			len(items), types.MaxArchivedVersionsPerMsg)
	}
	versions := make([]types.ArchivedVersion, 0, len(items))
	for _, item := range items {
		v, err := parseArchivedVersion(item)
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return &types.MsgRecordArchive{
		Hospital: hospital, PieceCid: args[0], PieceSize: size, Provider: provider, DealRef: dealRef,
		ExpiresAt: expiresAt.UTC(), Versions: versions,
	}, nil
}

// parseArchivedVersion reads RECORD_ID:VERSION.
func parseArchivedVersion(s string) (types.ArchivedVersion, error) {
	id, version, ok := strings.Cut(s, ":")
	if !ok {
		return types.ArchivedVersion{}, fmt.Errorf("%q is not RECORD_ID:VERSION, e.g. 42:1", s)
	}
	recordID, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return types.ArchivedVersion{}, fmt.Errorf("%q: record id %q is not a number", s, id)
	}
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return types.ArchivedVersion{}, fmt.Errorf("%q: version %q is not a number", s, version)
	}
	return types.ArchivedVersion{RecordId: recordID, Version: v}, nil
}
