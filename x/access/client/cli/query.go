// Package cli holds the access module's hand-written commands: those that
// need client-side work AutoCLI cannot do (key derivation, wrapping,
// rotation) or that print in another format (FHIR). AutoCLI adds the
// generated commands to the same command groups.
package cli

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/x/access/types"
)

// GetQueryCmd returns the access query command group with the hand-written
// commands; AutoCLI adds the generated ones.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the access module (keys, grants, requests, consent)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(ConsentCmd(), CheckCmd(), InboxCmd())
	return cmd
}

const flagFormat = "format"

// ConsentCmd prints a record's or a patient's grants as FHIR R4 Consent
// resources in a collection Bundle, for hospital systems to import.
func ConsentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent RECORD_ID|OWNER",
		Short: "Print the grants of a record or of a patient as FHIR R4 Consent resources",
		Long: "Prints a FHIR R4 Bundle (type collection) with one Consent per grant: for a record id, the grants made " +
			"for the record and the owner's scope grants that cover it; for an owner address, every grant the patient gave. " +
			"Patients, grantees, grants and records are identified by urn:medchain:* identifiers. " +
			"--format json prints the grants as medchain returns them instead.",
		Example: "medchaind query access consent 42\nmedchaind query access consent med17cu8qv2psem0x6h9cwdsejty7gkz5447fxuurn --format fhir > consent.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			format, _ := cmd.Flags().GetString(flagFormat)
			if format != "fhir" && format != "json" {
				return fmt.Errorf("--format %q: use fhir or json", format)
			}
			grants, err := fetchGrants(cmd, clientCtx, args[0])
			if err != nil {
				return err
			}
			var out any = grants
			if format == "fhir" {
				out = ConsentBundle(grants, medclient.ChainTime(cmd.Context(), clientCtx))
			}
			bz, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			return clientCtx.PrintString(string(bz) + "\n")
		},
	}
	cmd.Flags().String(flagFormat, "fhir", "output format: fhir (a FHIR R4 Bundle of Consent resources) or json")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// fetchGrants reads every page of a record's or an owner's grants.
func fetchGrants(cmd *cobra.Command, clientCtx client.Context, arg string) ([]types.Grant, error) {
	qc := types.NewQueryClient(clientCtx)
	ctx := cmd.Context()
	var grants []types.Grant
	if id, err := strconv.ParseUint(arg, 10, 64); err == nil {
		var scope []types.Grant
		err := medclient.EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
			resp, err := qc.GrantsByRecord(ctx, &types.QueryGrantsByRecordRequest{RecordId: id, Pagination: page})
			if err != nil {
				return nil, err
			}
			grants, scope = append(grants, resp.Grants...), resp.ScopeGrants
			return resp.Pagination, nil
		})
		return append(grants, scope...), err
	}
	if _, err := clientCtx.InterfaceRegistry.SigningContext().AddressCodec().StringToBytes(arg); err != nil {
		return nil, fmt.Errorf("%q is neither a record id nor an account address: %w", arg, err)
	}
	err := medclient.EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.GrantsByOwner(ctx, &types.QueryGrantsByOwnerRequest{Owner: arg, Pagination: page})
		if err != nil {
			return nil, err
		}
		grants = append(grants, resp.Grants...)
		return resp.Pagination, nil
	})
	return grants, err
}
