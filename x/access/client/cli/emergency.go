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
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/access/types"
)

const (
	flagCustodians = "custodians"
	flagThreshold  = "threshold"
	flagRecord     = "record"
	flagRestart    = "restart"
)

// SetEmergencyPolicyCmd opts the signer in to emergency access.
func SetEmergencyPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-emergency-policy --custodians N|ADDR,ADDR,... --threshold T --from PATIENT",
		Short: "Let practitioners of active hospitals open your records in an emergency, when T of your custodian hospitals agree",
		Long: "Creates a fresh emergency secret, splits it so that any T of the custodian hospitals recover it and fewer learn nothing " +
			"(Shamir's scheme with Feldman commitments), seals each share to its hospital's encryption key, and wraps the key of every " +
			"record of yours to the key the secret derives. From then on every new record carries that wrap too. --custodians is " +
			"either a number of active hospitals drawn at random or a comma-separated list of addresses: hospitals, and people you " +
			"trust (a relative) who may approve the recovery of your records if you lose your key; at least T of them must be " +
			"active hospitals, since only hospitals release a share in an emergency. Every custodian needs an encryption key. Running it again " +
			"replaces the policy with a new secret; `withdraw-emergency-policy` ends it. Every break-glass is public: " +
			"`medchaind query access emergency-log YOUR_ADDRESS`. Once custodians have released enough shares for one " +
			"break-glass, that practitioner can derive the emergency key and the policy is spent (`query access emergency-policy` " +
			"shows spent_at): no further break-glass opens under it and new records are not wrapped to it until you run this " +
			"command again, which draws a new key. A message carries at most params max_wraps_per_msg wraps: with more records the " +
			"policy is set in several messages (as many per transaction as the block's gas allows), and is in force but " +
			"completing until the last: a break-glass meanwhile opens only the records wrapped so far. If the command stops " +
			"midway, running it again continues the completing policy from where the chain says it is (--custodians is not " +
			"needed then); --restart draws a new policy instead.",
		Example: "medchaind tx access set-emergency-policy --custodians 3 --threshold 2 --from alice\n" +
			"medchaind tx access set-emergency-policy --from alice   # continues a policy left completing",
		Args: cobra.NoArgs,
		RunE: runSetEmergencyPolicy,
	}
	cmd.Flags().String(flagCustodians, "", "how many active hospitals to draw, or the custodians' addresses (comma-separated; hospitals, and people such as a relative)")
	cmd.Flags().Int(flagThreshold, 2, "how many custodians must release their shares (at least 2)")
	cmd.Flags().Bool(flagRestart, false, "draw a new policy even if the current one is still completing")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runSetEmergencyPolicy(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	if clientCtx, err = medclient.EnsureChainID(ctx, clientCtx); err != nil {
		return err
	}
	patient := clientCtx.FromAddress.String()
	threshold, _ := cmd.Flags().GetInt(flagThreshold)
	spec, _ := cmd.Flags().GetString(flagCustodians)
	restart, _ := cmd.Flags().GetBool(flagRestart)
	maxWraps, err := medclient.MaxWrapsPerMsg(ctx, clientCtx)
	if err != nil {
		return err
	}
	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	if !restart {
		policy, msgs, err := medclient.ResumeEmergencyPolicy(ctx, clientCtx, kp, patient, maxWraps)
		if err != nil {
			return err
		}
		if policy.Completing && !policy.IsSpent() {
			fmt.Fprintf(cmd.ErrOrStderr(), "your emergency policy (key %s) is completing, wrapped through record %d: continuing with %d messages (--restart draws a new policy instead)\n",
				policy.KeyId, policy.WrappedThrough, len(msgs))
			if len(msgs) == 0 {
				// Only redacted records or records created since are left:
				// an empty continuation marks it complete.
				msgs = []sdk.Msg{&types.MsgAddEmergencyWraps{Patient: patient, KeyId: policy.KeyId}}
			}
			return sendAll(cmd, clientCtx, msgs)
		}
	}
	if spec == "" {
		return fmt.Errorf("--custodians is required: how many active hospitals to draw, or their addresses")
	}
	var custodians []string
	if n, err := strconv.Atoi(spec); err == nil {
		if custodians, err = medclient.DrawCustodians(ctx, clientCtx, n, patient); err != nil {
			return err
		}
	} else {
		for _, c := range strings.Split(spec, ",") {
			if c = strings.TrimSpace(c); c != "" {
				custodians = append(custodians, c)
			}
		}
	}
	if threshold < 2 || threshold > len(custodians) {
		return fmt.Errorf("--threshold %d with %d custodians: it must be at least 2, so that no hospital alone can open your records, and at most the number of custodians", threshold, len(custodians))
	}
	msg, err := medclient.BuildEmergencyPolicy(ctx, clientCtx, kp, patient, custodians, threshold)
	if err != nil {
		return err
	}
	msgs := medclient.SplitEmergencyPolicy(msg, maxWraps)
	fmt.Fprintf(cmd.ErrOrStderr(), "emergency policy: %d of %d custodians (%s); %d records wrapped to the emergency key, in %d messages\n",
		threshold, len(custodians), strings.Join(custodians, ", "), len(msg.Wraps), len(msgs))
	return sendAll(cmd, clientCtx, msgs)
}

// sendAll sends msgs in order: one message as sendAndPrint does, several
// in as few transactions as the block's gas allows, each waiting for its
// block, with the progress on stderr.
func sendAll(cmd *cobra.Command, clientCtx client.Context, msgs []sdk.Msg) error {
	if len(msgs) == 1 || clientCtx.GenerateOnly {
		if clientCtx.GenerateOnly {
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msgs...)
		}
		return sendAndPrint(cmd, clientCtx, msgs[0])
	}
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	var last *sdk.TxResponse
	err = medclient.SendInOrder(cmd.Context(), t, msgs, 60*time.Second, func(done, total int, res *sdk.TxResponse) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d messages in blocks (transaction %s, height %d)\n", done, total, res.TxHash, res.Height)
		last = res
	})
	if err != nil {
		return err
	}
	return clientCtx.PrintProto(last)
}

// sendAndPrint sends msg with its gas from a simulation (unless --gas is
// given: a policy's size grows with the patient's records), waits for its
// block and prints the result.
func sendAndPrint(cmd *cobra.Command, clientCtx client.Context, msg sdk.Msg) error {
	if clientCtx.GenerateOnly {
		return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
	}
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	if err := t.Preflight(msg); err != nil {
		return err
	}
	res, err := t.BroadcastAndWait(cmd.Context(), 60*time.Second, msg)
	if err != nil {
		return err
	}
	return clientCtx.PrintProto(res)
}

// EmergencyAccessCmd is a practitioner's break-glass.
func EmergencyAccessCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emergency-access PATIENT --reason CODE [--record ID | --kinds K,...] --from PRACTITIONER",
		Short: "Break the glass: open a patient's records in an emergency, publicly and for a limited window",
		Long: "For practitioners of active hospitals when the patient cannot consent. The access is public and permanent " +
			"(who, which hospital, whose records, when, the reason code) and the patient sees it. Within the window " +
			"(params emergency_window) the patient's custodian hospitals release their shares of the emergency key to your " +
			"encryption key; with enough of them `medchaind query records download` opens the records. " +
			"Reasons: unable-to-consent, life-threatening, urgent-treatment.",
		Example: "medchaind tx access emergency-access med1... --reason unable-to-consent --from dr-grey",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			reason, err := parseEmergencyReason(cmd)
			if err != nil {
				return err
			}
			record, _ := cmd.Flags().GetUint64(flagRecord)
			names, _ := cmd.Flags().GetStringSlice(flagKinds)
			kinds, err := parseKinds(names)
			if err != nil {
				return err
			}
			msg := &types.MsgEmergencyAccess{
				Practitioner: clientCtx.FromAddress.String(), Patient: args[0], RecordId: record, Kinds: kinds, Reason: reason,
			}
			return sendAndPrint(cmd, clientCtx, msg)
		},
	}
	cmd.Flags().String(flagReason, "", "unable-to-consent, life-threatening or urgent-treatment")
	cmd.Flags().Uint64(flagRecord, 0, "one record of the patient (default: all of them)")
	cmd.Flags().StringSlice(flagKinds, nil, "only records of these kinds (with no --record)")
	_ = cmd.MarkFlagRequired(flagReason)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func parseEmergencyReason(cmd *cobra.Command) (types.EmergencyReason, error) {
	s, _ := cmd.Flags().GetString(flagReason)
	name := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	if name == "UNABLE_TO_CONSENT" {
		name = "PATIENT_UNABLE_TO_CONSENT"
	}
	v, ok := types.EmergencyReason_value["EMERGENCY_REASON_"+name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("--reason %q: use unable-to-consent, life-threatening or urgent-treatment", s)
	}
	return types.EmergencyReason(v), nil
}

// ReleaseShareCmd is a custodian hospital's release by hand (a node with
// `[vault] emergency-release = "auto"` releases by itself).
func ReleaseShareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release-share ACCESS_ID --from HOSPITAL",
		Short: "Release your hospital's share of a patient's emergency key to the practitioner of an open emergency access",
		Long: "For custodian hospitals whose nodes release by hand (`[vault] emergency-release = \"manual\"`). Opens the hospital's " +
			"share with its encryption key (derived from --from), checks it against the patient's policy and seals it to the key " +
			"the practitioner had when breaking the glass. Check the access first: `medchaind query access emergency ACCESS_ID`.",
		Example: "medchaind tx access release-share 4 --from charite",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			clientCtx, id, err := txWithID(cmd, args[0], "access")
			if err != nil {
				return err
			}
			kp, err := medclient.FromKeyPair(clientCtx)
			if err != nil {
				return err
			}
			msg, err := medclient.ReleaseShareFor(ctx, clientCtx, kp, clientCtx.FromAddress.String(), id)
			if err != nil {
				return err
			}
			return sendAndPrint(cmd, clientCtx, msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// ApproveRecoveryCmd is a custodian hospital's approval of a key recovery.
func ApproveRecoveryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approve-recovery RECOVERY_ID --from HOSPITAL",
		Short: "Approve moving a patient who lost their key to a new account: release your share to the new account",
		Long: "For a patient's custodians (hospitals, or a relative the patient named), by hand only: approve only once you have made sure, off chain, that the new account " +
			"(`medchaind query access recovery RECOVERY_ID`) belongs to the patient. Opens your share with your encryption " +
			"key (derived from --from), checks it against the patient's policy and seals it to the new account's key. The patient's " +
			"old key can still cancel until the recovery's delay has passed.",
		Example: "medchaind tx access approve-recovery 1 --from charite",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			clientCtx, id, err := txWithID(cmd, args[0], "recovery")
			if err != nil {
				return err
			}
			kp, err := medclient.FromKeyPair(clientCtx)
			if err != nil {
				return err
			}
			msg, err := medclient.ApproveRecoveryFor(ctx, clientCtx, kp, clientCtx.FromAddress.String(), id)
			if err != nil {
				return err
			}
			return sendAndPrint(cmd, clientCtx, msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// CompleteRecoveryCmd is the new account taking the records over.
func CompleteRecoveryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "complete-recovery RECOVERY_ID --from NEW_ACCOUNT",
		Short: "Take over the records of a recovery the custodians approved, once its delay has passed",
		Long: "Recovers the patient's emergency key from the custodians' approvals (sealed to your key), opens the key of every " +
			"record of the patient and re-seals it, and its label, to your key. The records, the grants the patient gave and " +
			"every reader's wrap move to you; the old account owns nothing afterwards. Set an emergency policy of your own " +
			"afterwards: the old one ends. A message carries at most params max_wraps_per_msg records: with more, the records " +
			"move in several messages, in record-id order (as many per transaction as the block's gas allows). Once the first " +
			"is in a block the recovery can no longer be cancelled and neither account may change grants or the emergency " +
			"policy until the last; if the command stops midway, running it again continues from where the chain says it is.",
		Example: "medchaind tx access complete-recovery 1 --from alice-new",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			clientCtx, id, err := txWithID(cmd, args[0], "recovery")
			if err != nil {
				return err
			}
			kp, err := medclient.FromKeyPair(clientCtx)
			if err != nil {
				return err
			}
			maxWraps, err := medclient.MaxWrapsPerMsg(ctx, clientCtx)
			if err != nil {
				return err
			}
			msg, err := medclient.BuildCompleteRecovery(ctx, clientCtx, kp, id)
			if err != nil {
				return err
			}
			msgs := medclient.SplitRecovery(msg, maxWraps)
			if r, err := types.NewQueryClient(clientCtx).Recovery(ctx, &types.QueryRecoveryRequest{Id: id}); err == nil && r.Recovery.Moving {
				fmt.Fprintf(cmd.ErrOrStderr(), "recovery %d has moved the records through record %d: continuing\n", id, r.Recovery.MovedThrough)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "recovery %d: %d records re-sealed to your key, moving in %d messages\n", id, len(msg.Records), len(msgs))
			return sendAll(cmd, clientCtx, msgs)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// txWithID reads a transaction command's client context, with the chain
// id filled in, and its numeric argument.
func txWithID(cmd *cobra.Command, arg, what string) (client.Context, uint64, error) {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return clientCtx, 0, err
	}
	if clientCtx, err = medclient.EnsureChainID(cmd.Context(), clientCtx); err != nil {
		return clientCtx, 0, err
	}
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		return clientCtx, 0, fmt.Errorf("%s id %q: %w", what, arg, err)
	}
	return clientCtx, id, nil
}
