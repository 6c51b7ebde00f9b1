package cli

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/access/types"
)

// requestView is a pending request as the inbox prints it.
type requestView struct {
	ID         uint64    `json:"id"`
	Requester  string    `json:"requester"`
	RecordID   uint64    `json:"record_id,omitempty"`
	Kinds      []string  `json:"kinds,omitempty"`
	Permission string    `json:"permission"`
	Purpose    string    `json:"purpose"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// InboxCmd lists the access requests made to the signer, reasons opened.
func InboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inbox --from PATIENT",
		Short: "List the access requests made to you, with their reasons opened on this machine",
		Long: "Prints the pending requests to --from as a JSON array. Each reason is sealed to your encryption key; it is " +
			"opened here (\"(sealed)\" if it does not open with your key). Answer with `tx access grant ... --request N` " +
			"or `tx access deny N`.",
		Example: "medchaind query access inbox --from alice",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx, err = medclient.EnsureChainID(cmd.Context(), clientCtx); err != nil {
				return err
			}
			kp, err := medclient.FromKeyPair(clientCtx)
			if err != nil {
				return err
			}
			qc := types.NewQueryClient(clientCtx)
			views := []requestView{}
			err = medclient.EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
				resp, err := qc.RequestsByOwner(cmd.Context(), &types.QueryRequestsByOwnerRequest{Owner: clientCtx.FromAddress.String(), Pagination: page})
				if err != nil {
					return nil, err
				}
				for _, r := range resp.Requests {
					v := requestView{
						ID: r.Id, Requester: r.Requester, RecordID: r.RecordId, Permission: r.Permission.Label(),
						Purpose: r.Purpose.Label(), Reason: medclient.OpenRequestReason(clientCtx, kp, r), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
					}
					for _, k := range r.Kinds {
						v.Kinds = append(v.Kinds, k.Label())
					}
					views = append(views, v)
				}
				return resp.Pagination, nil
			})
			if err != nil {
				return err
			}
			out, err := json.MarshalIndent(views, "", "  ")
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(out, '\n'))
			return err
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	cliflags.AddKeyFlags(cmd, "the patient (name or address in the keyring)")
	_ = cmd.MarkFlagRequired(flags.FlagFrom)
	return cmd
}
