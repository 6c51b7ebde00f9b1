package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/ipfs/go-cid"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/internal/lightflags"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/archive"
	"github.com/medchain/medchain/vault/gate"
	"github.com/medchain/medchain/vault/node"
)

// vaultArchiveCmds are the cold-archive commands of `medchaind vault`.
func vaultArchiveCmds() []*cobra.Command {
	return []*cobra.Command{vaultArchiveCmd(), vaultRestoreCmd(), vaultArchiveProofCmd(), vaultVerifyArchiveProofCmd(), vaultCommPCmd()}
}

func rpcOf(clientCtx client.Context) (rpcclient.Client, error) {
	c, ok := clientCtx.Client.(rpcclient.Client)
	if !ok || c == nil {
		return nil, fmt.Errorf("no CometBFT RPC client: set --node")
	}
	return c, nil
}

func vaultArchiveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive --from HOSPITAL --out DIR",
		Short: "Write the hospital's share of the vaults as Filecoin pieces, ready for offline deals",
		Long: "Reads the chain (--node) for the live record versions placed on the hospital --from names (--all: " +
			"every live version), keeps those the records module's archive policy and each record's owner allow, " +
			"fetches each one's CAR from the hospital's vault with an archive ticket (falling back to the other placed " +
			"vaults, which serve any ACTIVE hospital's archive copy of a record that may be archived), verifies every block, and writes them into --out as FRC-0058 data-segment aggregates: one segment " +
			"(a CARv1) per record version, pieces of at most --piece-size padded bytes filled with --target-car-size " +
			"CAR bytes. It writes manifest-HEIGHT-TIME.json and .csv beside the pieces: piece CID, piece size, CAR size, " +
			"payload CID and the record versions of each piece, what `boost offline-deal` and Singularity's `prep " +
			"add-piece` take. Versions an earlier manifest in --out holds are skipped. Only ciphertext is archived.",
		Example: "medchaind vault archive --from st-mary --out /srv/archive --node tcp://127.0.0.1:26657 --keyring-backend test",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx.FromAddress.Empty() {
				return fmt.Errorf("--from names the hospital whose vault content to archive")
			}
			if clientCtx, err = medclient.EnsureChainID(cmd.Context(), clientCtx); err != nil {
				return err
			}
			rpc, err := rpcOf(clientCtx)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("out")
			all, _ := cmd.Flags().GetBool("all")
			pieceSize, err := sizeFlag(cmd, "piece-size")
			if err != nil {
				return err
			}
			target, err := sizeFlag(cmd, "target-car-size")
			if err != nil {
				return err
			}
			plan, err := node.PlanArchive(cmd.Context(), rpc, clientCtx.FromAddress, all, false)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "archive policy %s: %d live record versions to archive at height %d, %d left out by policy or the owners' choice\n",
				plan.Policy, len(plan.Items), plan.Height, plan.NotAllowed)
			fetch := plan.Fetch(func(ctx context.Context, url string, c cid.Cid) (io.ReadCloser, error) {
				t, err := medclient.ArchiveTicket(ctx, clientCtx, url, c.String())
				if err != nil {
					return nil, err
				}
				vc := vault.NewClient(url, archiveHTTP)
				vc.Header = http.Header{gate.Header: {t}}
				return vc.FetchCAR(ctx, c)
			})
			res, err := archive.Run(cmd.Context(), plan.Items, fetch, archive.Options{
				Dir: out, PieceSize: pieceSize, TargetCARBytes: int64(target),
				ChainID: clientCtx.ChainID, Height: plan.Height, Hospital: clientCtx.FromAddress.String(),
				Progress: func(p archive.Piece) {
					fmt.Fprintf(w, "piece %s: %d record versions, %d bytes (piece size %d)\n", p.PieceCID, len(p.Segments), p.CARSize, p.PieceSize)
				},
			})
			if res != nil {
				if res.ManifestPath != "" {
					fmt.Fprintf(w, "manifest %s: %d pieces, %d record versions, %d CAR bytes; %d already archived\n",
						res.ManifestPath, len(res.Manifest.Pieces), res.Segments, res.CARBytes, res.Skipped)
				} else if err == nil {
					fmt.Fprintf(w, "nothing new to archive (%d already archived)\n", res.Skipped)
				}
			}
			return err
		},
	}
	cmd.Flags().String("out", "", "the directory for pieces and manifests (earlier manifests there are not archived again)")
	_ = cmd.MarkFlagRequired("out")
	cmd.Flags().Bool("all", false, "archive every live record version, not only those placed on this hospital")
	cmd.Flags().String("piece-size", "32GiB", "the largest padded piece (a power of two, 256B to 64GiB); a run's last piece is the smallest that holds it")
	cmd.Flags().String("target-car-size", "18GiB", "how many CAR bytes fill a piece before the next starts")
	addKeyFlags(cmd)
	return cmd
}

// archiveHTTP fetches CARs for the archive: a vault that stops sending
// fails the run (naming the record) after half an hour instead of
// holding it forever; a 48 MiB record takes seconds.
var archiveHTTP = &http.Client{Timeout: 30 * time.Minute}

// addKeyFlags are the flags of a command that signs with a keyring key
// and reads the chain.
func addKeyFlags(cmd *cobra.Command) {
	cmd.Flags().String(flags.FlagFrom, "", "the key to sign with")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory, if other than --home")
	cmd.Flags().String(flags.FlagChainID, "", "the chain id (default: the client config's, or the node's)")
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "CometBFT RPC of a node")
}

// sizeFlag reads a byte size such as 32GiB, 512MiB or 1048576.
func sizeFlag(cmd *cobra.Command, name string) (uint64, error) {
	s, _ := cmd.Flags().GetString(name)
	n, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: %w", name, s, err)
	}
	return n, nil
}

func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"B", 0}}
	s = strings.TrimSpace(s)
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, shift = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a size (a positive number of bytes, or with KiB, MiB, GiB or TiB)")
	}
	if n > (1<<63)>>shift {
		return 0, fmt.Errorf("too large")
	}
	return n << shift, nil
}

func vaultRestoreCmd() *cobra.Command {
	def := node.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "restore MANIFEST [PIECE...]",
		Short: "Rebuild a vault from archive pieces alone",
		Long: "Imports the pieces of MANIFEST (by default every piece it names, beside it) into the vault store under " +
			"--home (stop the node first: a store is open in one process at a time). Each piece is checked whole " +
			"against the manifest's piece CID and each segment against the CommP its data-segment index entry names, " +
			"every block against its CID. Record versions the chain (--node) no longer lists as live — redacted, " +
			"superseded, rotated away — are not restored. Live versions are pinned once their piece has verified. With " +
			"--hospital, it then lists the live versions placed on that hospital that are still missing; the vault's " +
			"reconciler fetches those from the other hospitals once it runs.",
		Example: "medchaind vault restore /srv/archive/manifest-1200-20261207T101500Z.json --home ~/.medchaind --hospital medchain1...",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			rpc, err := rpcOf(clientCtx)
			if err != nil {
				return err
			}
			m, err := archive.ReadManifest(args[0])
			if err != nil {
				return err
			}
			files := args[1:]
			if len(files) == 0 {
				for _, p := range m.Pieces {
					files = append(files, archive.PiecePath(args[0], p))
				}
			}
			var want []archive.Item
			if h, _ := cmd.Flags().GetString("hospital"); h != "" {
				addr, err := sdk.AccAddressFromBech32(h)
				if err != nil {
					return fmt.Errorf("--hospital %q: %w", h, err)
				}
				plan, err := node.PlanArchive(cmd.Context(), rpc, addr, false, true)
				if err != nil {
					return err
				}
				want = plan.Items
			}
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			path, _ := cmd.Flags().GetString("path")
			cfg := node.DefaultConfig()
			cfg.Path = path
			store, err := vault.Open(cfg.Dir(home))
			if err != nil {
				return err
			}
			defer store.Close()
			rep, err := archive.Restore(cmd.Context(), store, m, files, node.ChainLiveness(rpc), want)
			w := cmd.OutOrStdout()
			if rep != nil {
				fmt.Fprintf(w, "%d pieces and %d segments verified; %d record versions restored (%d bytes), %d no longer live and left out\n",
					rep.Pieces, rep.Segments, len(rep.Restored), rep.Bytes, len(rep.NotLive))
				for _, it := range rep.NotLive {
					fmt.Fprintf(w, "not live: %s\n", it.CID)
				}
				if len(want) > 0 {
					fmt.Fprintf(w, "%d live record versions placed on the hospital are missing\n", len(rep.Missing))
					for _, it := range rep.Missing {
						fmt.Fprintf(w, "missing: record %d version %d %s\n", it.RecordID, it.Version, it.CID)
					}
				}
			}
			return err
		},
	}
	cmd.Flags().String("path", def.Path, "the vault store directory (relative to --home)")
	cmd.Flags().String("hospital", "", "the hospital whose placed live versions to check for (account address)")
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "CometBFT RPC of a node")
	return cmd
}

// recordVersionArg parses RECORD_ID[:VERSION] (version 0: not given).
func recordVersionArg(s string) (uint64, uint64, error) {
	id, ver, hasVersion := strings.Cut(s, ":")
	rid, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("record %q: want RECORD_ID or RECORD_ID:VERSION", s)
	}
	if !hasVersion {
		return rid, 0, nil
	}
	v, err := strconv.ParseUint(ver, 10, 64)
	if err != nil || v == 0 {
		return 0, 0, fmt.Errorf("record %q: want RECORD_ID or RECORD_ID:VERSION", s)
	}
	return rid, v, nil
}

func vaultArchiveProofCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "archive-proof MANIFEST RECORD_ID[:VERSION]",
		Short: "Print the FRC-0058 inclusion proof that an archive piece holds a record version",
		Long: "Rebuilds the piece's aggregate tree from MANIFEST and prints, as JSON, the inclusion proof of the record " +
			"version's segment (its latest archived version unless VERSION is given). Anyone can check it with " +
			"`medchaind vault verify-archive-proof`, with the record's CAR, without the rest of the piece.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := archive.ReadManifest(args[0])
			if err != nil {
				return err
			}
			rid, ver, err := recordVersionArg(args[1])
			if err != nil {
				return err
			}
			piece, seg, ok := m.Find(rid, ver)
			if !ok {
				return fmt.Errorf("%s archives no version %s of record %d", args[0], map[bool]string{true: "at all", false: strconv.FormatUint(ver, 10)}[ver == 0], rid)
			}
			pr, err := archive.Prove(piece, seg.RecordID, seg.Version)
			if err != nil {
				return err
			}
			out, err := json.MarshalIndent(pr, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	}
}

func vaultVerifyArchiveProofCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify-archive-proof PROOF [--car FILE]",
		Short: "Check an archive inclusion proof, and that a CAR is the record version it proves",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var pr archive.Proof
			if err := json.Unmarshal(data, &pr); err != nil {
				return fmt.Errorf("%s is not an archive proof: %w", args[0], err)
			}
			if err := pr.Verify(); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "record %d version %d (segment %s, %d bytes) is in piece %s (%d bytes)\n",
				pr.RecordID, pr.Version, pr.SegmentCID, pr.SegmentSize, pr.PieceCID, pr.PieceSize)
			if carPath, _ := cmd.Flags().GetString("car"); carPath != "" {
				f, err := os.Open(filepath.Clean(carPath))
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pr.VerifyCAR(cmd.Context(), f); err != nil {
					return err
				}
				fmt.Fprintf(w, "%s is that segment: the DAG of %s, complete and untampered\n", carPath, pr.CID)
			}
			if lightflags.Proving(cmd) {
				return proveArchiveEntry(cmd, &pr)
			}
			return nil
		},
	}
	cmd.Flags().String("car", "", "a CAR of the record version (from any vault: /ipfs/CID?format=car) to check against the proof")
	lightflags.Add(cmd, "also prove with a light client, trusting no node, that the chain records the piece as holding this record version")
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "CometBFT RPC of a node (with --prove)")
	cmd.Flags().String(flags.FlagChainID, "", "the chain id (with --prove; default: the client config's, or the node's)")
	return cmd
}

// proveArchiveEntry proves, against a verified header, the chain's archive
// entry of the proof's record version in its piece.
func proveArchiveEntry(cmd *cobra.Command, pr *archive.Proof) error {
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	piece, err := archive.ParsePieceCID(pr.PieceCID)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	lc, err := lightflags.Client(ctx, cmd, clientCtx)
	if err != nil {
		return err
	}
	defer lc.Close()
	at, err := lc.Latest(ctx)
	if err != nil {
		return err
	}
	e, found, err := lc.ArchiveEntryAt(ctx, at, pr.RecordID, pr.Version, piece)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	switch {
	case !found:
		return fmt.Errorf("verified at height %d: the chain records no archive of record %d version %d in piece %s", at.Height, pr.RecordID, pr.Version, pr.PieceCID)
	case e.PieceSize != pr.PieceSize:
		return fmt.Errorf("verified at height %d: the chain records piece %s with %d bytes, the proof says %d", at.Height, pr.PieceCID, e.PieceSize, pr.PieceSize)
	}
	fmt.Fprintf(w, "verified at height %d: %s recorded it with provider %s until %s, status %s\n",
		at.Height, e.Hospital, e.Provider, e.ExpiresAt.UTC().Format(time.RFC3339), e.Status)
	return nil
}

func vaultCommPCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "commp FILE...",
		Short: "Print the piece CID and padded piece size of files, as a storage provider computes them",
		Long: "Streams each file through go-fil-commp-hashhash, zero-padding it to the next power of two after Fr32, as " +
			"`boostx commp` and a storage provider do for a deal's payload. Use it to check an archive piece against its " +
			"manifest independently of how the archive built it (from its segments' commitments).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, path := range args {
				f, err := os.Open(filepath.Clean(path))
				if err != nil {
					return err
				}
				c, size, err := archive.CommP(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %d %s\n", c, size, path)
			}
			return nil
		},
	}
}
