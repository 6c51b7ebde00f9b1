package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/records/types"
)

// recordView is a record as show and list print it: the label opened for
// a reader.
type recordView struct {
	ID           uint64    `json:"id"`
	Owner        string    `json:"owner"`
	Issuer       string    `json:"issuer"`
	Organisation string    `json:"organisation,omitempty"`
	Kind         string    `json:"kind"`
	Status       string    `json:"status"`
	Version      uint64    `json:"version"`
	KeyEpoch     uint64    `json:"key_epoch"`
	CID          string    `json:"cid,omitempty"`
	SizeBytes    uint64    `json:"size_bytes"`
	DerivedFrom  uint64    `json:"derived_from,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Label        string    `json:"label"`
}

// ShowCmd prints a record with its label opened for the signer.
func ShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show RECORD_ID [--from KEY]",
		Short: "Show a record, with its label opened if --from may read the record",
		Long: "Prints the record as JSON. Its label is sealed under the record key, so the chain holds only ciphertext: " +
			"with --from a key that may read the record (the owner or a grantee) the label is opened on this machine; " +
			"anyone else sees \"(sealed)\". `query records record` prints the raw record, label as ciphertext.",
		Example: "medchaind query records show 42 --from alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a record id", args[0])
			}
			clientCtx, kp, err := readerContext(cmd)
			if err != nil {
				return err
			}
			resp, err := types.NewQueryClient(clientCtx).Record(cmd.Context(), &types.QueryRecordRequest{Id: id})
			if err != nil {
				return fmt.Errorf("record %d: %w", id, err)
			}
			return printJSON(cmd, view(cmd, clientCtx, kp, resp.Record))
		},
	}
	addReaderFlags(cmd)
	return cmd
}

// ListCmd prints a patient's records with their labels opened for the
// signer.
func ListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list OWNER [--from KEY]",
		Short: "List a patient's records, with the labels --from may read opened",
		Long: "Prints every record of OWNER as a JSON array, labels opened on this machine where --from may read the " +
			"record and \"(sealed)\" elsewhere.",
		Example: "medchaind query records list $(medchaind keys show alice -a) --from alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, kp, err := readerContext(cmd)
			if err != nil {
				return err
			}
			qc := types.NewQueryClient(clientCtx)
			views := []recordView{}
			err = medclient.EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
				resp, err := qc.RecordsByOwner(cmd.Context(), &types.QueryRecordsByOwnerRequest{Owner: args[0], Pagination: page})
				if err != nil {
					return nil, err
				}
				for _, r := range resp.Records {
					views = append(views, view(cmd, clientCtx, kp, r))
				}
				return resp.Pagination, nil
			})
			if err != nil {
				return err
			}
			return printJSON(cmd, views)
		},
	}
	addReaderFlags(cmd)
	return cmd
}

// addReaderFlags adds the query flags and an optional reader key.
func addReaderFlags(cmd *cobra.Command) {
	flags.AddQueryFlagsToCmd(cmd)
	cliflags.AddKeyFlags(cmd, "a key that may read the records, to open their labels (name or address in the keyring)")
}

// readerContext is the query context and, with --from, the reader's
// encryption key pair.
func readerContext(cmd *cobra.Command) (client.Context, *envelope.KeyPair, error) {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return clientCtx, nil, err
	}
	if clientCtx.FromAddress.Empty() {
		return clientCtx, nil, nil
	}
	if clientCtx, err = medclient.EnsureChainID(cmd.Context(), clientCtx); err != nil {
		return clientCtx, nil, err
	}
	kp, err := medclient.FromKeyPair(clientCtx)
	return clientCtx, kp, err
}

// OpenLabel is a record's label as the reader sees it: the text if the
// reader's key opens the record, "(sealed)" if not, "" if it has none.
func OpenLabel(cmd *cobra.Command, clientCtx client.Context, kp *envelope.KeyPair, r types.Record) string {
	if len(r.SealedLabel) == 0 {
		return ""
	}
	if kp == nil || r.Status != types.RecordStatusActive {
		return medclient.Sealed
	}
	key, _, err := medclient.OpenRecordKey(cmd.Context(), clientCtx, kp, r.Id, clientCtx.FromAddress.String())
	if err != nil {
		return medclient.Sealed
	}
	label, err := envelope.OpenLabel(key, r.Owner, r.SealedLabel)
	if err != nil {
		return medclient.Sealed
	}
	if types.ValidateLabel(label, types.MaxLabelLengthCap) != nil {
		return strconv.Quote(label) // never print control characters to a terminal
	}
	return label
}

func view(cmd *cobra.Command, clientCtx client.Context, kp *envelope.KeyPair, r types.Record) recordView {
	return recordView{
		ID: r.Id, Owner: r.Owner, Issuer: r.Issuer, Organisation: r.Organisation, Kind: medclient.KindName(r.Kind),
		Status: r.Status.Label(), Version: r.Version, KeyEpoch: r.KeyEpoch, CID: r.Cid, SizeBytes: r.SizeBytes,
		DerivedFrom: r.DerivedFrom, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Label: OpenLabel(cmd, clientCtx, kp, r),
	}
}

func printJSON(cmd *cobra.Command, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(append(out, '\n'))
	return err
}
