package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
	"github.com/medchain/medchain/vault/gate"
)

// AccessLogCmd shows the owner who asked a vault for a record, and what
// the vault's access gate decided.
func AccessLogCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access-log RECORD_ID --from OWNER",
		Short: "Show your record's access log at a vault: every read its access gate allowed or refused",
		Long: "Prints JSON. A vault whose access gate is on logs every read request (who, which record and CID, when, allowed or denied " +
			"and why) to an append-only file. Its owner reads a record's entries with a ticket signed by --from; nobody " +
			"else may.\n\n" +
			"Without flags it prints the most recent entries (up to 10,000), oldest first, each with its seq (1 for the first " +
			"decision about the record), and next_before when older ones exist; --before SEQ and --after SEQ page back and " +
			"forward from an entry, --limit N bounds a page, and --all prints every entry, paging from the first. Refusals of " +
			"accounts that are not parties to the record (no grant) are kept apart, in a bounded log: the most recent are shown " +
			"under stranger_denials on the default page.",
		Example: "medchaind query records access-log 42 --from alice --vault http://127.0.0.1:27005\n" +
			"medchaind query records access-log 42 --from alice --vault http://127.0.0.1:27005 --limit 100 --after 0\n" +
			"medchaind query records access-log 42 --from alice --vault http://127.0.0.1:27005 --all",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a record id", args[0])
			}
			_, base, err := cliflags.RemoteFromCmd(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			all, _ := f.GetBool("all")
			limit, _ := f.GetUint("limit")
			page := url.Values{}
			if limit > 0 {
				page.Set("limit", strconv.FormatUint(uint64(limit), 10))
			}
			for _, name := range []string{"after", "before"} {
				if f.Changed(name) {
					if all {
						return fmt.Errorf("--all pages through every entry: give it without --%s", name)
					}
					v, _ := f.GetUint64(name)
					page.Set(name, strconv.FormatUint(v, 10))
				}
			}
			if page.Has("after") && page.Has("before") {
				return errors.New("give --after or --before, not both")
			}
			var body []byte
			if all {
				body, err = wholeAccessLog(cmd, clientCtx, base, id, page)
			} else {
				body, err = medclient.AccessLog(cmd.Context(), clientCtx, base, id, page)
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(body[:len(body):len(body)], '\n'))
			return err
		},
	}
	cliflags.AddKeyFlags(cmd, "the key to sign with (name or address in the keyring)")
	cliflags.AddRemoteFlags(cmd)
	cmd.Flags().Uint("limit", 0, fmt.Sprintf("the most entries in a page (0: the vault's %d)", gate.MaxEntries))
	cmd.Flags().Uint64("after", 0, "the entries after this seq, oldest first (0: from the first)")
	cmd.Flags().Uint64("before", 0, "the most recent entries before this seq")
	cmd.Flags().Bool("all", false, "every entry, paging from the first (a ticket per page)")
	return cmd
}

// accessLogPage is the part of a vault's page wholeAccessLog reads.
type accessLogPage struct {
	Entries   []json.RawMessage `json:"entries"`
	Total     uint64            `json:"total"`
	NextAfter *uint64           `json:"next_after"`
	Skipped   int               `json:"skipped"`
}

// wholeAccessLog pages forward from the first entry to the last.
func wholeAccessLog(cmd *cobra.Command, clientCtx client.Context, base string, id uint64, page url.Values) ([]byte, error) {
	out := struct {
		RecordID uint64            `json:"record_id"`
		Entries  []json.RawMessage `json:"entries"`
		Total    uint64            `json:"total"`
		Skipped  int               `json:"skipped"`
	}{RecordID: id, Entries: []json.RawMessage{}}
	page.Set("after", "0")
	for {
		body, err := medclient.AccessLog(cmd.Context(), clientCtx, base, id, page)
		if err != nil {
			return nil, err
		}
		var p accessLogPage
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("the vault's access log page: %w", err)
		}
		out.Entries = append(out.Entries, p.Entries...)
		out.Total, out.Skipped = p.Total, out.Skipped+p.Skipped
		if p.NextAfter == nil {
			return json.Marshal(out)
		}
		if len(p.Entries) == 0 && p.Skipped == 0 {
			return nil, errors.New("the vault's access log paging went nowhere")
		}
		page.Set("after", strconv.FormatUint(*p.NextAfter, 10))
	}
}
