package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Ready is what Run knows once the network is up; see Options.OnReady.
type Ready struct {
	State *State
	// Height is the height at which the nodes' app hashes were compared.
	Height int64
	// AppHash is the (common) app hash in the header at Height.
	AppHash string
	// StartHeight is the lowest height the nodes reported when their RPC
	// came up: 0 for a new chain, the last committed height on a resume.
	StartHeight int64
	// PIDs maps node names to their medchaind process ids.
	PIDs map[string]int
	// Addresses maps account names to addresses (from the client keyring).
	Addresses map[string]string
}

type child struct {
	node Node
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Run starts every node of the network in opts.Dir, waits until all of
// them commit blocks and agree on the app hash, prints a summary, and then
// keeps the network running until ctx is cancelled or the process receives
// SIGINT or SIGTERM; it then stops the nodes (SIGTERM, then SIGKILL after
// opts.StopTimeout) and returns nil. If a node fails (a non-zero exit), Run
// stops the others and returns an error naming the node and its log file;
// a node stopped cleanly from outside (SIGTERM to its process) is reported
// and the others keep running, so that an operator can take one hospital
// down and start it again by hand.
func Run(ctx context.Context, opts Options) error {
	bin, err := newBinary(opts.Binary)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return err
	}
	st, err := ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no initialised network in %s: run Init first", opts.Dir)
	}
	if err != nil {
		return err
	}
	startTimeout, stopTimeout := opts.StartTimeout, opts.StopTimeout
	if startTimeout <= 0 {
		startTimeout = 60 * time.Second
	}
	if stopTimeout <= 0 {
		stopTimeout = 20 * time.Second
	}

	// Refuse to start on busy ports: the usual cause is a localnet that is
	// still running, and CometBFT's own message is buried in a log file.
	var busy []string
	for _, n := range st.Nodes {
		for _, p := range []struct {
			what string
			port int
		}{{"p2p", n.Ports.P2P}, {"rpc", n.Ports.RPC}, {"grpc", n.Ports.GRPC}, {"api", n.Ports.API}} {
			if !portFree(p.port) {
				busy = append(busy, fmt.Sprintf("%d (%s %s)", p.port, n.Name, p.what))
			}
		}
	}
	if len(busy) > 0 {
		return fmt.Errorf("ports already in use on 127.0.0.1: %s; is another localnet (or medchaind) running?", strings.Join(busy, ", "))
	}

	if err := os.MkdirAll(filepath.Join(dir, logsDir), 0o755); err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	exits := make(chan *child, len(st.Nodes))
	var children []*child
	stop := func() error { return stopChildren(children, stopTimeout, opts.out()) }
	for _, n := range st.Nodes {
		c, err := startChild(bin, opts.Cosmovisor, n, n.LogFile(dir), exits)
		if err != nil {
			_ = stop()
			return err
		}
		children = append(children, c)
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(mustWd(), p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
	opts.logf("Started %d nodes of %s; logs in %s", len(children), st.ChainID, rel(filepath.Join(dir, logsDir)))

	// Wait for blocks.
	waitCtx, cancelWait := context.WithTimeout(ctx, startTimeout)
	seen, first := map[string]int64{}, map[string]int64{}
	height, err := waitForBlocks(waitCtx, st, exits, sigs, seen, first)
	cancelWait()
	if err != nil {
		_ = stop()
		if ctx.Err() != nil || errors.Is(err, errInterrupted) {
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("the network did not produce blocks within %s: %s", startTimeout, laggards(st, seen, children, rel))
		}
		return err
	}
	appHash, err := compareAppHashes(ctx, st, height)
	if err != nil {
		_ = stop()
		return err
	}

	resumed := int64(-1)
	for _, h := range first {
		if resumed < 0 || h < resumed {
			resumed = h
		}
	}
	addrs, clientConfigRead := keyringAddresses(ctx, bin, st)
	printSummary(opts.out(), summary{opts: opts, st: st, height: height, resumedAt: resumed, appHash: appHash,
		addrs: addrs, clientConfigRead: clientConfigRead, rel: rel})
	if opts.OnReady != nil {
		pids := map[string]int{}
		for _, c := range children {
			pids[c.node.Name] = c.cmd.Process.Pid
		}
		opts.OnReady(Ready{State: st, Height: height, AppHash: appHash, StartHeight: max(resumed, 0), PIDs: pids, Addresses: addrs})
	}

	running := len(children)
	for {
		select {
		case <-ctx.Done():
			opts.logf("Stopping the network...")
			return stop()
		case s := <-sigs:
			opts.logf("Received %v; stopping the network...", s)
			return stop()
		case c := <-exits:
			if c.err != nil {
				_ = stop()
				return childDied(c, rel)
			}
			// Stopped cleanly by someone (kill -TERM PID): an operator
			// taking one hospital down. The others keep the chain going.
			running--
			opts.logf("Node %s was stopped (exit 0); the other %d keep running. Start it again with:\n  %s start --home %s >> %s 2>&1 &",
				c.node.Name, running, rel(bin.path), rel(c.node.Home), rel(c.log))
			if running == 0 {
				opts.logf("Every node was stopped.")
				return nil
			}
		}
	}
}

var errInterrupted = errors.New("interrupted")

func mustWd() string {
	wd, _ := os.Getwd()
	return wd
}

func startChild(bin binary, cosmovisor string, n Node, logPath string, exits chan<- *child) (*child, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin.path, "start", "--home", n.Home, "--log_no_color")
	if cosmovisor != "" {
		if err := prepareCosmovisor(bin, n.Home); err != nil {
			f.Close()
			return nil, fmt.Errorf("preparing %s for cosmovisor: %w", n.Name, err)
		}
		cmd = exec.Command(cosmovisor, "run", "start", "--home", n.Home, "--log_no_color")
		cmd.Env = append(os.Environ(), cosmovisorEnv(n.Home)...)
	}
	fmt.Fprintf(f, "\n===== %s: %s =====\n", time.Now().Format(time.RFC3339), strings.Join(cmd.Args, " "))
	cmd.Stdout, cmd.Stderr = f, f
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", n.Name, err)
	}
	c := &child{node: n, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		f.Close()
		close(c.done)
		exits <- c
	}()
	return c, nil
}

func childDied(c *child, rel func(string) string) error {
	status := "exited"
	if c.err != nil {
		status = c.err.Error()
	}
	msg := fmt.Sprintf("node %s stopped unexpectedly (%s); see %s", c.node.Name, status, rel(c.log))
	if t := tailFile(c.log, 15); t != "" {
		msg += "\nlast lines of the log:\n" + indent(t)
	}
	return errors.New(msg)
}

// stopChildren sends SIGTERM to every running node, waits up to timeout for
// all of them, then kills the rest.
func stopChildren(children []*child, timeout time.Duration, w io.Writer) error {
	for _, c := range children {
		if !c.exited() {
			_ = terminate(c.cmd.Process)
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var killed []string
	for _, c := range children {
		select {
		case <-c.done:
		case <-deadline.C:
			// Time is up: kill everything still running.
			for _, k := range children {
				if !k.exited() {
					_ = k.cmd.Process.Kill()
					killed = append(killed, k.node.Name)
				}
			}
			for _, k := range children {
				<-k.done
			}
		}
	}
	if len(killed) > 0 {
		return fmt.Errorf("nodes %s did not stop within %s of SIGTERM and were killed", strings.Join(killed, ", "), timeout)
	}
	for _, c := range children {
		if c.err != nil {
			fmt.Fprintf(w, "Note: %s exited with %v; see %s\n", c.node.Name, c.err, c.log)
		}
	}
	fmt.Fprintf(w, "All %d nodes stopped.\n", len(children))
	return nil
}

// ---------------------------------------------------------------------------
// CometBFT RPC

var httpClient = &http.Client{Timeout: 3 * time.Second}

func rpcGet(ctx context.Context, url string, result any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&env); err != nil {
		return fmt.Errorf("%s: %s: %w", url, resp.Status, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %s %s", url, env.Error.Message, env.Error.Data)
	}
	return json.Unmarshal(env.Result, result)
}

type status struct {
	NodeInfo struct {
		Network string `json:"network"`
	} `json:"node_info"`
	SyncInfo struct {
		LatestBlockHeight string `json:"latest_block_height"`
		LatestAppHash     string `json:"latest_app_hash"`
	} `json:"sync_info"`
}

func nodeHeight(ctx context.Context, n Node, chainID string) (int64, error) {
	var s status
	if err := rpcGet(ctx, n.RPC()+"/status", &s); err != nil {
		return 0, err
	}
	if s.NodeInfo.Network != chainID {
		return 0, fmt.Errorf("%s answers for chain %q, not %q", n.RPC(), s.NodeInfo.Network, chainID)
	}
	return strconv.ParseInt(s.SyncInfo.LatestBlockHeight, 10, 64)
}

// waitForBlocks polls every node's /status until each has committed a block
// after it came up (and the chain is at least at height 2, so that the app
// hash compared next reflects an executed block). It returns the lowest
// height of all nodes; latest and first receive each node's latest and
// first-seen heights.
func waitForBlocks(ctx context.Context, st *State, exits <-chan *child, sigs <-chan os.Signal, latest, first map[string]int64) (int64, error) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-sigs:
			return 0, errInterrupted
		case c := <-exits:
			return 0, childDied(c, func(s string) string { return s })
		case <-tick.C:
		}
		ready := 0
		for _, n := range st.Nodes {
			h, err := nodeHeight(ctx, n, st.ChainID)
			if err != nil {
				if strings.Contains(err.Error(), "answers for chain") {
					return 0, err
				}
				continue
			}
			if _, ok := first[n.Name]; !ok {
				first[n.Name] = h
			}
			latest[n.Name] = h
			if h >= 2 && h > first[n.Name] {
				ready++
			}
		}
		if ready == len(st.Nodes) {
			min := int64(-1)
			for _, h := range latest {
				if min < 0 || h < min {
					min = h
				}
			}
			return min, nil
		}
	}
}

// laggards describes how far each node got, for a start-up timeout.
func laggards(st *State, seen map[string]int64, children []*child, rel func(string) string) string {
	var parts []string
	for i, n := range st.Nodes {
		h, ok := seen[n.Name]
		state := "RPC not answering"
		if ok {
			state = fmt.Sprintf("at height %d", h)
		}
		log := n.Name + ".log"
		if i < len(children) {
			log = rel(children[i].log)
		}
		parts = append(parts, fmt.Sprintf("%s %s (log %s)", n.Name, state, log))
	}
	return strings.Join(parts, "; ")
}

type commit struct {
	SignedHeader struct {
		Header struct {
			Height  string `json:"height"`
			AppHash string `json:"app_hash"`
		} `json:"header"`
		Commit struct {
			BlockID struct {
				Hash string `json:"hash"`
			} `json:"block_id"`
		} `json:"commit"`
	} `json:"signed_header"`
}

// compareAppHashes checks that every node has the same block and app hash at
// height h, and returns the app hash.
func compareAppHashes(ctx context.Context, st *State, h int64) (string, error) {
	type seen struct{ app, block string }
	got := map[string]seen{}
	for _, n := range st.Nodes {
		var c commit
		if err := rpcGet(ctx, fmt.Sprintf("%s/commit?height=%d", n.RPC(), h), &c); err != nil {
			return "", fmt.Errorf("reading block %d from %s: %w", h, n.Name, err)
		}
		got[n.Name] = seen{c.SignedHeader.Header.AppHash, c.SignedHeader.Commit.BlockID.Hash}
	}
	ref := got[st.Nodes[0].Name]
	for _, n := range st.Nodes[1:] {
		if got[n.Name] != ref {
			var lines []string
			for _, m := range st.Nodes {
				lines = append(lines, fmt.Sprintf("%s: app hash %s, block %s", m.Name, got[m.Name].app, got[m.Name].block))
			}
			return "", fmt.Errorf("nodes disagree at height %d:\n%s", h, indent(strings.Join(lines, "\n")))
		}
	}
	return ref.app, nil
}

// ---------------------------------------------------------------------------
// Summary

// keyringAddresses lists the client keyring (medchaind keys list), falling
// back to the addresses recorded at init. It first lists without
// --keyring-backend: if that finds the keys, the binary honours the client
// home's client.toml and the short form of the sample command works.
func keyringAddresses(ctx context.Context, bin binary, st *State) (map[string]string, bool) {
	addrs := map[string]string{}
	for _, a := range st.Accounts {
		addrs[a.Name] = a.Address
	}
	list := func(extra ...string) map[string]string {
		args := append([]string{"keys", "list", "--home", st.ClientHome, "--output", "json"}, extra...)
		stdout, stderr, err := bin.run(ctx, "", args...)
		if err != nil {
			return nil
		}
		var keys []struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		}
		for _, out := range [][]byte{stdout, stderr} {
			if json.Unmarshal(out, &keys) == nil && len(keys) > 0 {
				break
			}
		}
		found := map[string]string{}
		for _, k := range keys {
			found[k.Name] = k.Address
		}
		return found
	}
	clientConfigRead := true
	found := list()
	if len(found) == 0 {
		clientConfigRead = false
		found = list("--keyring-backend", clientBackend)
	}
	for name, a := range found {
		addrs[name] = a
	}
	return addrs, clientConfigRead
}

type summary struct {
	opts             Options
	st               *State
	height           int64
	resumedAt        int64
	appHash          string
	addrs            map[string]string
	clientConfigRead bool
	rel              func(string) string
}

func printSummary(w io.Writer, s summary) {
	st, addrs := s.st, s.addrs
	how := "started"
	if s.resumedAt > 0 {
		how = fmt.Sprintf("resumed from height %d", s.resumedAt)
	}
	fmt.Fprintf(w, "\nmedchain localnet is up (%s): chain %s, %d validators, height %d, app hash %s (same on every node)\n\n",
		how, st.ChainID, len(st.Nodes), s.height, s.appHash)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tRPC\tgRPC\tREST\tVAULT\tP2P")
	for _, n := range st.Nodes {
		fmt.Fprintf(tw, "%s\thttp://%s\t%s\thttp://%s\thttp://%s\t%s@%s\n", n.Name, hostPort(n.Ports.RPC), hostPort(n.Ports.GRPC),
			hostPort(n.Ports.API), hostPort(n.Ports.Vault), n.NodeID, hostPort(n.Ports.P2P))
	}
	tw.Flush()
	fmt.Fprintln(w)

	validators := map[string]bool{}
	for _, n := range st.Nodes {
		validators[n.Name] = true
	}
	fmt.Fprintln(tw, "ACCOUNT\tADDRESS")
	for _, a := range st.Accounts {
		if validators[a.Name] {
			if v, err := ValoperAddress(addrs[a.Name]); err == nil {
				fmt.Fprintf(tw, "%s\t%s\tvalidator %s\n", a.Name, orDash(addrs[a.Name]), v)
				continue
			}
		}
		fmt.Fprintf(tw, "%s\t%s\n", a.Name, orDash(addrs[a.Name]))
	}
	tw.Flush()

	bin := s.opts.Binary
	client := s.rel(st.ClientHome)
	flags := "--home " + client
	qflags := flags
	if !s.clientConfigRead {
		// This medchaind does not read client.toml from --home: spell it out.
		node := " --node tcp://" + hostPort(st.Nodes[0].Ports.RPC)
		flags += " --keyring-backend test --chain-id " + st.ChainID + node
		qflags += node
	}
	feeNote := fmt.Sprintf("no fees needed: minimum-gas-prices is 0%s", st.BondDenom)
	if fees := sampleFees(filepath.Join(st.Nodes[0].Home, "config", "app.toml")); fees != "" {
		flags += " --fees " + fees
		feeNote = "fees cover the default 200000 gas at the nodes' minimum-gas-prices"
	}
	from, to := pickTransfer(st, validators)
	fmt.Fprintf(w, "\nThe client home %s holds every account's key in an unencrypted test keyring, a development convenience; its client.toml points at %s.\n", client, st.Nodes[0].Name)
	fmt.Fprintf(w, "Each node's own key (its hospital's organisation key, which signs the vault's replica tickets and emergency releases) is in the node's encrypted file keyring, as on a hospital's server: passphrase in %s (mode 0600).\n",
		s.rel(filepath.Join(filepath.Dir(st.ClientHome), "<node>", nodePassphraseFile)))
	if from != "" && to != "" {
		fmt.Fprintf(w, "Send a first transaction (%s):\n  %s tx bank send %s %s 1000%s %s --yes\n  %s query bank balances %s %s\n",
			feeNote, bin, from, orDash(addrs[to]), st.BondDenom, flags, bin, orDash(addrs[to]), qflags)
	}
	fmt.Fprintf(w, "\nEncrypted records: export MEDCHAIN_VAULT=http://%s (%s's vault), then see the README or run make demo-records.\n",
		hostPort(st.Nodes[0].Ports.Vault), st.Nodes[0].Name)
	fmt.Fprintf(w, "\nWeb portal: http://%s/portal/ (every hospital's vault serves it, e.g. http://%s/portal/ for %s).\n"+
		"Sign in with an account's mnemonic from %s (alice: a patient; dr-grey: a doctor); it stays in the page.\n",
		hostPort(st.Nodes[0].Ports.Vault), hostPort(st.Nodes[len(st.Nodes)-1].Ports.Vault), st.Nodes[len(st.Nodes)-1].Name, "config.yml")
	fmt.Fprintf(w, "\nLogs: %s/<node>.log. Ctrl-C stops the network; running again resumes it.\n", s.rel(filepath.Join(filepath.Dir(st.ClientHome), logsDir)))
}

var reDecCoinPrice = regexp.MustCompile(`^([0-9]*\.?[0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$`)

// sampleFees returns the --fees value that pays for the default 200000 gas
// at the minimum-gas-prices of an app.toml, or "" when no fee is needed.
func sampleFees(appToml string) string {
	data, err := os.ReadFile(appToml)
	if err != nil {
		return ""
	}
	doc, err := parseTOML(data)
	if err != nil {
		return ""
	}
	prices, _ := doc["minimum-gas-prices"].(string)
	var fees []string
	for _, p := range strings.Split(prices, ",") {
		m := reDecCoinPrice.FindStringSubmatch(strings.TrimSpace(p))
		if m == nil {
			continue
		}
		price, ok := new(big.Rat).SetString(m[1])
		if !ok || price.Sign() == 0 {
			continue
		}
		total := new(big.Rat).Mul(price, big.NewRat(200000, 1))
		q, r := new(big.Int).QuoRem(total.Num(), total.Denom(), new(big.Int))
		if r.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
		fees = append(fees, q.String()+m[2])
	}
	if len(fees) > 1 {
		fees = fees[:1] // one denom suffices: the SDK accepts any listed denom
	}
	return strings.Join(fees, ",")
}

// pickTransfer chooses a sender and recipient for the sample command,
// preferring accounts that are not validators.
func pickTransfer(st *State, validators map[string]bool) (string, string) {
	var plain []string
	for _, a := range st.Accounts {
		if !validators[a.Name] && a.Key {
			plain = append(plain, a.Name)
		}
	}
	for _, a := range st.Accounts {
		if validators[a.Name] {
			plain = append(plain, a.Name)
		}
	}
	if len(plain) < 2 {
		return "", ""
	}
	return plain[0], plain[1]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
