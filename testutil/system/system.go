// Package system runs real medchaind nodes for system tests: Binary finds
// the binary under test (MEDCHAIND_BIN, else build/medchaind of this
// module, built if missing), NewNode initialises a one-validator chain in a temporary home on
// loopback ports (a validator "val" registered as an active hospital, a
// funded "alice", governance that passes in seconds), and a Node's methods
// start, stop and kill the process, edit its genesis and config, and use it
// through the same commands a person would type (Tx, Query, PassProposal).
// Every command is bounded in time, and every node is killed when its test
// ends.
//
// tests/system is built on it; any test of this module may import it.
package system

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the medchaind under test.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("MEDCHAIND_BIN")
	root := moduleRoot(t)
	if bin == "" {
		bin = filepath.Join(root, "build", "medchaind")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err == nil {
		return abs
	}
	if os.Getenv("MEDCHAIND_BIN") != "" {
		t.Fatalf("MEDCHAIND_BIN=%s does not exist", bin)
	}
	t.Logf("building %s (set MEDCHAIND_BIN to skip)", abs)
	cmd := exec.Command("go", "build", "-o", abs, "./cmd/medchaind")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return abs
}

// moduleRoot is the nearest directory above the working directory (a
// test's package directory) that holds go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory: set MEDCHAIND_BIN")
		}
		dir = parent
	}
}

// Result is what one medchaind invocation printed.
type Result struct {
	Stdout, Stderr string
	Err            error
}

func (r Result) Combined() string { return r.Stdout + r.Stderr }

// Run executes medchaind with args, bounded in time.
func Run(t testing.TB, bin string, args ...string) Result {
	t.Helper()
	return RunWithEnv(t, bin, nil, args...)
}

// RunWithEnv is Run with extra environment variables (NAME=value).
func RunWithEnv(t testing.TB, bin string, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// MustRun is Run that fails the test on a non-zero exit.
func MustRun(t testing.TB, bin string, args ...string) string {
	t.Helper()
	r := Run(t, bin, args...)
	if r.Err != nil {
		t.Fatalf("medchaind %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// FreePort asks the kernel for an unused loopback port.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Node is a single-validator chain in a temporary home.
type Node struct {
	T       testing.TB // the test the node belongs to
	Bin     string     // the medchaind binary
	Home    string     // --home
	ChainID string
	RPC     string // CometBFT RPC, tcp://127.0.0.1:PORT
	P2P     string
	GRPC    string
	Vault   string        // the URL of the vault medchaind start runs
	LogPath string        // the node's stdout and stderr
	Cmd     *exec.Cmd     // the running process, nil when stopped
	exited  chan struct{} // closed when the process has exited
	exitErr error         // what Wait returned, once exited is closed
}

const TestChainID = "medchain-system-1"

// NodeOptions vary the genesis of a test chain.
type NodeOptions struct {
	// ValidatorIsNotAHospital leaves the validator out of the issuers
	// genesis, so its gentx must be refused.
	ValidatorIsNotAHospital bool
}

// NewNode initialises a one-validator chain: a validator key "val" with a
// gentx, registered in genesis as an active hospital issuer (only hospitals
// may validate), and a funded account "alice". Governance is fast (a few
// seconds of voting) so that tests can pass proposals.
func NewNode(t testing.TB) *Node {
	t.Helper()
	return NewNodeWith(t, NodeOptions{})
}

func NewNodeWith(t testing.TB, opts NodeOptions) *Node {
	t.Helper()
	n := &Node{
		T:       t,
		Bin:     Binary(t),
		Home:    filepath.Join(t.TempDir(), "node"),
		ChainID: TestChainID,
	}
	n.RPC = fmt.Sprintf("tcp://127.0.0.1:%d", FreePort(t))
	n.P2P = fmt.Sprintf("tcp://127.0.0.1:%d", FreePort(t))
	n.GRPC = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	n.LogPath = filepath.Join(n.Home, "node.log")

	MustRun(t, n.Bin, "init", "system-node", "--chain-id", n.ChainID, "--default-denom", "umed", "--home", n.Home)
	valAddr := n.AddKey("val")
	n.AddKey("alice")
	MustRun(t, n.Bin, "genesis", "add-genesis-account", "val", "1000000000000umed", "--keyring-backend", "test", "--home", n.Home)
	MustRun(t, n.Bin, "genesis", "add-genesis-account", "alice", "5000000000umed", "--keyring-backend", "test", "--home", n.Home)
	n.EditGenesis(func(appState map[string]any) {
		gov := appState["gov"].(map[string]any)["params"].(map[string]any)
		// Long enough for the proposal's submission, the lookup of its id
		// and the vote, three CLI processes, on a loaded 2-core machine
		// running two system tests at once (4 s and then 10 s ran out:
		// "inactive proposal").
		gov["voting_period"] = "30s"
		gov["expedited_voting_period"] = "2s"
		gov["min_deposit"] = []any{map[string]any{"denom": "umed", "amount": "1000000"}}
		// A validator created by a test never runs a node; a long window
		// keeps slashing from jailing it for downtime during the test.
		appState["slashing"].(map[string]any)["params"].(map[string]any)["signed_blocks_window"] = "100000"
		if !opts.ValidatorIsNotAHospital {
			issuers := appState["issuers"].(map[string]any)
			issuers["issuers"] = append(AsSlice(issuers["issuers"]), map[string]any{
				"address":    valAddr,
				"name":       "System Test Hospital",
				"kind":       "ISSUER_KIND_HOSPITAL",
				"status":     "ISSUER_STATUS_ACTIVE",
				"added_at":   "2026-01-01T00:00:00Z",
				"updated_at": "2026-01-01T00:00:00Z",
			})
		}
	})
	MustRun(t, n.Bin, "genesis", "gentx", "val", "100000000umed", "--chain-id", n.ChainID, "--keyring-backend", "test", "--home", n.Home)
	MustRun(t, n.Bin, "genesis", "collect-gentxs", "--home", n.Home)
	MustRun(t, n.Bin, "genesis", "validate", "--home", n.Home)

	// Short blocks keep the test quick; pprof is switched off so that
	// parallel nodes do not fight over its default port.
	n.EditConfig("config.toml", map[string]string{
		`timeout_commit = "5s"`:          `timeout_commit = "300ms"`,
		`pprof_laddr = "localhost:6060"`: `pprof_laddr = ""`,
	})
	// The vault medchaind start runs beside the node, on a port of its own.
	vaultAddr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	app := map[string]string{`address = "127.0.0.1:8095"`: `address = "` + vaultAddr + `"`}
	if !opts.ValidatorIsNotAHospital {
		// The vault acts for the validator's hospital, whose key signs
		// the upload receipts records are registered with.
		app["\nhospital = \"\""] = "\nhospital = \"" + valAddr + "\""
		app["\nhospital-key = \"\""] = "\nhospital-key = \"val\""
		// The test's keys, the hospital's among them, are in the test
		// keyring (a hospital's own node keeps its key encrypted).
		app["\nkeyring-backend = \"file\""] = "\nkeyring-backend = \"test\""
	}
	n.EditConfig("app.toml", app)
	n.Vault = "http://" + vaultAddr
	return n
}

// EditGenesis lets f change the app_state of the node's genesis file.
func (n *Node) EditGenesis(f func(appState map[string]any)) {
	n.T.Helper()
	path := filepath.Join(n.Home, "config", "genesis.json")
	data, err := os.ReadFile(path)
	if err != nil {
		n.T.Fatal(err)
	}
	var genesis map[string]any
	if err := json.Unmarshal(data, &genesis); err != nil {
		n.T.Fatal(err)
	}
	f(genesis["app_state"].(map[string]any))
	data, err = json.MarshalIndent(genesis, "", "  ")
	if err != nil {
		n.T.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		n.T.Fatal(err)
	}
}

func AsSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func (n *Node) AddKey(name string) string {
	out := MustRun(n.T, n.Bin, "keys", "add", name, "--keyring-backend", "test", "--home", n.Home, "--output", "json")
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		n.T.Fatalf("keys add %s -o json printed %q: %v", name, out, err)
	}
	return key.Address
}

func (n *Node) Address(name string) string {
	return strings.TrimSpace(MustRun(n.T, n.Bin, "keys", "show", name, "-a", "--keyring-backend", "test", "--home", n.Home))
}

func (n *Node) EditConfig(file string, replacements map[string]string) {
	path := filepath.Join(n.Home, "config", file)
	data, err := os.ReadFile(path)
	if err != nil {
		n.T.Fatal(err)
	}
	text := string(data)
	for old, repl := range replacements {
		if !strings.Contains(text, old) {
			n.T.Fatalf("%s has no %q to replace", file, old)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		n.T.Fatal(err)
	}
}

// Start launches `medchaind start` and waits until it commits a block.
func (n *Node) Start() {
	n.T.Helper()
	logFile, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		n.T.Fatal(err)
	}
	n.Cmd = exec.Command(n.Bin, "start", "--home", n.Home,
		"--rpc.laddr", n.RPC, "--p2p.laddr", n.P2P,
		"--grpc.address", n.GRPC, "--api.enable=false")
	n.Cmd.Stdout, n.Cmd.Stderr = logFile, logFile
	if err := n.Cmd.Start(); err != nil {
		n.T.Fatal(err)
	}
	cmd, exited := n.Cmd, make(chan struct{})
	n.exited = exited
	go func() {
		n.exitErr = cmd.Wait()
		close(exited)
		logFile.Close()
	}()
	n.T.Cleanup(n.Kill)
	n.WaitForHeight(1, 60*time.Second)
}

// StartExpectingFailure launches `medchaind start` and returns its log once
// it exits; it fails the test if the node commits a block instead.
func (n *Node) StartExpectingFailure() string {
	n.T.Helper()
	cmd := exec.Command(n.Bin, "start", "--home", n.Home,
		"--rpc.laddr", n.RPC, "--p2p.laddr", n.P2P,
		"--grpc.address", n.GRPC, "--api.enable=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		n.T.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			n.T.Fatalf("medchaind start exited 0; output:\n%s", Tail(out.String(), 30))
		}
		return out.String()
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		n.T.Fatalf("medchaind start kept running; output:\n%s", Tail(out.String(), 30))
		return ""
	}
}

// Stop sends SIGTERM, as an operator or systemd would, and waits for exit.
func (n *Node) Stop() {
	n.T.Helper()
	if n.Cmd == nil {
		return
	}
	_ = n.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.T.Fatalf("medchaind did not exit within 30s of SIGTERM; log: %s", n.LogPath)
	}
	n.Cmd = nil
}

// Kill ends the process at once (SIGKILL) and waits for it; Start
// registers it as the test's cleanup, so no node outlives its test.
func (n *Node) Kill() {
	if n.Cmd != nil && n.Cmd.Process != nil {
		_ = n.Cmd.Process.Kill()
		<-n.exited
		n.Cmd = nil
	}
}

// Height returns the latest committed height, or -1 if the node does not answer.
func (n *Node) Height() int64 {
	r := Run(n.T, n.Bin, "status", "--node", n.RPC, "--output", "json")
	if r.Err != nil {
		return -1
	}
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		return -1
	}
	h, err := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	if err != nil {
		return -1
	}
	return h
}

func (n *Node) WaitForHeight(min int64, timeout time.Duration) int64 {
	n.T.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			err := n.exitErr
			log, _ := os.ReadFile(n.LogPath)
			n.T.Fatalf("medchaind exited early (%v); log:\n%s", err, Tail(string(log), 40))
		default:
		}
		if h := n.Height(); h >= min {
			return h
		}
		time.Sleep(300 * time.Millisecond)
	}
	log, _ := os.ReadFile(n.LogPath)
	n.T.Fatalf("no block %d within %s; log:\n%s", min, timeout, Tail(string(log), 40))
	return 0
}

func Tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// TxResult is the outcome of a transaction: rejected at CheckTx or executed
// in a block.
type TxResult struct {
	Code   int
	RawLog string
	Height int64
}

// Tx signs and broadcasts `medchaind tx ARGS` from the key `from` and waits
// for the block that executes it. Gas is fixed rather than simulated so that
// a message the chain refuses is refused by the block's execution itself,
// not merely by the client's simulation.
func (n *Node) Tx(from string, args ...string) TxResult {
	n.T.Helper()
	full := append(args, "--from", from, "--chain-id", n.ChainID, "--node", n.RPC, "--home", n.Home,
		"--keyring-backend", "test", "--gas", "600000", "--yes", "--output", "json")
	r := Run(n.T, n.Bin, append([]string{"tx"}, full...)...)
	if r.Err != nil {
		// Signing failed before anything reached the chain.
		return TxResult{Code: -1, RawLog: r.Combined()}
	}
	var broadcast struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &broadcast); err != nil {
		n.T.Fatalf("tx %s -o json printed %q: %v", strings.Join(args, " "), r.Stdout, err)
	}
	if broadcast.Code != 0 {
		return TxResult{Code: broadcast.Code, RawLog: broadcast.RawLog}
	}
	code, log, height := n.WaitForTxResult(broadcast.TxHash)
	return TxResult{Code: code, RawLog: log, Height: height}
}

// BroadcastTogether signs and sends several `medchaind tx` commands at
// once, each given as {from, args...}, and returns their hashes as soon as
// the node has accepted them into the mempool, without waiting for a
// block: so that they usually land in the same block.
func (n *Node) BroadcastTogether(txs ...[]string) []string {
	n.T.Helper()
	results := make([]Result, len(txs))
	var wg sync.WaitGroup
	for i, spec := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			full := append(append([]string{"tx"}, spec[1:]...), "--from", spec[0], "--chain-id", n.ChainID, "--node", n.RPC,
				"--home", n.Home, "--keyring-backend", "test", "--gas", "600000", "--yes", "--output", "json")
			results[i] = Run(n.T, n.Bin, full...)
		}()
	}
	wg.Wait()
	hashes := make([]string, len(txs))
	for i, r := range results {
		var res struct {
			Code   int    `json:"code"`
			TxHash string `json:"txhash"`
			RawLog string `json:"raw_log"`
		}
		if r.Err != nil || json.Unmarshal([]byte(r.Stdout), &res) != nil || res.Code != 0 {
			n.T.Fatalf("tx %s: %v code %d: %s %s", strings.Join(txs[i], " "), r.Err, res.Code, res.RawLog, r.Combined())
		}
		hashes[i] = res.TxHash
	}
	return hashes
}

// MustTx is Tx that fails the test unless the transaction succeeds.
func (n *Node) MustTx(from string, args ...string) TxResult {
	n.T.Helper()
	res := n.Tx(from, args...)
	if res.Code != 0 {
		n.T.Fatalf("tx %s --from %s failed: code %d: %s", strings.Join(args, " "), from, res.Code, res.RawLog)
	}
	return res
}

func (n *Node) WaitForTxResult(hash string) (code int, rawLog string, height int64) {
	n.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		found, code, log, h, err := CommittedTx(context.Background(), n.RPC, hash)
		if err == nil && found {
			return code, log, h
		}
		time.Sleep(200 * time.Millisecond)
	}
	n.T.Fatalf("transaction %s was not included within 30s", hash)
	return 0, "", 0
}

// Query runs `medchaind query ARGS -o json` and decodes the answer into out.
func (n *Node) Query(out any, args ...string) {
	n.T.Helper()
	stdout := MustRun(n.T, n.Bin, append(append([]string{"query"}, args...), "--node", n.RPC, "--output", "json")...)
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		n.T.Fatalf("query %s -o json printed %q: %v", strings.Join(args, " "), stdout, err)
	}
}

// PassProposal submits a governance proposal with `medchaind tx
// SUBMIT-ARGS` (a command that builds a proposal, such as `issuers
// register-issuer ...`), votes yes with the only validator and waits until
// the proposal has passed and so executed.
func (n *Node) PassProposal(title string, submitArgs ...string) {
	n.T.Helper()
	n.MustTx("val", append(submitArgs, "--title", title, "--summary", title, "--deposit", "1000000umed")...)

	var proposals struct {
		Proposals []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"proposals"`
	}
	n.Query(&proposals, "gov", "proposals")
	id := ""
	for _, p := range proposals.Proposals {
		if p.Title == title {
			id = p.ID
		}
	}
	if id == "" {
		n.T.Fatalf("proposal %q not found after submission", title)
	}
	n.MustTx("val", "gov", "vote", id, "yes")

	deadline := time.Now().Add(2 * time.Minute) // the voting period (30 s) and a loaded machine
	for time.Now().Before(deadline) {
		var resp struct {
			Proposal struct {
				Status       string `json:"status"`
				FailedReason string `json:"failed_reason"`
			} `json:"proposal"`
		}
		n.Query(&resp, "gov", "proposal", id)
		switch resp.Proposal.Status {
		case "PROPOSAL_STATUS_PASSED":
			return
		case "PROPOSAL_STATUS_REJECTED", "PROPOSAL_STATUS_FAILED":
			n.T.Fatalf("proposal %s %q ended %s: %s", id, title, resp.Proposal.Status, resp.Proposal.FailedReason)
		}
		time.Sleep(500 * time.Millisecond)
	}
	n.T.Fatalf("proposal %s %q did not pass within 2 minutes", id, title)
}

// Fund sends coins from alice so that a new key has an account on chain.
func (n *Node) Fund(addr string) {
	n.T.Helper()
	n.MustTx("alice", "bank", "send", "alice", addr, "10000000umed")
}
