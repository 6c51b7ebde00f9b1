package cli

import (
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const (
	flagRecordID = "record-id"
	flagReason   = "reason"
)

// RequestCmd asks a patient for access, with a reason only the patient can
// read.
func RequestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request OWNER",
		Short: "Ask a patient for access to a record (--record-id) or to a scope of their records (--kinds, none for all)",
		Long: "The patient sees the request with `query access inbox --from PATIENT` and answers with " +
			"`tx access grant --request N` or `tx access deny N`. The reason is sealed to the patient's registered " +
			"encryption key: only the patient can read it (the chain holds ciphertext). A reason needs the patient to " +
			"have registered a key; without --reason none is needed.\n\n" +
			"Purposes: treatment, emergency, research, payment, operations, patient-request.",
		Example: "medchaind tx access request med1... --record-id 42 --permission read --purpose treatment --reason \"follow-up consultation\" --from dr-house\n" +
			"medchaind tx access request med1... --kinds dicom --permission write --purpose treatment --reason \"imaging department\" --from st-mary",
		Args: cobra.ExactArgs(1),
		RunE: runRequest,
	}
	cmd.Flags().Uint64(flagRecordID, 0, "the record asked for (0 or absent: a scope of the owner's records)")
	cmd.Flags().StringSlice(flagKinds, nil, "for a scope request: only these record kinds (dicom, fhir, pdf, image, genomic, other)")
	cmd.Flags().String(flagPermission, "read", "read or write")
	cmd.Flags().String(flagPurpose, "", "purpose of use (required): treatment, emergency, research, payment, operations, patient-request")
	cmd.Flags().String(flagReason, "", "why, in a few words; sealed so that only the patient reads it")
	cmd.Flags().String(flagExpires, "", "how long the request stays open from now, e.g. 12h, 7d (default: the chain's default)")
	cmd.Flags().String(flagExpiresAt, "", "when the request lapses, RFC 3339 (instead of --expires)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runRequest(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	msg := &types.MsgRequestAccess{Requester: clientCtx.FromAddress.String(), Owner: args[0]}
	msg.RecordId, _ = cmd.Flags().GetUint64(flagRecordID)
	if msg.Permission, msg.Purpose, msg.Kinds, err = parseAsk(cmd); err != nil {
		return err
	}
	if msg.ExpiresAt, err = parseExpiry(cmd, clientCtx); err != nil {
		return err
	}
	if reason, _ := cmd.Flags().GetString(flagReason); reason != "" {
		if err := medclient.SealRequestReason(cmd.Context(), clientCtx, msg, reason); err != nil {
			return err
		}
	}
	return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
}

// parseAsk reads what a grant gives or a request asks: --permission,
// --purpose and --kinds.
func parseAsk(cmd *cobra.Command) (types.Permission, types.Purpose, []recordstypes.RecordKind, error) {
	permission, err := parsePermission(cmd)
	if err != nil {
		return 0, 0, nil, err
	}
	purpose, err := parsePurpose(cmd)
	if err != nil {
		return 0, 0, nil, err
	}
	kinds, _ := cmd.Flags().GetStringSlice(flagKinds)
	parsed, err := parseKinds(kinds)
	return permission, purpose, parsed, err
}
