//go:build e2e

package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/vault"
)

// TestLocalnetE2E builds the four-hospital network of the repository's
// config.yml with the real medchaind, runs it, checks that every node
// commits with the same app hash and that a bank transfer goes through,
// stops it, and resumes it. Run with
//
//	MEDCHAIND_BIN=$PWD/build/medchaind go test -tags e2e -run LocalnetE2E ./internal/localnet/
//
// MEDCHAIND_BIN defaults to ../build/medchaind, which is built if missing.
func TestLocalnetE2E(t *testing.T) {
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Below the kernel's ephemeral range, so that tests that ask the kernel
	// for free ports cannot be handed ours; away from the default 27000.
	// The vaults are read as plain IPFS gateways below: gates off.
	for i := range cfg.Validators {
		cfg.Validators[i].App = map[string]any{"vault": map[string]any{"access-gate": "off"}}
	}
	base, err := FreePortBase(21000, len(cfg.Validators))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := &testWriter{t: t}
	opts := Options{Binary: bin, Dir: dir, Config: cfg, PortBase: base, Out: out, StartTimeout: 60 * time.Second}

	start := time.Now()
	if err := Init(ctx, opts); err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Logf("init took %s", time.Since(start).Round(time.Millisecond))
	checkClientToml(t, dir, cfg.Genesis.ChainID, base)

	// A second Init is a no-op.
	before, _ := os.ReadFile(filepath.Join(dir, stateFile))
	if err := Init(ctx, opts); err != nil {
		t.Fatalf("second Init: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, stateFile)); string(after) != string(before) {
		t.Error("second Init rewrote the network")
	}

	// First run: blocks, agreement, a transfer.
	ready, run1 := startRun(ctx, t, opts)
	t.Logf("network up after %s: height %d, app hash %s", time.Since(start).Round(time.Millisecond), ready.Height, ready.AppHash)
	if len(ready.PIDs) != 4 {
		t.Fatalf("%d nodes running, want 4", len(ready.PIDs))
	}
	st := ready.State
	h := waitHeight(ctx, t, st, ready.Height+1)
	if _, err := compareAppHashes(ctx, st, h); err != nil { // our own check, after Run's
		t.Fatal(err)
	}
	bob := ready.Addresses["bob"]
	if !strings.HasPrefix(bob, AccountPrefix+"1") {
		t.Fatalf("bob's address %q", bob)
	}
	txHeight := (&chainCLI{t: t, ctx: ctx, b: binary{path: bin}, st: st}).txWait("tx", "bank", "send", "alice", bob, "1000"+st.BondDenom)
	t.Logf("transfer included at height %d", txHeight)

	// Every hospital runs its vault on its node's vault port; a file
	// stored in one comes back whole.
	// Uploads carry a ticket of an account with an encryption key on chain.
	b := binary{path: bin}
	keyFlags := []string{"--home", st.ClientHome, "--keyring-backend", "test", "--chain-id", st.ChainID,
		"--node", "tcp://" + hostPort(st.Nodes[0].Ports.RPC)}
	if _, stderr, err := b.run(ctx, "", append([]string{"tx", "access", "register-key", "--from", "alice", "--yes"}, keyFlags...)...); err != nil {
		t.Fatalf("register-key: %v %s", err, stderr)
	}
	time.Sleep(3 * time.Second)
	for _, n := range st.Nodes {
		c := vault.NewClient("http://"+hostPort(n.Ports.Vault), nil)
		c.UploadHeader = func() (http.Header, error) {
			out, stderr, err := b.run(ctx, "", "vault", "ticket", "--purpose", "upload", "--size", "1000000",
				"--from", "alice", "--vault", c.BaseURL(), "--home", st.ClientHome, "--keyring-backend", "test", "--chain-id", st.ChainID)
			if err != nil {
				return nil, fmt.Errorf("vault ticket: %v %s", err, stderr)
			}
			return http.Header{"X-Medchain-Ticket": {strings.TrimSpace(string(out))}}, nil
		}
		payload := bytes.Repeat([]byte(n.Name), 50_000)
		up, err := c.UploadFile(ctx, bytes.NewReader(payload))
		if err != nil {
			t.Fatalf("%s's vault at %s: %v", n.Name, hostPort(n.Ports.Vault), err)
		}
		if up.Receipt == nil {
			t.Fatalf("%s's vault signed no upload receipt, so nothing uploaded there could be registered", n.Name)
		}
		root := cid.MustParse(up.CID)
		var got bytes.Buffer
		if err := c.Fetch(ctx, root, &got); err != nil || !bytes.Equal(got.Bytes(), payload) {
			t.Fatalf("%s's vault: fetch %s: %v (%d bytes back of %d)", n.Name, root, err, got.Len(), len(payload))
		}
	}

	if err := run1.stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	assertStopped(t, ready)
	if ready.StartHeight != 0 {
		t.Errorf("new chain reported start height %d", ready.StartHeight)
	}

	// Second run resumes the same chain, with the transfer in its state.
	ready2, run2 := startRun(ctx, t, opts)
	t.Logf("resumed from height %d, now at %d", ready2.StartHeight, ready2.Height)
	if ready2.StartHeight < txHeight || ready2.Height <= ready2.StartHeight {
		t.Errorf("restart: start height %d, height %d; the transfer was at %d", ready2.StartHeight, ready2.Height, txHeight)
	}
	bobAcct, _ := cfg.Account("bob")
	want := new(big.Int)
	for _, c := range bobAcct.ParsedCoins() {
		if c.Denom == st.BondDenom {
			want.Add(c.Amount, big.NewInt(1000))
		}
	}
	if got := balance(ctx, t, bin, st, bob); got != want.String()+st.BondDenom {
		t.Errorf("bob's balance after restart: %s, want %s%s", got, want, st.BondDenom)
	}
	if err := run2.stop(); err != nil {
		t.Fatalf("second Run: %v", err)
	}
	assertStopped(t, ready2)
	t.Logf("whole test took %s", time.Since(start).Round(time.Millisecond))
}

// testWriter sends whole lines to t.Log.
type testWriter struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// runHandle is a Run in a goroutine.
type runHandle struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop cancels Run and waits for it to return (at most 40s).
func (h *runHandle) stop() error {
	h.once.Do(func() {
		h.cancel()
		select {
		case h.err = <-h.done:
		case <-time.After(40 * time.Second):
			h.err = errors.New("Run did not return within 40s of cancellation")
		}
	})
	return h.err
}

// consortium is cfg's network, initialised and running for one test.
type consortium struct {
	ctx   context.Context // ends with the test, or after the budget
	dir   string          // the network's directory
	ready Ready
	run   *runHandle
}

// vault is the URL of the vault of the node named name.
func (c consortium) vault(t *testing.T, name string) string {
	t.Helper()
	for _, n := range c.ready.State.Nodes {
		if n.Name == name {
			return "http://" + hostPort(n.Ports.Vault)
		}
	}
	t.Fatalf("no node %s", name)
	return ""
}

// startConsortium initialises cfg's network with bin in a temporary
// directory, on free ports from portFrom (below the kernel's ephemeral
// range, each test its own), and runs it; the test has budget in all,
// and the network stops when the test ends.
func startConsortium(t *testing.T, bin string, cfg *Config, portFrom int, budget time.Duration) consortium {
	t.Helper()
	base, err := FreePortBase(portFrom, len(cfg.Validators))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	t.Cleanup(cancel)
	c := consortium{ctx: ctx, dir: t.TempDir()}
	opts := Options{Binary: bin, Dir: c.dir, Config: cfg, PortBase: base, Out: &testWriter{t: t}, StartTimeout: 60 * time.Second}
	if err := Init(ctx, opts); err != nil {
		t.Fatalf("Init: %v", err)
	}
	c.ready, c.run = startRun(ctx, t, opts)
	return c
}

// startRun runs the network in a goroutine and waits until it is ready. The
// network is stopped at the end of the test at the latest (before t's
// temporary directories are removed).
func startRun(ctx context.Context, t *testing.T, opts Options) (Ready, *runHandle) {
	t.Helper()
	runCtx, cancel := context.WithCancel(ctx)
	h := &runHandle{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(func() { _ = h.stop() })
	readyCh := make(chan Ready, 1)
	opts.OnReady = func(r Ready) { readyCh <- r }
	go func() { h.done <- Run(runCtx, opts) }()
	select {
	case r := <-readyCh:
		return r, h
	case err := <-h.done:
		h.done <- err
		t.Fatalf("Run returned before the network was ready: %v", err)
	case <-ctx.Done():
		t.Fatalf("timed out waiting for the network: %v", ctx.Err())
	}
	panic("unreachable")
}

func assertStopped(t *testing.T, r Ready) {
	t.Helper()
	for name, pid := range r.PIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("node %s (pid %d) still exists after Run returned (kill 0: %v)", name, pid, err)
		}
	}
	for _, n := range r.State.Nodes {
		if !portFree(n.Ports.RPC) || !portFree(n.Ports.P2P) {
			t.Errorf("ports of %s still in use after stop", n.Name)
		}
	}
}

// waitHeight waits until every node is at least at height h and returns the
// lowest height.
func waitHeight(ctx context.Context, t *testing.T, st *State, h int64) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		min := int64(-1)
		for _, n := range st.Nodes {
			got, err := nodeHeight(ctx, n, st.ChainID)
			if err != nil {
				got = 0
			}
			if min < 0 || got < min {
				min = got
			}
		}
		if min >= h {
			return min
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("nodes did not reach height %d", h)
	return 0
}

// balance returns addr's balance as "<amount><denom>" for the bond denom.
func balance(ctx context.Context, t *testing.T, bin string, st *State, addr string) string {
	t.Helper()
	stdout, stderr, err := binary{path: bin}.run(ctx, "", "query", "bank", "balance", addr, st.BondDenom,
		"--node", "tcp://"+hostPort(st.Nodes[1].Ports.RPC), "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Balance struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := findJSONObject(&res, stdout, stderr); err != nil {
		t.Fatalf("query bank balance: %s %s", stdout, stderr)
	}
	return res.Balance.Amount + res.Balance.Denom
}

// checkClientToml checks the client home's settings without relying on
// how medchaind reads them.
func checkClientToml(t *testing.T, dir, chainID string, base int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, clientDir, "config", "client.toml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseTOML(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"chain-id": chainID, "keyring-backend": "test", "node": fmt.Sprintf("tcp://127.0.0.1:%d", base+1)}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("client.toml %s = %v, want %v", k, doc[k], v)
		}
	}
	var st State
	raw, _ := os.ReadFile(filepath.Join(dir, stateFile))
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		cfg, err := os.ReadFile(filepath.Join(n.Home, "config", "config.toml"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := parseTOML(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := lookup(doc, "p2p", "allow_duplicate_ip"); v != true {
			t.Errorf("%s: allow_duplicate_ip = %v", n.Name, v)
		}
		if v, _ := lookup(doc, "p2p", "persistent_peers"); strings.Count(fmt.Sprint(v), "@127.0.0.1:") != len(st.Nodes)-1 {
			t.Errorf("%s: persistent_peers = %v", n.Name, v)
		}
		if !strings.Contains(string(cfg), "# The ID of the chain") && !strings.Contains(string(cfg), "#######") {
			t.Errorf("%s: config.toml lost its comments", n.Name)
		}
	}
}
