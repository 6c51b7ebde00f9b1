//go:build e2e

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
	"syscall"
	"testing"
	"time"
)

// binary returns the medchaind under test.
func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("MEDCHAIND_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "medchaind")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("medchaind binary not found at %s (run `make build` or set MEDCHAIND_BIN): %v", abs, err)
	}
	return abs
}

// result is what one medchaind invocation printed.
type result struct {
	stdout, stderr string
	err            error
}

func (r result) combined() string { return r.stdout + r.stderr }

// run executes medchaind with args, bounded in time.
func run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	return runWithEnv(t, bin, nil, args...)
}

// runWithEnv is run with extra environment variables (NAME=value).
func runWithEnv(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun is run that fails the test on a non-zero exit.
func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := run(t, bin, args...)
	if r.err != nil {
		t.Fatalf("medchaind %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// TestMain points HOME at a temporary directory for every medchaind the
// tests start, so that nothing reads or writes the real ~/.medchain.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "medchain-system-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is a single-validator chain in a temporary home.
type node struct {
	t       *testing.T
	bin     string
	home    string
	chainID string
	rpc     string
	p2p     string
	grpc    string
	vault   string // the URL of the vault medchaind start runs
	logPath string
	cmd     *exec.Cmd
	exited  chan error
}

const testChainID = "medchain-system-1"

// nodeOptions vary the genesis of a test chain.
type nodeOptions struct {
	// validatorIsNotAHospital leaves the validator out of the issuers
	// genesis, so its gentx must be refused.
	validatorIsNotAHospital bool
}

// newNode initialises a one-validator chain: a validator key "val" with a
// gentx, registered in genesis as an active hospital issuer (only hospitals
// may validate), and a funded account "alice". Governance is fast (a few
// seconds of voting) so that tests can pass proposals.
func newNode(t *testing.T) *node {
	t.Helper()
	return newNodeWith(t, nodeOptions{})
}

func newNodeWith(t *testing.T, opts nodeOptions) *node {
	t.Helper()
	n := &node{
		t:       t,
		bin:     binary(t),
		home:    filepath.Join(t.TempDir(), "node"),
		chainID: testChainID,
	}
	n.rpc = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	n.p2p = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	n.grpc = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	n.logPath = filepath.Join(n.home, "node.log")

	mustRun(t, n.bin, "init", "system-node", "--chain-id", n.chainID, "--default-denom", "umed", "--home", n.home)
	valAddr := n.addKey("val")
	n.addKey("alice")
	mustRun(t, n.bin, "genesis", "add-genesis-account", "val", "1000000000000umed", "--keyring-backend", "test", "--home", n.home)
	mustRun(t, n.bin, "genesis", "add-genesis-account", "alice", "5000000000umed", "--keyring-backend", "test", "--home", n.home)
	n.editGenesis(func(appState map[string]any) {
		gov := appState["gov"].(map[string]any)["params"].(map[string]any)
		gov["voting_period"] = "4s"
		gov["expedited_voting_period"] = "2s"
		gov["min_deposit"] = []any{map[string]any{"denom": "umed", "amount": "1000000"}}
		// A validator created by a test never runs a node; a long window
		// keeps slashing from jailing it for downtime during the test.
		appState["slashing"].(map[string]any)["params"].(map[string]any)["signed_blocks_window"] = "100000"
		if !opts.validatorIsNotAHospital {
			issuers := appState["issuers"].(map[string]any)
			issuers["issuers"] = append(asSlice(issuers["issuers"]), map[string]any{
				"address":    valAddr,
				"name":       "System Test Hospital",
				"kind":       "ISSUER_KIND_HOSPITAL",
				"status":     "ISSUER_STATUS_ACTIVE",
				"added_at":   "2026-01-01T00:00:00Z",
				"updated_at": "2026-01-01T00:00:00Z",
			})
		}
	})
	mustRun(t, n.bin, "genesis", "gentx", "val", "100000000umed", "--chain-id", n.chainID, "--keyring-backend", "test", "--home", n.home)
	mustRun(t, n.bin, "genesis", "collect-gentxs", "--home", n.home)
	mustRun(t, n.bin, "genesis", "validate", "--home", n.home)

	// Short blocks keep the test quick; pprof is switched off so that
	// parallel nodes do not fight over its default port.
	n.editConfig("config.toml", map[string]string{
		`timeout_commit = "5s"`:          `timeout_commit = "300ms"`,
		`pprof_laddr = "localhost:6060"`: `pprof_laddr = ""`,
	})
	// The vault medchaind start runs beside the node, on a port of its own.
	vaultAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	n.editConfig("app.toml", map[string]string{`address = "127.0.0.1:8095"`: `address = "` + vaultAddr + `"`})
	n.vault = "http://" + vaultAddr
	return n
}

// editGenesis lets f change the app_state of the node's genesis file.
func (n *node) editGenesis(f func(appState map[string]any)) {
	n.t.Helper()
	path := filepath.Join(n.home, "config", "genesis.json")
	data, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	var genesis map[string]any
	if err := json.Unmarshal(data, &genesis); err != nil {
		n.t.Fatal(err)
	}
	f(genesis["app_state"].(map[string]any))
	data, err = json.MarshalIndent(genesis, "", "  ")
	if err != nil {
		n.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		n.t.Fatal(err)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func (n *node) addKey(name string) string {
	out := mustRun(n.t, n.bin, "keys", "add", name, "--keyring-backend", "test", "--home", n.home, "--output", "json")
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		n.t.Fatalf("keys add %s -o json printed %q: %v", name, out, err)
	}
	return key.Address
}

func (n *node) address(name string) string {
	return strings.TrimSpace(mustRun(n.t, n.bin, "keys", "show", name, "-a", "--keyring-backend", "test", "--home", n.home))
}

func (n *node) editConfig(file string, replacements map[string]string) {
	path := filepath.Join(n.home, "config", file)
	data, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	text := string(data)
	for old, repl := range replacements {
		if !strings.Contains(text, old) {
			n.t.Fatalf("%s has no %q to replace", file, old)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		n.t.Fatal(err)
	}
}

// start launches `medchaind start` and waits until it commits a block.
func (n *node) start() {
	n.t.Helper()
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	n.cmd = exec.Command(n.bin, "start", "--home", n.home,
		"--rpc.laddr", n.rpc, "--p2p.laddr", n.p2p,
		"--grpc.address", n.grpc, "--api.enable=false")
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.exited = make(chan error, 1)
	go func() {
		n.exited <- n.cmd.Wait()
		logFile.Close()
	}()
	n.t.Cleanup(n.kill)
	n.waitForHeight(1, 60*time.Second)
}

// startExpectingFailure launches `medchaind start` and returns its log once
// it exits; it fails the test if the node commits a block instead.
func (n *node) startExpectingFailure() string {
	n.t.Helper()
	cmd := exec.Command(n.bin, "start", "--home", n.home,
		"--rpc.laddr", n.rpc, "--p2p.laddr", n.p2p,
		"--grpc.address", n.grpc, "--api.enable=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			n.t.Fatalf("medchaind start exited 0; output:\n%s", tail(out.String(), 30))
		}
		return out.String()
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		n.t.Fatalf("medchaind start kept running; output:\n%s", tail(out.String(), 30))
		return ""
	}
}

// stop sends SIGTERM, as an operator or systemd would, and waits for exit.
func (n *node) stop() {
	n.t.Helper()
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.t.Fatalf("medchaind did not exit within 30s of SIGTERM; log: %s", n.logPath)
	}
	n.cmd = nil
}

func (n *node) kill() {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
		<-n.exited
		n.cmd = nil
	}
}

// height returns the latest committed height, or -1 if the node does not answer.
func (n *node) height() int64 {
	r := run(n.t, n.bin, "status", "--node", n.rpc, "--output", "json")
	if r.err != nil {
		return -1
	}
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		return -1
	}
	h, err := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	if err != nil {
		return -1
	}
	return h
}

func (n *node) waitForHeight(min int64, timeout time.Duration) int64 {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-n.exited:
			log, _ := os.ReadFile(n.logPath)
			n.t.Fatalf("medchaind exited early (%v); log:\n%s", err, tail(string(log), 40))
		default:
		}
		if h := n.height(); h >= min {
			return h
		}
		time.Sleep(300 * time.Millisecond)
	}
	log, _ := os.ReadFile(n.logPath)
	n.t.Fatalf("no block %d within %s; log:\n%s", min, timeout, tail(string(log), 40))
	return 0
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
