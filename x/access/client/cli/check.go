package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/internal/lightflags"
	"github.com/medchain/medchain/x/access/types"
)

// exampleGrantee is a doctor's address in examples.
const exampleGrantee = "med1u92qxqmn5vsxws7uc86gn7dlq0a8s4kqy8j0wd"

// CheckCmd answers "may GRANTEE read (or write) RECORD now?", from the node
// (trusting it) or, with --prove, verified by a light client.
func CheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check RECORD_ID GRANTEE",
		Short: "Say whether GRANTEE may read (or, with --permission write, write) a record right now; --prove verifies the answer",
		Long: "Answers from the grant of GRANTEE itself or, for a practitioner, of its active organisation: the record grant or " +
			"the owner's scope grant covering the record. For READ the plain answer includes the wrap to open.\n\n" +
			"With --prove the node (--node) is not trusted: a light client verifies headers from --trust-height/--trust-hash " +
			"(needed the first time; later runs resume from the trusted store in --light-dir), compares them with every " +
			"--witness, and checks each store value the answer depends on (the record, the issuer entries, the record and " +
			"scope grants, present or absent) with its Merkle proof against the verified app hash. Expiry is judged against the " +
			"verified header's time. A node whose answer does not verify is named, and the command fails.",
		Example: "medchaind query access check 42 " + exampleGrantee + "\n" +
			"medchaind query access check 42 " + exampleGrantee + " --prove --node tcp://127.0.0.1:27001 \\\n" +
			"  --witness http://127.0.0.1:27011 --trust-height 10 --trust-hash 5E1A...",
		Args: cobra.ExactArgs(2),
		RunE: runCheck,
	}
	cmd.Flags().String(flagPermission, "read", "read or write")
	lightflags.Add(cmd, "verify the answer with a light client instead of trusting the node")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func runCheck(cmd *cobra.Command, args []string) error {
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("record id %q: %w", args[0], err)
	}
	grantee, err := sdk.AccAddressFromBech32(args[1])
	if err != nil {
		return fmt.Errorf("grantee %q: %w", args[1], err)
	}
	perm, err := parsePermission(cmd)
	if err != nil {
		return err
	}
	if !lightflags.Proving(cmd) {
		resp, err := types.NewQueryClient(clientCtx).CheckAccess(cmd.Context(), &types.QueryCheckAccessRequest{
			RecordId: id, Grantee: grantee.String(), Permission: perm,
		})
		if err != nil {
			return err
		}
		return clientCtx.PrintProto(resp)
	}

	ctx := cmd.Context()
	lc, err := lightflags.Client(ctx, cmd, clientCtx)
	if err != nil {
		return err
	}
	defer lc.Close()
	a, err := lc.CheckAccess(ctx, id, grantee, perm)
	if err != nil {
		return err
	}
	if clientCtx.OutputFormat == flags.OutputFormatJSON {
		bz, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return clientCtx.PrintRaw(bz)
	}
	var b strings.Builder
	verdict := "DENIED"
	if a.Allowed {
		verdict = "ALLOWED"
	}
	fmt.Fprintf(&b, "%s: %s may %s record %d? %s (%s)\n", verdict, a.Grantee, a.Permission, a.RecordID, strings.ToLower(verdict), a.Reason)
	fmt.Fprintf(&b, "verified: state at height %d, app hash %s in header %d (%s), checked against %d witness(es)\n",
		a.Height, a.AppHash, a.HeaderHeight, a.Time.UTC().Format(time.RFC3339), len(a.Witnesses))
	for _, p := range a.Proofs {
		state := "absent, proven"
		if p.Exists {
			state = "present, proven"
		}
		fmt.Fprintf(&b, "  %s/%s: %s\n", p.Store, p.Key, state)
	}
	return clientCtx.PrintString(b.String())
}
