//go:build e2e

package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/testutil/tamperproxy"
)

func newTamperingProxy(t *testing.T, target string) *tamperproxy.Proxy {
	t.Helper()
	p, err := tamperproxy.Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type provenAnswer struct {
	Allowed      bool   `json:"allowed"`
	Reason       string `json:"reason"`
	Height       int64  `json:"height"`
	HeaderHeight int64  `json:"header_height"`
	Verified     bool   `json:"verified"`
	Proofs       []struct {
		Store  string `json:"store"`
		Exists bool   `json:"exists"`
	} `json:"proofs"`
}

// TestProvenCheckAccess `query access check --prove` asks a
// node through a tampering proxy, with the node itself as witness. Honest
// answers verify for an allowed and a denied grantee; a forged value, a
// proof for another key and an answer at another height are refused and
// the proxy is named; an expired trusting period says what to do.
func TestProvenCheckAccess(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	bob, stranger := n.AddKey("bob"), n.AddKey("stranger")
	n.Fund(bob)
	n.MustTx("alice", "access", "register-key")
	n.MustTx("bob", "access", "register-key")
	scan, _ := dicomFile(t, t.TempDir(), 4096)
	rec, r := n.upload("alice", alice, scan)
	requireSuccess(t, "upload", r)
	n.MustTx("alice", "access", "grant", strconv.FormatUint(rec.RecordID, 10), bob, "--purpose", "treatment")

	node := strings.Replace(n.RPC, "tcp://", "http://", 1)
	proxy := newTamperingProxy(t, node)
	trustHeight, trustHash := n.trustedBlock()
	lightDir := filepath.Join(t.TempDir(), "light")
	check := func(grantee string, extra ...string) system.Result {
		args := append([]string{"query", "access", "check", strconv.FormatUint(rec.RecordID, 10), grantee, "--prove",
			"--node", proxy.URL, "--witness", node, "--light-dir", lightDir, "--home", n.Home, "-o", "json"}, extra...)
		return system.Run(t, n.Bin, args...)
	}
	decode := func(r system.Result) provenAnswer {
		t.Helper()
		var a provenAnswer
		if r.Err != nil || json.Unmarshal([]byte(r.Stdout), &a) != nil {
			t.Fatalf("check --prove: %v\n%s", r.Err, r.Combined())
		}
		return a
	}

	a := decode(check(bob, "--trust-height", strconv.FormatInt(trustHeight, 10), "--trust-hash", trustHash))
	if !a.Allowed || !a.Verified || a.HeaderHeight != a.Height+1 || a.HeaderHeight <= trustHeight {
		t.Fatalf("bob, honestly answered: %+v", a)
	}
	a = decode(check(stranger)) // resumes from the trusted store
	if a.Allowed || !a.Verified || !strings.Contains(a.Reason, "no live READ grant") {
		t.Fatalf("the stranger, honestly answered: %+v", a)
	}
	absent := 0
	for _, p := range a.Proofs {
		if !p.Exists {
			absent++
		}
	}
	if absent < 3 {
		t.Fatalf("the denial must rest on proven absences (issuer, practitioner, grants): %+v", a.Proofs)
	}

	for _, mode := range []string{"forge-value", "other-key", "stale-height"} {
		proxy.SetMode(mode)
		for _, who := range []string{bob, stranger} {
			r := check(who)
			requireFailure(t, mode+" for "+who, r, proxy.URL, "witness "+node)
			if mode == "forge-value" && !strings.Contains(r.Combined(), "consent key") {
				t.Fatalf("the forged grant must be what is refused: %s", r.Combined())
			}
		}
	}
	proxy.SetMode("")
	decode(check(bob))

	// A primary that freezes (reports no header newer than now) would have
	// the light client answer from old, validly proven state: a revoked
	// grant still allowed. It is refused, naming the stale header, as soon
	// as a witness is ahead or the header is older than --max-header-age.
	proxy.SetMode(tamperproxy.Freeze)
	time.Sleep(3 * time.Second)
	for _, extra := range [][]string{nil, {"--witness", proxy.URL, "--max-header-age", "2s"}} {
		args := append([]string{}, extra...)
		if extra != nil { // no honest witness ahead: only the age bound can tell
			r := system.Run(t, n.Bin, append([]string{"query", "access", "check", strconv.FormatUint(rec.RecordID, 10), bob, "--prove",
				"--node", proxy.URL, "--light-dir", lightDir, "--home", n.Home, "-o", "json"}, args...)...)
			requireFailure(t, "a frozen primary, no other witness", r, "stale header", "old")
			continue
		}
		requireFailure(t, "a frozen primary", check(bob), "stale header", proxy.URL)
	}
	proxy.SetMode("")
	decode(check(bob))

	// A trusting period that has run out: the user is told what to do.
	time.Sleep(2 * time.Second)
	r = check(bob, "--trust-period", "1s")
	requireFailure(t, "an expired trusted header", r, "expired", "--trust-height and --trust-hash")
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// gatedFetch fetches a record's CAR from the vault with the ticket of key
// (none if key is empty) and returns the HTTP status.
func (n *node) gatedFetch(t *testing.T, key string, recordID uint64, c string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, n.Vault+"/ipfs/"+c+"?format=car", nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		ticket := strings.TrimSpace(system.MustRun(t, n.Bin, "vault", "ticket", strconv.FormatUint(recordID, 10), c, "--from", key,
			"--vault", n.Vault, "--chain-id", n.ChainID,
			"--home", n.Home, "--keyring-backend", "test"))
		req.Header.Set("X-Medchain-Ticket", ticket)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type accessLog struct {
	Entries []accessLogEntry `json:"entries"`
	// Refusals of accounts that are not parties to the record, kept apart.
	StrangerDenials struct {
		Entries []accessLogEntry `json:"entries"`
	} `json:"stranger_denials"`
}

type accessLogEntry struct {
	Reader   string `json:"reader"`
	Outcome  string `json:"outcome"`
	Verified bool   `json:"verified"`
	Seq      uint64 `json:"seq"`
}

// TestVaultAccessGate with the vault's access gate on, the
// allowed grantee downloads through medchaind, a stranger's signed ticket
// and a ticketless fetch are refused, and the owner (only) reads both
// decisions from the access log (the stranger's refusal apart, under
// stranger_denials); first with the node's own CheckAccess, then with
// every answer verified by a light client.
func TestVaultAccessGate(t *testing.T) {
	n := newNode(t)
	// access-gate = "node" is the default.
	n.Start()
	alice := n.Address("alice")
	bob, stranger := n.AddKey("bob"), n.AddKey("stranger")
	n.Fund(bob)
	n.MustTx("alice", "access", "register-key")
	n.MustTx("bob", "access", "register-key")
	scan, body := dicomFile(t, t.TempDir(), 64<<10)
	rec, r := n.upload("alice", alice, scan)
	requireSuccess(t, "upload", r)
	n.MustTx("alice", "access", "grant", strconv.FormatUint(rec.RecordID, 10), bob, "--purpose", "treatment")

	for round, mode := range []string{"node", "light"} {
		if mode == "light" {
			n.Stop()
			node := strings.Replace(n.RPC, "tcp://", "http://", 1)
			n.Start()
			h, hash := n.trustedBlock()
			n.Stop()
			n.EditConfig("app.toml", map[string]string{
				`access-gate = "node"`:  `access-gate = "light"`,
				`gate-witnesses = []`:   `gate-witnesses = ["` + node + `"]`,
				`gate-trust-height = 0`: fmt.Sprintf("gate-trust-height = %d", h),
				`gate-trust-hash = ""`:  `gate-trust-hash = "` + hash + `"`,
			})
			n.Start()
		}
		out := filepath.Join(t.TempDir(), "bob.dcm")
		requireSuccess(t, mode+": bob's download through the gate", n.download("bob", rec.RecordID, out))
		requireSameFile(t, out, body)
		if s := n.gatedFetch(t, "stranger", rec.RecordID, rec.CID); s != http.StatusForbidden {
			t.Fatalf("%s: the stranger's ticket got HTTP %d", mode, s)
		}
		if s := n.gatedFetch(t, "", rec.RecordID, rec.CID); s != http.StatusUnauthorized {
			t.Fatalf("%s: a fetch without a ticket got HTTP %d", mode, s)
		}
		r := system.Run(t, n.Bin, "query", "records", "access-log", strconv.FormatUint(rec.RecordID, 10), "--from", "alice",
			"--home", n.Home, "--keyring-backend", "test", "--vault", n.Vault)
		requireSuccess(t, mode+": alice reads the access log", r)
		var log accessLog
		if err := json.Unmarshal([]byte(r.Stdout), &log); err != nil {
			t.Fatalf("access-log printed %q: %v", r.Stdout, err)
		}
		if len(log.Entries) != round+1 || len(log.StrangerDenials.Entries) != round+1 {
			t.Fatalf("%s: the log has %d entries and %d strangers' refusals, want %d of each: %+v", mode,
				len(log.Entries), len(log.StrangerDenials.Entries), round+1, log)
		}
		allow, deny := log.Entries[round], log.StrangerDenials.Entries[round]
		if allow.Reader != bob || allow.Outcome != "allow" || allow.Seq != uint64(round+1) || deny.Reader != stranger ||
			deny.Outcome != "deny" || allow.Verified != (mode == "light") {
			t.Fatalf("%s: the log says %+v", mode, log)
		}
		requireFailure(t, mode+": bob reading alice's access log", system.Run(t, n.Bin, "query", "records", "access-log",
			strconv.FormatUint(rec.RecordID, 10), "--from", "bob", "--home", n.Home, "--keyring-backend", "test", "--vault", n.Vault),
			"only record")
	}
}

// trustedBlock is a recent height and its block hash, as a light client's
// first use trusts them (--trust-height, --trust-hash).
func (n *node) trustedBlock() (int64, string) {
	n.T.Helper()
	height := n.Height() - 1
	var block struct {
		Result struct {
			BlockID struct {
				Hash string `json:"hash"`
			} `json:"block_id"`
		} `json:"result"`
	}
	getJSON(n.T.(*testing.T), fmt.Sprintf("%s/block?height=%d", strings.Replace(n.RPC, "tcp://", "http://", 1), height), &block)
	return height, block.Result.BlockID.Hash
}
