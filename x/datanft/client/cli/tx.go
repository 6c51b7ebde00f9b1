// Package cli holds the datanft commands AutoCLI cannot generate:
// fulfil-licences needs the record key, which only the owner's client can
// open.
package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/x/datanft/types"
)

const (
	flagLicence = "licence"
	flagWait    = "wait"
)

// GetTxCmd returns the hand-written datanft transactions; AutoCLI adds the
// rest (mint, list, buy, buy-licence, ...).
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions of the datanft module (identity, data-NFTs, market, licences)",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(FulfilLicencesCmd())
	return cmd
}

// FulfilLicencesCmd fulfils the signer's pending licences.
func FulfilLicencesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fulfil-licences",
		Short: "Fulfil the licences researchers bought for your records: seal each record key to its buyer and make the READ grants",
		Long: "Lists the pending licences of records you own, opens each record's key with your encryption key (derived from " +
			"--from), seals it to the buyer's registered key and sends one transaction of MsgFulfilLicence. Each makes a READ " +
			"grant (purpose RESEARCH) that ends after the licence duration, and releases the escrowed price to the NFT's " +
			"owner and the producer's royalty. A licence the chain would refuse (say, the buyer changed its key) is reported " +
			"and left pending; the others go through. No payload is downloaded: only keys move.",
		Example: "medchaind tx datanft fulfil-licences --from alice --yes\nmedchaind tx datanft fulfil-licences --licence 4 --from alice",
		Args:    cobra.NoArgs,
		RunE:    runFulfilLicences,
	}
	cmd.Flags().Uint64(flagLicence, 0, "fulfil only this licence")
	cmd.Flags().Duration(flagWait, time.Minute, "how long to wait for the transaction's block")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// fulfilled is one line of the command's report.
type fulfilled struct {
	LicenceID uint64 `json:"licence_id"`
	RecordID  uint64 `json:"record_id"`
	Buyer     string `json:"buyer"`
	Error     string `json:"error,omitempty"`
}

func runFulfilLicences(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	if clientCtx, err = medclient.EnsureChainID(ctx, clientCtx); err != nil {
		return err
	}
	owner := clientCtx.FromAddress.String()
	only, _ := cmd.Flags().GetUint64(flagLicence)

	pending, err := medclient.PendingLicences(ctx, clientCtx, owner, only)
	if err != nil {
		return fmt.Errorf("listing your pending licences: %w", err)
	}
	if len(pending) == 0 {
		if only != 0 {
			return fmt.Errorf("licence %d is not pending for records of %s (see `medchaind q datanft licence %d`)", only, owner, only)
		}
		return clientCtx.PrintString("no pending licences for records of " + owner + "\n")
	}

	kp, err := medclient.FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	t, err := cliflags.NewTx(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	// Seal each licence's key and ask the chain about it alone, so one
	// licence it would refuse does not hold the others back.
	var (
		msgs   []*types.MsgFulfilLicence
		report []fulfilled
	)
	for _, l := range pending {
		line := fulfilled{LicenceID: l.Id, RecordID: l.RecordId, Buyer: l.Buyer}
		msg, err := medclient.BuildFulfilLicence(ctx, clientCtx, kp, owner, l)
		if err == nil {
			err = t.Preflight(msg)
		}
		if err != nil {
			line.Error = err.Error()
			fmt.Fprintf(os.Stderr, "licence %d (record %d, buyer %s) left pending: %s\n", l.Id, l.RecordId, l.Buyer, err)
		} else {
			msgs = append(msgs, msg)
		}
		report = append(report, line)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("none of the %d pending licence(s) can be fulfilled", len(pending))
	}
	all := make([]sdk.Msg, len(msgs))
	for i, m := range msgs {
		all[i] = m
	}
	if err := t.Preflight(all...); err != nil {
		return err
	}
	if ok, err := t.Confirm(fmt.Sprintf("fulfil %d licence(s) with READ grants", len(msgs))); err != nil || !ok {
		return err
	}
	wait, _ := cmd.Flags().GetDuration(flagWait)
	res, err := t.BroadcastAndWait(ctx, wait, all...)
	if err != nil {
		return fmt.Errorf("no licence was fulfilled: %w", err)
	}
	if clientCtx.OutputFormat == flags.OutputFormatJSON && cmd.Flags().Changed(flags.FlagOutput) {
		bz, err := json.Marshal(map[string]any{"txhash": res.TxHash, "height": res.Height, "licences": report})
		if err != nil {
			return err
		}
		return clientCtx.PrintRaw(bz)
	}
	var b strings.Builder
	for _, r := range report {
		if r.Error == "" {
			fmt.Fprintf(&b, "licence %d: record %d is now readable by %s\n", r.LicenceID, r.RecordID, r.Buyer)
		}
	}
	fmt.Fprintf(&b, "%d licence(s) fulfilled in block %d (tx %s)\n", len(msgs), res.Height, res.TxHash)
	return clientCtx.PrintString(b.String())
}
