package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/medchain/medchain/internal/localnet"
)

// localNode is the single-validator chain the benchmark starts.
type localNode struct {
	bin, home, dir string
	chainID        string
	rpc, grpc      string
	pprof, vault   string
	logPath        string
	cmd            *exec.Cmd
	exited         chan struct{}
}

func hostPort(p int) string { return fmt.Sprintf("127.0.0.1:%d", p) }

// newLocalNode initialises a chain in dir: a validator "val" that is an
// active hospital issuer (only hospitals validate), the bench accounts
// funded in genesis, zero minimum gas prices, loopback ports from base.
func newLocalNode(ctx context.Context, bin, dir string, base int, chainID, timeoutCommit string, accounts []*account, funds int64) (*localNode, error) {
	for p := base; p < base+8; p++ {
		l, err := net.Listen("tcp", hostPort(p))
		if err != nil {
			return nil, fmt.Errorf("port %d is taken (give another -port-base): %w", p, err)
		}
		l.Close()
	}
	n := &localNode{bin: bin, dir: dir, home: filepath.Join(dir, "node"), chainID: chainID,
		rpc: "tcp://" + hostPort(base+1), grpc: hostPort(base + 2), pprof: hostPort(base + 4), vault: hostPort(base + 5)}
	n.logPath = filepath.Join(dir, "node.log")
	if _, err := n.run(ctx, "init", "bench-node", "--chain-id", chainID, "--default-denom", "umed", "--home", n.home); err != nil {
		return nil, err
	}
	out, err := n.run(ctx, "keys", "add", "val", "--keyring-backend", "test", "--home", n.home, "--output", "json")
	if err != nil {
		return nil, err
	}
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(lastJSONLine(out)), &key); err != nil {
		return nil, fmt.Errorf("keys add printed %q: %w", out, err)
	}
	if _, err := n.run(ctx, "genesis", "add-genesis-account", "val", "1000000000000umed", "--keyring-backend", "test", "--home", n.home); err != nil {
		return nil, err
	}
	if err := n.editGenesis(func(appState map[string]any) {
		if recordsPerOwner > 0 {
			params := appState["records"].(map[string]any)["params"].(map[string]any)
			params["max_records_per_owner_per_block"] = recordsPerOwner
		}
		issuers := appState["issuers"].(map[string]any)
		list, _ := issuers["issuers"].([]any)
		issuers["issuers"] = append(list, map[string]any{
			"address": key.Address, "name": "Bench Hospital", "kind": "ISSUER_KIND_HOSPITAL", "status": "ISSUER_STATUS_ACTIVE",
			"added_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		})
		auth := appState["auth"].(map[string]any)
		accs, _ := auth["accounts"].([]any)
		bank := appState["bank"].(map[string]any)
		bals, _ := bank["balances"].([]any)
		amount := fmt.Sprint(funds)
		for _, a := range accounts {
			accs = append(accs, map[string]any{"@type": "/cosmos.auth.v1beta1.BaseAccount", "address": a.bech,
				"pub_key": nil, "account_number": "0", "sequence": "0"})
			bals = append(bals, map[string]any{"address": a.bech, "coins": []any{map[string]any{"denom": "umed", "amount": amount}}})
		}
		auth["accounts"], bank["balances"] = accs, bals
		// A genesis that states its supply must state the new total.
		if supply, _ := bank["supply"].([]any); len(supply) > 0 {
			for _, c := range supply {
				c := c.(map[string]any)
				if c["denom"] == "umed" {
					total, _ := new(big.Int).SetString(c["amount"].(string), 10)
					total.Add(total, new(big.Int).Mul(big.NewInt(funds), big.NewInt(int64(len(accounts)))))
					c["amount"] = total.String()
				}
			}
		}
	}); err != nil {
		return nil, err
	}
	if _, err := n.run(ctx, "genesis", "gentx", "val", "100000000umed", "--chain-id", chainID, "--keyring-backend", "test", "--home", n.home); err != nil {
		return nil, err
	}
	if _, err := n.run(ctx, "genesis", "collect-gentxs", "--home", n.home); err != nil {
		return nil, err
	}
	if err := editTOML(filepath.Join(n.home, "config", "config.toml"), append([]localnet.TOMLSet{
		{Path: []string{"proxy_app"}, Value: "tcp://" + hostPort(base+6)},
		{Path: []string{"rpc", "laddr"}, Value: n.rpc},
		{Path: []string{"rpc", "pprof_laddr"}, Value: n.pprof},
		{Path: []string{"p2p", "laddr"}, Value: "tcp://" + hostPort(base)},
		{Path: []string{"consensus", "timeout_commit"}, Value: timeoutCommit},
		{Path: []string{"instrumentation", "prometheus_listen_addr"}, Value: hostPort(base + 7)},
	}, configSets...)); err != nil {
		return nil, err
	}
	if err := editTOML(filepath.Join(n.home, "config", "app.toml"), append([]localnet.TOMLSet{
		{Path: []string{"minimum-gas-prices"}, Value: "0umed"},
		{Path: []string{"api", "enable"}, Value: false},
		{Path: []string{"api", "address"}, Value: "tcp://" + hostPort(base+3)},
		{Path: []string{"grpc", "address"}, Value: n.grpc},
		{Path: []string{"vault", "address"}, Value: n.vault},
	}, appSets...)); err != nil {
		return nil, err
	}
	return n, nil
}

func lastJSONLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "{") {
			return lines[i]
		}
	}
	return out
}

func editTOML(path string, sets []localnet.TOMLSet) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, _, err := localnet.EditTOML(data, sets)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o600)
}

func (n *localNode) run(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+n.dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("medchaind %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String(), nil
}

func (n *localNode) editGenesis(f func(appState map[string]any)) error {
	path := filepath.Join(n.home, "config", "genesis.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var g map[string]any
	if err := json.Unmarshal(data, &g); err != nil {
		return err
	}
	f(g["app_state"].(map[string]any))
	if data, err = json.Marshal(g); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// start launches `medchaind start` in its own process group and waits
// for its first block.
func (n *localNode) start(ctx context.Context) error {
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n.cmd = exec.Command(n.bin, "start", "--home", n.home, "--log_level", "warn")
	n.cmd.Env = append(append(os.Environ(), "HOME="+n.dir), nodeEnv...)
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	n.exited = make(chan struct{})
	go func() {
		_ = n.cmd.Wait()
		logFile.Close()
		close(n.exited)
	}()
	if err := waitForHeight(ctx, n.rpc, 2, 90*time.Second, n.exited); err != nil {
		return fmt.Errorf("%w (log: %s)", err, n.logPath)
	}
	return nil
}

// stop ends the node's whole process group: SIGTERM, then SIGKILL.
func (n *localNode) stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	pgid := n.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-n.exited
	}
	n.cmd = nil
}

// dirSize is the bytes of the files under path.
func dirSize(path string) int64 {
	var total int64
	_ = filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

func (n *localNode) appDBSize() int64 {
	return dirSize(filepath.Join(n.home, "data", "application.db"))
}

// Settings of the node under test, from -config, -app-config and
// -node-env (single mode): the levers docs/performance.md measures.
var (
	configSets, appSets []localnet.TOMLSet
	nodeEnv             []string
)

// parseSet reads "dotted.key=value": true, false and integers are typed,
// [a,b] is a list of strings, anything else a string.
func parseSet(s string) (localnet.TOMLSet, error) {
	key, val, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return localnet.TOMLSet{}, fmt.Errorf("%q: want key=value", s)
	}
	set := localnet.TOMLSet{Path: strings.Split(key, ".")}
	switch {
	case val == "true" || val == "false":
		set.Value = val == "true"
	case strings.HasPrefix(val, "[") && strings.HasSuffix(val, "]"):
		items := []any{}
		for _, it := range strings.Split(strings.Trim(val, "[]"), ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		set.Value = items
	default:
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			set.Value = n
		} else {
			set.Value = val
		}
	}
	return set, nil
}

// setsFlag is a repeatable -config/-app-config flag.
type setsFlag struct{ sets *[]localnet.TOMLSet }

func (f setsFlag) String() string { return "" }
func (f setsFlag) Set(s string) error {
	set, err := parseSet(s)
	if err == nil {
		*f.sets = append(*f.sets, set)
	}
	return err
}

// envFlag is the repeatable -node-env flag.
type envFlag struct{}

func (envFlag) String() string { return "" }
func (envFlag) Set(s string) error {
	if !strings.Contains(s, "=") {
		return fmt.Errorf("%q: want NAME=value", s)
	}
	nodeEnv = append(nodeEnv, s)
	return nil
}

// recordsPerOwner, when set (-records-per-owner), replaces the genesis
// param max_records_per_owner_per_block of a single-mode chain.
var recordsPerOwner int
