//go:build e2e

package system

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/internal/abuse"
	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/vault"
)

// rssCeiling is the most memory the node (chain and vault in one process)
// may reach during the abuse suite.
const rssCeiling = 1 << 30

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestAbuseSuite sends every hostile input a stranger with a funded
// account and curl can send to a node's gated vault and to the chain, and
// checks that each is refused with a clear error and leaves nothing behind,
// that the node keeps committing blocks and stays under rssCeiling, that
// the owner's access log stays readable, and that an honest reader's
// downloads keep succeeding throughout.
func TestAbuseSuite(t *testing.T) {
	n := newNode(t)
	n.EditGenesis(func(appState map[string]any) {
		appState["access"].(map[string]any)["params"].(map[string]any)["max_pending_requests_per_record"] = 8
	})
	n.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	alice := n.Address("alice")
	bob := n.AddKey("bob")
	n.Fund(bob)
	n.MustTx("alice", "access", "register-key")
	n.MustTx("bob", "access", "register-key")
	scan, body := dicomFile(t, t.TempDir(), 512<<10)
	rec, r := n.upload("alice", alice, scan)
	requireSuccess(t, "alice's upload", r)
	ticketCLI := func(key string, args ...string) (string, error) {
		r := system.Run(t, n.Bin, append([]string{"vault", "ticket", "--from", key, "--vault", n.Vault, "--chain-id", n.ChainID,
			"--home", n.Home, "--keyring-backend", "test"}, args...)...)
		return strings.TrimSpace(r.Stdout), r.Err
	}
	target := abuse.Target{
		Vault: n.Vault, ChainID: n.ChainID, Client: &http.Client{Timeout: 30 * time.Second},
		UploadTicket: func(size int64) (string, error) {
			return ticketCLI("bob", "--purpose", "upload", "--size", strconv.FormatInt(size, 10))
		},
		ReadTicket: func(record uint64, c string) (string, error) {
			return ticketCLI("alice", strconv.FormatUint(record, 10), c)
		},
	}
	blocksDir := filepath.Join(n.Home, "data", "vault", "blocks")
	blocksBefore := countFiles(t, blocksDir)
	h0 := n.Height()

	// The honest reader: alice downloads her record over and over.
	var honest abuse.Latencies
	root := cid.MustParse(rec.CID)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ticket, err := target.ReadTicket(rec.RecordID, rec.CID)
			vc := vault.NewClient(n.Vault, nil)
			vc.Header = http.Header{"X-Medchain-Ticket": {ticket}}
			var got bytes.Buffer
			start := time.Now()
			if err == nil {
				err = vc.Fetch(ctx, root, &got)
			}
			if err == nil && int64(got.Len()) != rec.SizeBytes {
				err = os.ErrInvalid
			}
			honest.Add(time.Since(start), err)
		}
	}()

	results := []abuse.Result{
		abuse.AnonymousUploads(ctx, target, 200),
		abuse.TinyBlockUploads(ctx, target, 3, 100_000),
		abuse.HugeTickets(ctx, target, 50, 590<<10, rec.CID),
		abuse.PoisonedTickets(ctx, target, 300, rec.CID),
		abuse.PinProbes(ctx, target, 300, rec.CID),
		abuse.ReplayedTicket(ctx, target, 50, rec.RecordID, rec.CID),
		abuse.NonceFlood(ctx, target, 300, rec.RecordID, rec.CID),
		abuse.HostileRPC(ctx, target, 100),
		abuse.StolenPseudonyms(ctx, target, 100, rec.RecordID),
	}
	close(stop)
	<-done
	for _, res := range results {
		t.Logf("%-45s sent %4d refused %4d accepted %d %v: %s", res.Attack, res.Sent, res.Refused, res.Accepted, res.Statuses, res.Sample)
		want := 0
		if res.Attack == "one read ticket replayed" {
			want = 1 // the first use is honest
		}
		if res.Accepted != want || res.Statuses[0] > 0 || res.Statuses[500] > 0 || res.Statuses[503] > 0 {
			t.Errorf("%s: %d accepted (want %d), statuses %v", res.Attack, res.Accepted, want, res.Statuses)
		}
		if (strings.HasPrefix(res.Attack, "read tickets of fresh keys") || strings.HasPrefix(res.Attack, "pseudonym tickets")) &&
			res.Statuses[http.StatusForbidden] != res.Sent {
			t.Errorf("%s: every fresh key's ticket is refused by the chain (403), got %v", res.Attack, res.Statuses)
		}
	}
	p99, ok := honest.P(99)
	t.Logf("honest downloads during the attacks: %d, p99 %s, %d failed", ok, p99.Round(time.Millisecond), honest.Failures)
	if ok == 0 || honest.Failures > 0 {
		t.Errorf("the honest reader: %d downloads, %d failed", ok, honest.Failures)
	}
	if after := countFiles(t, blocksDir); after != blocksBefore {
		t.Errorf("refused uploads left %d block files behind", after-blocksBefore)
	}
	if rss := peakRSS(t, n.Cmd.Process.Pid); rss > rssCeiling {
		t.Errorf("the node's peak RSS reached %d MiB, over the %d MiB ceiling", rss>>20, rssCeiling>>20)
	} else {
		t.Logf("the node's peak RSS: %d MiB (ceiling %d MiB)", rss>>20, rssCeiling>>20)
	}
	n.WaitForHeight(h0+3, 30*time.Second)

	// The owner's access log stays readable after hundreds of poisoned
	// entries, and holds her own reads only: strangers' refusals are kept
	// apart.
	r = system.Run(t, n.Bin, "query", "records", "access-log", strconv.FormatUint(rec.RecordID, 10), "--from", "alice",
		"--home", n.Home, "--keyring-backend", "test", "--vault", n.Vault, "--chain-id", n.ChainID)
	requireSuccess(t, "alice reads her access log after the attacks", r)
	var log accessLog
	if err := json.Unmarshal([]byte(r.Stdout), &log); err != nil || len(log.Entries) == 0 {
		t.Fatalf("access-log printed %q: %v", r.Stdout, err)
	}
	for _, e := range log.Entries {
		if e.Reader != alice {
			t.Fatalf("a stranger's decision in alice's log of her record: %+v", e)
		}
	}
	t.Logf("alice's log: %d entries, all hers; %d strangers' refusals shown apart", len(log.Entries), len(log.StrangerDenials.Entries))

	// Requests on alice's record from fresh accounts: beyond their share of
	// the per-record cap (a quarter of 8 here: 2) they are refused, however
	// many accounts ask; the rest is kept for clinicians.
	var refusedRequests int
	for i, k := range []string{"s1", "s2", "s3"} {
		addr := n.AddKey(k)
		n.Fund(addr)
		res := n.Tx(k, "access", "request", alice, "--record-id", strconv.FormatUint(rec.RecordID, 10),
			"--permission", "read", "--purpose", "research")
		if i < 2 && res.Code != 0 {
			t.Fatalf("request %d within the cap: %s", i, res.RawLog)
		}
		if i == 2 {
			if res.Code == 0 || !strings.Contains(res.RawLog, "pending requests") {
				t.Fatalf("a third pending request from a fresh account on one record: code %d %s", res.Code, res.RawLog)
			}
			refusedRequests++
			t.Logf("pending-request flood: refused: %s", res.RawLog)
		}
	}
	_ = refusedRequests

	// Downloads are bounded: a vault that streams an endless CAR is cut off
	// and nothing is written.
	hostile := newEndlessVault(t)
	out := filepath.Join(t.TempDir(), "x.dcm")
	r = system.Run(t, n.Bin, "query", "records", "download", strconv.FormatUint(rec.RecordID, 10), "-o", out, "--from", "alice",
		"--node", n.RPC, "--home", n.Home, "--keyring-backend", "test", "--vault", hostile)
	requireFailure(t, "a download from a vault streaming an endless CAR", r)
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the endless CAR left a file")
	}
	_ = body
}

// newEndlessVault serves every CAR as a valid header followed by an
// endless stream of unrelated blocks, and answers status like a vault.
func newEndlessVault(t *testing.T) string {
	t.Helper()
	srv := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/status") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"vault_id":"hostile"}`))
			return
		}
		c, err := cid.Decode(strings.TrimPrefix(r.URL.Path, "/ipfs/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.ipld.car")
		_, _ = w.Write(abuse.CARHeader(c))
		for r.Context().Err() == nil {
			if _, err := w.Write(abuse.RandomBlockSection(256 << 10)); err != nil {
				return
			}
		}
	})
	return srv
}

func newHTTPServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
