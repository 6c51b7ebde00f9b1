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

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Flags of the hand-written transactions.
const (
	flagPermission = "permission"
	flagPurpose    = "purpose"
	flagKinds      = "kinds"
	flagExpires    = "expires"
	flagExpiresAt  = "expires-at"
	flagRequest    = "request"
	flagNoRotate   = "no-rotate"
	flagWait       = "wait"
)

// GetTxCmd returns the access transaction group with the hand-written
// commands; AutoCLI adds the generated ones (deny, cancel-request,
// withdraw-emergency-policy, request-recovery, cancel-recovery,
// update-params).
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the access module (keys, grants, requests)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(RegisterKeyCmd(), GrantCmd(), RevokeCmd(), RequestCmd(),
		SetEmergencyPolicyCmd(), EmergencyAccessCmd(), ReleaseShareCmd(), ApproveRecoveryCmd(), CompleteRecoveryCmd())
	return cmd
}

// RegisterKeyCmd registers the signer's derived encryption key.
func RegisterKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-key",
		Short: "Register the encryption key derived from your account key (--from), so that records can be shared with you",
		Long: "Derives your ML-KEM-768-X25519 encryption key from the --from key (restoring the mnemonic restores it; " +
			"`medchaind keys encryption-key NAME` shows it) and registers its public part on chain. " +
			"Every patient registers before creating records; every doctor, hospital or researcher before being granted READ.",
		Example: "medchaind tx access register-key --from alice",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			kp, err := medclient.FromKeyPair(clientCtx)
			if err != nil {
				return err
			}
			msg := &types.MsgRegisterEncryptionKey{
				Owner:     clientCtx.FromAddress.String(),
				Algorithm: types.KeyAlgorithmMLKEM768X25519,
				PublicKey: kp.PublicKey(),
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// GrantCmd gives a grantee READ or WRITE on one record or a scope.
func GrantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grant RECORD_ID|all GRANTEE",
		Short: "Give GRANTEE read (or write) access to one of your records, or to all of them (narrowed with --kinds)",
		Long: "For READ the client opens your wrap of every record the grant covers with your encryption key and seals the " +
			"record key to the grantee's registered key: the grantee must have run `tx access register-key`. " +
			"A scope grant (all) also covers records created later: their uploads carry a wrap for the grantee. " +
			"WRITE lets an organisation or practitioner create records for you; it carries no keys and does not include READ.\n\n" +
			"Purposes: treatment, emergency, research, payment, operations, patient-request.",
		Example: "medchaind tx access grant 42 med1... --purpose treatment --expires 30d --from alice\n" +
			"medchaind tx access grant all med1... --kinds dicom --purpose research --expires 90d --from alice\n" +
			"medchaind tx access grant all med1...(hospital) --permission write --purpose treatment --from alice\n" +
			"medchaind tx access grant 42 med1... --purpose treatment --request 3 --from alice",
		Args: cobra.ExactArgs(2),
		RunE: runGrant,
	}
	cmd.Flags().String(flagPermission, "read", "read or write")
	cmd.Flags().String(flagPurpose, "", "purpose of use (required): treatment, emergency, research, payment, operations, patient-request")
	cmd.Flags().StringSlice(flagKinds, nil, "for a scope grant (all): only these record kinds (dicom, fhir, pdf, image, genomic, other)")
	cmd.Flags().String(flagExpires, "", "how long the grant lasts from now, e.g. 1m, 12h, 30d (default: until revoked)")
	cmd.Flags().String(flagExpiresAt, "", "when the grant ends, RFC 3339 (instead of --expires)")
	cmd.Flags().Uint64(flagRequest, 0, "the access request this grant answers (its target, permission and purpose must match)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runGrant(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	msg := &types.MsgGrantAccess{Owner: clientCtx.FromAddress.String(), Grantee: args[1]}
	if args[0] != "all" {
		if msg.RecordId, err = strconv.ParseUint(args[0], 10, 64); err != nil || msg.RecordId == 0 {
			return fmt.Errorf("%q is neither a record id nor \"all\"", args[0])
		}
	}
	if msg.Permission, msg.Purpose, msg.Kinds, err = parseAsk(cmd); err != nil {
		return err
	}
	if len(msg.Kinds) > 0 && msg.RecordId != 0 {
		return fmt.Errorf("--kinds narrows a scope grant; use `grant all GRANTEE --kinds ...`")
	}
	if msg.ExpiresAt, err = parseExpiry(cmd, clientCtx); err != nil {
		return err
	}
	msg.RequestId, _ = cmd.Flags().GetUint64(flagRequest)
	if msg.Permission == types.PermissionRead {
		if msg.Wraps, err = medclient.GrantWraps(cmd.Context(), clientCtx, msg); err != nil {
			return err
		}
	}
	return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
}

// RevokeCmd ends a grant, rotating the keys of the records it covered.
func RevokeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke GRANT_ID",
		Short: "Revoke a grant you gave; READ grants rotate the record keys by default",
		Long: "Deletes the grant and the grantee's wraps. For a READ grant the client also rotates every record the " +
			"grant covered, in the same transaction: it fetches the payload from the vault, decrypts it with the current " +
			"record key, encrypts it under a fresh key, uploads it, and wraps the new key for you and every remaining " +
			"reader. The revoked grantee's old wrap then opens nothing the record points at. The vault releases the old " +
			"payload after its grace period.\n\n" +
			"With --no-rotate only the permission ends: a grantee that kept a copy of its wrap and of the payload could " +
			"still read that copy.",
		Example: "medchaind tx access revoke 7 --from alice --yes\nmedchaind tx access revoke 7 --no-rotate --from alice",
		Args:    cobra.ExactArgs(1),
		RunE:    runRevoke,
	}
	cmd.Flags().Bool(flagNoRotate, false, "only delete the grant; do not re-encrypt the records it covered")
	cmd.Flags().Duration(flagWait, time.Minute, "how long to wait for the transaction's block (rotation only)")
	cliflags.AddRemoteFlags(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runRevoke(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("grant id %q: %w", args[0], err)
	}
	msg := &types.MsgRevokeAccess{Owner: clientCtx.FromAddress.String(), GrantId: id}
	noRotate, _ := cmd.Flags().GetBool(flagNoRotate)
	if noRotate || clientCtx.GenerateOnly {
		return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
	}
	resp, err := types.NewQueryClient(clientCtx).Grant(ctx, &types.QueryGrantRequest{Id: id})
	if err != nil {
		return fmt.Errorf("grant %d: %w", id, err)
	}
	grant := resp.Grant
	if grant.Owner != msg.Owner {
		return fmt.Errorf("grant %d was given by %s, not by %s: only its owner may revoke it", id, grant.Owner, msg.Owner)
	}
	if grant.Permission != types.PermissionRead {
		// A WRITE grant never gave a key: nothing to rotate.
		return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
	}
	remote, _, err := cliflags.ReadRemoteFromCmd(cmd, clientCtx)
	if err != nil {
		return err
	}
	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	// Plan every rotation (keys and wraps) and ask the chain before moving
	// any data: the placeholder CIDs are replaced after the uploads.
	rev, err := medclient.PlanRevocation(ctx, clientCtx, kp, grant)
	if err != nil {
		return err
	}
	msg = rev.Msg
	if err := t.Preflight(msg); err != nil {
		return err
	}
	if ok, err := t.Confirm(fmt.Sprintf("revoke grant %d of %s and re-encrypt %d record(s)", id, grant.Grantee, rev.Records())); err != nil || !ok {
		return err
	}
	if err := rev.Reencrypt(ctx, clientCtx, remote); err != nil {
		return err
	}
	wait, _ := cmd.Flags().GetDuration(flagWait)
	res, err := t.BroadcastAndWait(ctx, wait, msg)
	if err != nil {
		return fmt.Errorf("grant %d was not revoked: %w", id, err)
	}
	rotated := make([]string, 0, len(msg.Rotations))
	for _, r := range msg.Rotations {
		rotated = append(rotated, fmt.Sprintf("record %d -> %s", r.RecordId, r.Cid))
	}
	if notice, err := medclient.SpentEmergencyNotice(ctx, clientCtx, grant.Owner); err == nil && notice != "" && len(rotated) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: the rotated records got no emergency wrap: %s\n", notice)
	}
	return clientCtx.PrintString(fmt.Sprintf("grant %d revoked in block %d (tx %s); rotated: %s\n",
		id, res.Height, res.TxHash, strings.Join(rotated, ", ")))
}

func parsePermission(cmd *cobra.Command) (types.Permission, error) {
	s, _ := cmd.Flags().GetString(flagPermission)
	v, ok := types.Permission_value["PERMISSION_"+strings.ToUpper(s)]
	if !ok || !types.Permission(v).IsValid() {
		return 0, fmt.Errorf("--permission %q: use read or write", s)
	}
	return types.Permission(v), nil
}

func parsePurpose(cmd *cobra.Command) (types.Purpose, error) {
	s, _ := cmd.Flags().GetString(flagPurpose)
	v, ok := types.Purpose_value["PURPOSE_"+strings.ToUpper(strings.ReplaceAll(s, "-", "_"))]
	if !ok || !types.Purpose(v).IsValid() {
		return 0, fmt.Errorf("--purpose %q: use treatment, emergency, research, payment, operations or patient-request", s)
	}
	return types.Purpose(v), nil
}

func parseKinds(names []string) ([]recordstypes.RecordKind, error) {
	kinds := make([]recordstypes.RecordKind, 0, len(names))
	for _, n := range names {
		v, ok := recordstypes.RecordKind_value["RECORD_KIND_"+strings.ToUpper(strings.TrimSpace(n))]
		if !ok || !recordstypes.RecordKind(v).IsValid() {
			return nil, fmt.Errorf("kind %q: use %s", n, recordstypes.ValidRecordKinds())
		}
		kinds = append(kinds, recordstypes.RecordKind(v))
	}
	return kinds, nil
}

// parseExpiry reads --expires (a duration from the latest block time; "d"
// means days) or --expires-at.
func parseExpiry(cmd *cobra.Command, clientCtx client.Context) (*time.Time, error) {
	rel, _ := cmd.Flags().GetString(flagExpires)
	abs, _ := cmd.Flags().GetString(flagExpiresAt)
	switch {
	case rel != "" && abs != "":
		return nil, fmt.Errorf("give --expires or --expires-at, not both")
	case abs != "":
		t, err := time.Parse(time.RFC3339, abs)
		if err != nil {
			return nil, fmt.Errorf("--expires-at %q: %w (example: 2026-12-31T23:59:00Z)", abs, err)
		}
		return &t, nil
	case rel != "":
		d, err := ParseDuration(rel)
		if err != nil {
			return nil, fmt.Errorf("--expires %q: %w", rel, err)
		}
		t := medclient.ChainTime(cmd.Context(), clientCtx).Add(d).UTC()
		return &t, nil
	}
	return nil, nil
}

// ParseDuration reads a positive duration: Go's syntax (90s, 15m, 12h)
// plus whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("not a number of days")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("use a duration such as 90s, 15m, 12h or 30d")
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("the duration must be positive")
	}
	return d, nil
}
