//go:build upgrade

package upgrade_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/medchain/medchain/app/upgrades"
)

// hospitals are the validators of config.yml, in its order, in every
// release so far: node i listens at portBase+10*i (+1 RPC, +5 vault).
var hospitals = []string{"st-mary", "charite", "karolinska", "mayo"}

// repoRoot is the top of the git checkout the test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("the upgrade test builds earlier releases from git history and needs a git checkout: %v", err)
	}
	return strings.TrimSpace(string(out))
}

var gitMu sync.Mutex

// checkout puts the release's tree in a temporary git worktree, removed
// when the test ends.
func checkout(t *testing.T, root string, r upgrades.Release) string {
	t.Helper()
	if err := exec.Command("git", "-C", root, "cat-file", "-e", r.Commit+"^{commit}").Run(); err != nil {
		t.Fatalf("release %s's commit %s is not in this clone's history (a shallow clone? run `git fetch --unshallow`): %v", r.Version, r.Commit, err)
	}
	src := filepath.Join(t.TempDir(), "src-"+r.Version)
	gitMu.Lock() // parallel subtests: one git worktree change at a time
	defer gitMu.Unlock()
	run(t, root, nil, "git", "worktree", "add", "--detach", src, r.Commit)
	t.Cleanup(func() {
		gitMu.Lock()
		defer gitMu.Unlock()
		_ = exec.Command("git", "-C", root, "worktree", "remove", "--force", src).Run()
		_ = exec.Command("git", "-C", root, "worktree", "prune").Run()
	})
	return src
}

// buildRelease builds the release's medchaind from its own tree, once:
// later runs reuse build/releases/VERSION/medchaind.
func buildRelease(t *testing.T, root, src string, r upgrades.Release) string {
	t.Helper()
	bin := filepath.Join(root, "build", "releases", r.Version, "medchaind")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	start := time.Now()
	ldflags := strings.Join([]string{
		"-X github.com/cosmos/cosmos-sdk/version.Name=medchain",
		"-X github.com/cosmos/cosmos-sdk/version.AppName=medchaind",
		"-X github.com/cosmos/cosmos-sdk/version.Version=" + r.Version,
		"-X github.com/cosmos/cosmos-sdk/version.Commit=" + r.Commit,
	}, " ")
	tmp := bin + ".tmp"
	run(t, src, nil, "go", "build", "-buildvcs=false", "-ldflags", ldflags, "-o", tmp, "./cmd/medchaind")
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s's medchaind in %s", r.Version, time.Since(start).Round(time.Second))
	return bin
}

// run runs a command in dir and fails the test, with its output, unless it
// succeeds; it returns stdout.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := tryRun(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

func tryRun(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w\n%s%s", err, tail(stdout.String(), 20), tail(stderr.String(), 40))
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// network is a four-hospital consortium that the release's own localnet
// tooling initialised, each node run by cosmovisor.
type network struct {
	t          *testing.T
	dir        string
	portBase   int
	cosmovisor string
	procs      map[string]*exec.Cmd
}

func (n *network) home(name string) string { return filepath.Join(n.dir, name) }

func (n *network) index(name string) int {
	for i, h := range hospitals {
		if h == name {
			return i
		}
	}
	n.t.Fatalf("no hospital %q", name)
	return 0
}

func (n *network) rpc(name string) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.portBase+10*n.index(name)+1)
}

func (n *network) vault(name string) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.portBase+10*n.index(name)+5)
}

// initNetwork initialises the consortium of the release's config.yml with
// the release's own localnet driver, with governance votes short enough
// for a test.
func initNetwork(t *testing.T, src, oldBin, dir string, portBase int) *network {
	t.Helper()
	cfgPath := filepath.Join(src, "config.yml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	short := strings.NewReplacer("voting_period: 30s", "voting_period: 40s",
		"expedited_voting_period: 15s", "expedited_voting_period: 20s").Replace(string(cfg))
	if !strings.Contains(short, "voting_period: 40s") {
		t.Fatalf("%s sets no 30 s voting period to shorten", cfgPath)
	}
	if err := os.WriteFile(cfgPath, []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, src, nil, "go", "run", "./scripts/localnet", "-config", "config.yml", "-dir", dir,
		"-bin", oldBin, "-init-only", "-port-base", strconv.Itoa(portBase))
	return &network{t: t, dir: dir, portBase: portBase, procs: map[string]*exec.Cmd{}}
}

// installCosmovisor lays out each node home as cosmovisor expects, as an
// operator would by hand: the running release under genesis/bin and the
// new one under upgrades/NAME/bin, before the plan's height.
func (n *network) installCosmovisor(cosmovisor, oldBin, newBin, upgradeName string) {
	n.t.Helper()
	n.cosmovisor = cosmovisor
	for _, h := range hospitals {
		cv := filepath.Join(n.home(h), "cosmovisor")
		copyFile(n.t, oldBin, filepath.Join(cv, "genesis", "bin", "medchaind"))
		copyFile(n.t, newBin, filepath.Join(cv, "upgrades", upgradeName, "bin", "medchaind"))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// start runs every node under cosmovisor and waits until all commit.
func (n *network) start() {
	n.t.Helper()
	logs := filepath.Join(n.dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		n.t.Fatal(err)
	}
	for _, h := range hospitals {
		f, err := os.OpenFile(filepath.Join(logs, h+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			n.t.Fatal(err)
		}
		cmd := exec.Command(n.cosmovisor, "run", "start", "--home", n.home(h), "--log_no_color")
		cmd.Env = append(os.Environ(),
			"DAEMON_NAME=medchaind",
			"DAEMON_HOME="+n.home(h),
			"DAEMON_ALLOW_DOWNLOAD_BINARIES=false",
			"DAEMON_RESTART_AFTER_UPGRADE=true",
			// The test's homes are thrown away; a real operator keeps the
			// backup cosmovisor makes of data/ before the upgrade.
			"UNSAFE_SKIP_BACKUP=true",
		)
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			n.t.Fatalf("starting %s: %v", h, err)
		}
		n.procs[h] = cmd
		go func() { _ = cmd.Wait(); f.Close() }()
	}
	n.t.Cleanup(n.stop)
	n.waitForHeight(2, 90*time.Second)
}

// stop ends every cosmovisor and the node it runs (its process group).
func (n *network) stop() {
	for _, cmd := range n.procs {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, cmd := range n.procs {
		for cmd.ProcessState == nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
}

// rpcGet decodes the result of a CometBFT RPC call on a node.
func (n *network) rpcGet(node, path string, out any) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(n.rpc(node) + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("%s%s answered %q: %w", n.rpc(node), path, body, err)
	}
	if len(envelope.Error) > 0 && string(envelope.Error) != "null" {
		return fmt.Errorf("%s%s: %s", n.rpc(node), path, envelope.Error)
	}
	return json.Unmarshal(envelope.Result, out)
}

func (n *network) height(node string) int64 {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := n.rpcGet(node, "/status", &st); err != nil {
		return 0
	}
	h, _ := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	return h
}

// waitForHeight waits until every node has committed height min.
func (n *network) waitForHeight(min int64, timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		lowest, at := int64(-1), ""
		for _, h := range hospitals {
			if got := n.height(h); lowest < 0 || got < lowest {
				lowest, at = got, h
			}
		}
		if lowest >= min {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s is at height %d, not %d, after %s; its log ends:\n%s", at, lowest, min, timeout, n.logTail(at, 30))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (n *network) logTail(node string, lines int) string {
	data, _ := os.ReadFile(filepath.Join(n.dir, "logs", node+".log"))
	return tail(string(data), lines)
}

// appHash is the app hash in the header of block h on node.
func (n *network) appHash(node string, h int64) string {
	n.t.Helper()
	var commit struct {
		SignedHeader struct {
			Header struct {
				AppHash string `json:"app_hash"`
			} `json:"header"`
		} `json:"signed_header"`
	}
	if err := n.rpcGet(node, fmt.Sprintf("/commit?height=%d", h), &commit); err != nil {
		n.t.Fatalf("reading block %d's header from %s: %v", h, node, err)
	}
	return commit.SignedHeader.Header.AppHash
}

// metric reads one unlabelled gauge from a vault's /metrics.
func (n *network) metric(node, name string) (float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(n.vault(node) + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("%s's vault exports no %s", node, name)
}

// setVaultHospital writes into a node's app.toml the [vault] keys that
// replication and custodian releases need from release v0.2.0 on (the
// hospital the vault acts for and its key in the node's keyring), unless
// the release's own tooling already set them. The running binary ignores
// keys it does not know.
func (n *network) setVaultHospital(node, address string) {
	n.t.Helper()
	path := filepath.Join(n.home(node), "config", "app.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	text := string(data)
	section := strings.Index(text, "\n[vault]\n")
	if section < 0 {
		n.t.Fatalf("%s has no [vault] section", path)
	}
	end := section + len("\n[vault]\n")
	next := strings.Index(text[end:], "\n[")
	body := text[end:]
	if next >= 0 {
		body = text[end : end+next]
	}
	set := func(key, value string) {
		line := fmt.Sprintf("%s = %q", key, value)
		switch {
		case strings.Contains("\n"+body, "\n"+key+` = ""`):
			body = strings.Replace("\n"+body, "\n"+key+` = ""`, "\n"+line, 1)[1:]
		case !strings.Contains("\n"+body, "\n"+key+" ="):
			body = line + "\n" + body
		}
	}
	set("hospital", address)
	set("hospital-key", node)
	if next >= 0 {
		text = text[:end] + body + text[end+next:]
	} else {
		text = text[:end] + body
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		n.t.Fatal(err)
	}
}
