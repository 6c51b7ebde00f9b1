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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// JoinOptions configure Join.
type JoinOptions struct {
	// Binary is the medchaind executable.
	Binary string
	// Dir is the directory of a running network that Init created.
	Dir string
	// Name is the new hospital: its key (in its node's keyring and the
	// client home's), its node's moniker and directory under Dir.
	Name string
	// DisplayName is the hospital's name in x/issuers (default Name).
	DisplayName string
	// Cosmovisor, if set, runs the new node under cosmovisor, like the
	// others of a network run with Options.Cosmovisor.
	Cosmovisor string
	// Funder is the key in the client home that funds the hospital's
	// account and proposes its admission (default: the first node's).
	Funder string
	// Bond is the new validator's self-delegation in the bond denom
	// (default 100000000, what config.yml's hospitals bond).
	Bond int64
	// Replay makes the node replay every block from genesis instead of
	// restoring a state sync snapshot (to compare the two).
	Replay bool
	// App and Config override keys of the new node's app.toml and
	// config.toml, as validators[].app and .config do in config.yml.
	App, Config map[string]any
	// CatchUpTimeout bounds the wait for the node to catch up (default 10
	// minutes); VaultTimeout the wait for its vault to hold every replica
	// placed on it (default 3 minutes; negative: do not wait).
	CatchUpTimeout, VaultTimeout time.Duration
	// Out receives progress; nil means os.Stdout.
	Out io.Writer
}

// Phase is one timed step of a join.
type Phase struct {
	Name   string
	Took   time.Duration
	Detail string
}

// Joined is a hospital that Join admitted and whose node runs.
type Joined struct {
	Node    Node
	Address string // the hospital's account address
	// ConsAddress is the validator's consensus address (hex, as CometBFT's
	// /validators lists it).
	ConsAddress string
	PID         int
	// SnapshotHeight is the height the node restored by state sync (0 with
	// Replay), EarliestHeight the first block its store holds.
	SnapshotHeight, EarliestHeight int64
	Phases                         []Phase
	// Validating is how long it took from the node's start until it was
	// in the validator set and signing; Total from the start of Join.
	Validating, Total time.Duration

	child *child
}

// Done is closed when the node's process exits.
func (j *Joined) Done() <-chan struct{} { return j.child.done }

// Stop stops the node (SIGTERM, then SIGKILL after timeout) and waits.
func (j *Joined) Stop(timeout time.Duration) error {
	if j == nil || j.child == nil {
		return nil
	}
	return stopChildren([]*child{j.child}, timeout, io.Discard)
}

// defaultJoinBond is what each hospital of config.yml bonds.
const defaultJoinBond = 100_000_000

// Join admits a new hospital to the running network in opts.Dir and makes
// it a validator, with the steps a real hospital and consortium take: a
// key, funds, a governance proposal that admits it as an ACTIVE HOSPITAL
// issuer (every validator of the network votes yes), a node home with the
// network's genesis and peers that state-syncs from two nodes' snapshots
// (trusting a block header two nodes agree on), its vault URL and
// encryption key on chain, and create-validator. It then waits until the
// hospital's vault holds every payload placed on it. The node keeps
// running: stop it with Joined.Stop. Join records the node in the
// network's state, so the next Run starts it with the others.
//
// A join that failed part way can be run again with the same name: every
// step that is already done on chain or on disk is skipped.
func Join(ctx context.Context, opts JoinOptions) (*Joined, error) {
	begin := time.Now()
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	logf := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	bin, err := newBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	st, err := ReadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no localnet in %s: start one with `make localnet` first", opts.Dir)
	}
	if err != nil {
		return nil, err
	}
	name := opts.Name
	switch {
	case !reName.MatchString(name):
		return nil, fmt.Errorf("hospital name %q is invalid: use 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit", name)
	case reservedNames[strings.ToLower(name)]:
		return nil, fmt.Errorf("%q cannot name a hospital: the network directory uses it", name)
	}
	for _, n := range st.Nodes {
		if strings.EqualFold(n.Name, name) {
			return nil, fmt.Errorf("%s is already a node of this network; `make localnet` starts it with the others", n.Name)
		}
	}
	for _, a := range st.Accounts {
		if strings.EqualFold(a.Name, name) {
			return nil, fmt.Errorf("%q is already an account of this network (config.yml); choose another name", name)
		}
	}
	if opts.DisplayName == "" {
		opts.DisplayName = name
	}
	if opts.Funder == "" {
		opts.Funder = st.Nodes[0].Name
	}
	if opts.Bond <= 0 {
		opts.Bond = defaultJoinBond
	}
	if opts.CatchUpTimeout <= 0 {
		opts.CatchUpTimeout = 10 * time.Minute
	}
	if opts.VaultTimeout == 0 {
		opts.VaultTimeout = 3 * time.Minute
	}

	// Two running nodes: one to send to, the other to witness.
	var running []Node
	for _, n := range st.Nodes {
		if _, err := nodeHeight(ctx, n, st.ChainID); err == nil {
			running = append(running, n)
		}
	}
	if len(running) < 2 {
		return nil, fmt.Errorf("%d node(s) of %s answer on their RPC; state sync needs two: is `make localnet` running?", len(running), opts.Dir)
	}
	if !opts.Replay {
		if err := checkSnapshotsOn(running[:2]); err != nil {
			return nil, err
		}
	}
	node := Node{Name: name, Home: filepath.Join(dir, name), Ports: NodePorts(st.PortBase, len(st.Nodes))}
	if err := checkPortBase(st.PortBase, len(st.Nodes)+1); err != nil {
		return nil, err
	}
	for _, p := range node.Ports.list() {
		if !portFree(p.port) {
			return nil, fmt.Errorf("port %d (%s of the new node) is in use: is %s already running?", p.port, p.name, name)
		}
	}
	c := &netCLI{bin: bin, st: st, node: running[0], witness: running[1], out: out}
	j := &Joined{Node: node}
	phase := func(start time.Time, name, detail string) {
		p := Phase{Name: name, Took: time.Since(start), Detail: detail}
		j.Phases = append(j.Phases, p)
		logf("  %-34s %8s  %s", p.Name, round(p.Took), p.Detail)
	}
	how := "state sync"
	if opts.Replay {
		how = "replaying every block from genesis"
	}
	logf("Joining %s to %s as a hospital validator (%s), node at %s, vault at %s:", name, st.ChainID, how, node.RPC(), "http://"+hostPort(node.Ports.Vault))

	// 1. A key (in the node's encrypted file keyring, for its vault's
	//    replica tickets and emergency releases, and in the client home,
	//    for its transactions), and funds.
	t := time.Now()
	addr, err := joinKey(ctx, bin, node.Home, st.ClientHome, name)
	if err != nil {
		return nil, err
	}
	j.Address, node.Address = addr, addr
	want := big.NewInt(opts.Bond + 10_000_000)
	have, err := c.balance(ctx, addr)
	if err != nil {
		return nil, err
	}
	funded := "already funded"
	if have.Cmp(want) < 0 {
		amount := new(big.Int).Sub(want, have)
		if _, err := c.tx(ctx, opts.Funder, "bank", "send", opts.Funder, addr, amount.String()+st.BondDenom); err != nil {
			return nil, err
		}
		funded = fmt.Sprintf("%s%s from %s", amount, st.BondDenom, opts.Funder)
	}
	phase(t, "key and funds", addr+", "+funded)

	// 2. Governance admits it as an ACTIVE HOSPITAL.
	t = time.Now()
	issuer, err := c.issuer(ctx, addr)
	if err != nil {
		return nil, err
	}
	detail := "already an active hospital"
	switch {
	case issuer == nil:
		id, err := c.admit(ctx, opts, addr, st.Nodes)
		if err != nil {
			return nil, err
		}
		if issuer, err = c.issuer(ctx, addr); err != nil {
			return nil, err
		}
		if issuer == nil {
			return nil, fmt.Errorf("proposal %s passed but %s is not an issuer", id, addr)
		}
		detail = fmt.Sprintf("proposal %s passed, %d votes yes", id, len(st.Nodes))
	case issuer.Status != "ISSUER_STATUS_ACTIVE" || issuer.Kind != "ISSUER_KIND_HOSPITAL":
		return nil, fmt.Errorf("%s is already an issuer, %s %s: only an active hospital may validate", addr, issuer.Status, issuer.Kind)
	}
	if issuer.Status != "ISSUER_STATUS_ACTIVE" || issuer.Kind != "ISSUER_KIND_HOSPITAL" {
		return nil, fmt.Errorf("%s is %s %s after its admission, not an active hospital", addr, issuer.Status, issuer.Kind)
	}
	phase(t, "governance admits the hospital", detail)

	// 3. The node's home: init, the network's genesis, peers, ports and
	//    the state sync trust point.
	t = time.Now()
	trust, err := joinHome(ctx, bin, c, st, &node, opts)
	if err != nil {
		return nil, err
	}
	j.Node = node // with its address and node id
	detail = "replays from genesis"
	if trust != nil {
		detail = fmt.Sprintf("trusts block %d %s… (%s and %s agree), trust period %s", trust.height, trust.hash[:12],
			c.node.Name, c.witness.Name, trust.period)
	}
	phase(t, "node home", detail)

	// 4. Start the node and wait until it has caught up with the network.
	if err := os.MkdirAll(filepath.Join(dir, logsDir), 0o755); err != nil {
		return nil, err
	}
	exits := make(chan *child, 8) // one per start, restarts included
	started := time.Now()
	ch, err := startChild(bin, opts.Cosmovisor, node, node.LogFile(dir), exits)
	if err != nil {
		return nil, err
	}
	j.child, j.PID = ch, ch.cmd.Process.Pid
	ok := false
	defer func() {
		if !ok {
			_ = j.Stop(20 * time.Second)
		}
	}()
	restart := func(height int64) error {
		// What each goroutine waits on, for whoever wants to know why.
		dump := filepath.Join(dir, logsDir, fmt.Sprintf("%s.stalled-at-%d.goroutines", name, height))
		if err := saveGoroutines(ctx, node, dump); err != nil {
			dump = "none: " + err.Error()
		}
		logf("  %s's block sync has not moved from height %d for %s while the network is ahead: restarting its node (goroutines: %s; see waitCaughtUp)",
			name, height, blockSyncStall, dump)
		if err := j.Stop(20 * time.Second); err != nil {
			return err
		}
		ch, err := startChild(bin, opts.Cosmovisor, node, node.LogFile(dir), exits)
		if err != nil {
			return err
		}
		j.child, j.PID = ch, ch.cmd.Process.Pid
		return nil
	}
	catchCtx, cancel := context.WithTimeout(ctx, opts.CatchUpTimeout)
	synced, err := waitCaughtUp(catchCtx, c, node, j, restart)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%s did not catch up: %w (log %s)", name, err, node.LogFile(dir))
	}
	j.EarliestHeight = synced.earliest
	if trust != nil {
		j.SnapshotHeight = synced.earliest - 1
		detail = fmt.Sprintf("snapshot of height %d restored and block %d applied by %s (5 s of it looking for snapshots), blocks to %d by the end",
			j.SnapshotHeight, synced.earliest, round(synced.firstBlock), synced.latest)
		// Restarted with its data, a node skips state sync anyway; with
		// its data gone it must not trust a header past its trust period.
		if _, err := editTOMLFile(filepath.Join(node.Home, "config", "config.toml"), []TOMLSet{{[]string{"statesync", "enable"}, false}}); err != nil {
			return nil, err
		}
	} else {
		detail = fmt.Sprintf("replayed blocks %d-%d", max(synced.earliest, 1), synced.latest)
	}
	if synced.restarts > 0 {
		detail += fmt.Sprintf("; restarted %d time(s) after block sync stalled", synced.restarts)
	}
	phase(started, "node start -> caught up", detail)

	// 5. The hospital's vault URL and encryption key on chain.
	t = time.Now()
	vaultURL := "http://" + hostPort(node.Ports.Vault)
	var registered time.Time
	if issuer.VaultURL != vaultURL {
		if _, err := c.tx(ctx, name, "issuers", "update-profile", "--vault-url", vaultURL); err != nil {
			return nil, err
		}
	}
	registered = time.Now()
	if has, err := c.hasEncryptionKey(ctx, addr); err != nil {
		return nil, err
	} else if !has {
		if _, err := c.tx(ctx, name, "access", "register-key"); err != nil {
			return nil, err
		}
	}
	phase(t, "vault URL and encryption key", vaultURL)

	// 6. create-validator, then wait until it is in the set and signs.
	t = time.Now()
	cons, err := consensusAddress(node.Home)
	if err != nil {
		return nil, err
	}
	j.ConsAddress = cons
	if err := c.createValidator(ctx, bin, node, opts.Bond); err != nil {
		return nil, err
	}
	inSet, signed, err := waitValidating(ctx, c, node, cons, j.child)
	if err != nil {
		return nil, err
	}
	j.Validating = time.Since(started)
	phase(t, "create-validator -> signing", fmt.Sprintf("in the validator set at height %d, signed block %d", inSet, signed))

	// The network now counts it: the next Run starts it with the others.
	st.Nodes = append(st.Nodes, node)
	st.Accounts = append(st.Accounts, AccountInfo{Name: name, Address: addr, Key: true})
	if err := writeState(dir, st); err != nil {
		return nil, err
	}

	// 7. Its vault fetches what placement now puts on it, from the moment
	//    its URL is on chain (while create-validator goes on).
	if opts.VaultTimeout > 0 {
		vctx, cancel := context.WithTimeout(ctx, opts.VaultTimeout)
		held, err := waitVaultFilled(vctx, vaultURL, registered)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s's vault: %w (log %s)", name, err, node.LogFile(dir))
		}
		phase(registered, "vault URL on chain -> refilled", held)
	}
	j.Total = time.Since(begin)
	ok = true
	logf("%s is validating %s after its node started, %s after the join started.", name, round(j.Validating), round(j.Total))
	return j, nil
}

// PrintJoined writes the summary of a join: each phase and the totals.
func PrintJoined(w io.Writer, j *Joined) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tTOOK\t")
	for _, p := range j.Phases {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, round(p.Took), p.Detail)
	}
	fmt.Fprintf(tw, "from node start to validating\t%s\t\n", round(j.Validating))
	fmt.Fprintf(tw, "total, governance included\t%s\t\n", round(j.Total))
	tw.Flush()
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

// checkSnapshotsOn refuses a network whose nodes take no snapshots (one
// created before medchaind init turned them on): state sync would wait
// for a snapshot for ever.
func checkSnapshotsOn(nodes []Node) error {
	for _, n := range nodes {
		data, err := os.ReadFile(filepath.Join(n.Home, "config", "app.toml"))
		if err != nil {
			return err
		}
		doc, err := parseTOML(data)
		if err != nil {
			return err
		}
		v, _ := lookup(doc, "state-sync", "snapshot-interval")
		if i, _ := v.(int64); i <= 0 {
			return fmt.Errorf("%s takes no state sync snapshots ([state-sync] snapshot-interval = %v in %s/config/app.toml): "+
				"set it to %d on the nodes and restart the localnet (or make localnet-reset), or join with -replay", n.Name, v, n.Home, SnapshotInterval)
		}
	}
	return nil
}

// joinKey gives the hospital a key in its node's file keyring (a random
// passphrase in the file its vault reads) and the same key in the client
// home, reusing one a previous attempt made.
func joinKey(ctx context.Context, bin binary, home, clientHome, name string) (string, error) {
	show := func(kr keyringOf) string {
		args := append([]string{"keys", "show", name, "-a"}, kr.flags()...)
		out, _, err := bin.run(ctx, kr.stdin("", 1), args...)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	inNode := ""
	if node, err := nodeKeyring(home, false); err == nil {
		inNode = show(node)
	}
	inClient := show(clientKeyring(clientHome))
	switch {
	case inNode != "" && inClient == inNode:
		return inNode, nil
	case inNode != "" || inClient != "":
		return "", fmt.Errorf("a key %s exists in only one of %s and %s (or they differ): a previous join was interrupted before it saved its key; delete %s and the key (medchaind keys delete %s --home %s --keyring-backend %s), or choose another name",
			name, home, clientHome, home, name, clientHome, clientBackend)
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return "", err
	}
	node, err := nodeKeyring(home, true)
	if err != nil {
		return "", err
	}
	addr, mnemonic, err := addKey(ctx, bin, node, name, "")
	if err != nil {
		return "", err
	}
	again, _, err := addKey(ctx, bin, clientKeyring(clientHome), name, mnemonic)
	if err != nil {
		return "", err
	}
	if again != addr {
		return "", fmt.Errorf("key %s: %s in the node's keyring but %s in the client's", name, addr, again)
	}
	return addr, nil
}

// trustPoint is where the new node's light client starts.
type trustPoint struct {
	height int64
	hash   string
	period time.Duration
}

// joinHome initialises the node's home (once), copies the network's
// genesis and writes its configuration; unless opts.Replay, it turns state
// sync on with a trust point that two nodes agree on.
func joinHome(ctx context.Context, bin binary, c *netCLI, st *State, n *Node, opts JoinOptions) (*trustPoint, error) {
	if _, err := os.Stat(genesisFile(n.Home)); errors.Is(err, os.ErrNotExist) {
		if _, _, err := bin.run(ctx, "", "init", n.Name, "--chain-id", st.ChainID, "--default-denom", st.BondDenom, "--home", n.Home); err != nil {
			return nil, err
		}
	}
	if err := copyFile(genesisFile(st.Nodes[0].Home), genesisFile(n.Home)); err != nil {
		return nil, err
	}
	out, _, err := bin.run(ctx, "", "comet", "show-node-id", "--home", n.Home)
	if err != nil {
		return nil, err
	}
	n.NodeID = strings.TrimSpace(string(out))
	// Its vault looks at chain state every 10 s instead of every minute,
	// so that it fetches its replicas soon after it registers its URL.
	app := map[string]any{"vault": map[string]any{"reconcile-interval": "10s"}}
	MergeJSON(app, opts.App)
	if err := configureNode(c.outOr(), *n, st.Nodes, Validator{Name: n.Name, App: app, Config: opts.Config}, st.ChainID, st.BondDenom); err != nil {
		return nil, err
	}
	var trust *trustPoint
	comet := []TOMLSet{{[]string{"statesync", "enable"}, false}}
	if !opts.Replay {
		if trust, err = c.trustPoint(ctx); err != nil {
			return nil, err
		}
		comet = []TOMLSet{
			{[]string{"statesync", "enable"}, true},
			{[]string{"statesync", "rpc_servers"}, c.node.RPC() + "," + c.witness.RPC()},
			{[]string{"statesync", "trust_height"}, trust.height},
			{[]string{"statesync", "trust_hash"}, trust.hash},
			{[]string{"statesync", "trust_period"}, trust.period.String()},
			// The shortest CometBFT allows: the nodes answer at once.
			{[]string{"statesync", "discovery_time"}, "5s"},
		}
	}
	// config.yml-style overrides win, as configureNode applied them.
	_, err = editTOMLFile(filepath.Join(n.Home, "config", "config.toml"), append(comet, FlattenOverrides(opts.Config)...))
	return trust, err
}

// netCLI runs medchaind's client against the running network, from the
// client home.
type netCLI struct {
	bin     binary
	st      *State
	node    Node // where transactions and queries go
	witness Node // a second node, for trust points and inclusion
	out     io.Writer
}

func (c *netCLI) outOr() io.Writer {
	if c.out == nil {
		return io.Discard
	}
	return c.out
}

func (c *netCLI) query(ctx context.Context, v any, args ...string) error {
	args = append(append([]string{"query"}, args...), "--node", "tcp://"+hostPort(c.node.Ports.RPC), "--output", "json")
	stdout, stderr, err := c.bin.run(ctx, "", args...)
	if err != nil {
		return err
	}
	return findJSONObject(v, stdout, stderr)
}

// tx sends `medchaind tx ARGS --from from` and waits until the witness
// has it in a block, which must have accepted it; it returns the block's
// height.
func (c *netCLI) tx(ctx context.Context, from string, args ...string) (int64, error) {
	res, err := c.txResult(ctx, from, args...)
	return res.height, err
}

// txResult is a transaction as the block that holds it executed it.
type txResult struct {
	height int64
	events []txEvent
}

type txEvent struct {
	Type       string `json:"type"`
	Attributes []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"attributes"`
}

// attribute returns the first value of key in events of type typ.
func (r txResult) attribute(typ, key string) string {
	for _, e := range r.events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value
			}
		}
	}
	return ""
}

// txResult is tx that also returns the transaction's events. It waits on
// the witness's RPC directly rather than through `medchaind query tx`: on
// a busy machine every medchaind process takes seconds to start, and a
// vote that waits too long misses the voting period.
func (c *netCLI) txResult(ctx context.Context, from string, args ...string) (txResult, error) {
	what := fmt.Sprintf("tx %s --from %s", strings.Join(args, " "), from)
	full := append(append([]string{"tx"}, args...), "--from", from, "--home", c.st.ClientHome, "--keyring-backend", clientBackend,
		"--chain-id", c.st.ChainID, "--node", "tcp://"+hostPort(c.node.Ports.RPC), "--gas", "600000", "--yes", "--output", "json")
	stdout, stderr, err := c.bin.run(ctx, "", full...)
	if err != nil {
		return txResult{}, err
	}
	var res struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := findJSONObject(&res, stdout, stderr); err != nil || res.TxHash == "" {
		return txResult{}, fmt.Errorf("%s: cannot read its result: %s %s", what, stdout, stderr)
	}
	if res.Code != 0 {
		return txResult{}, fmt.Errorf("%s refused: code %d: %s", what, res.Code, res.RawLog)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var tx struct {
			Height   string `json:"height"`
			TxResult struct {
				Code   int       `json:"code"`
				Log    string    `json:"log"`
				Events []txEvent `json:"events"`
			} `json:"tx_result"`
		}
		if err := rpcGet(ctx, fmt.Sprintf("%s/tx?hash=0x%s", c.witness.RPC(), res.TxHash), &tx); err == nil && tx.Height != "" {
			if tx.TxResult.Code != 0 {
				return txResult{}, fmt.Errorf("%s failed in block %s: code %d: %s", what, tx.Height, tx.TxResult.Code, tx.TxResult.Log)
			}
			h, err := strconv.ParseInt(tx.Height, 10, 64)
			return txResult{height: h, events: tx.TxResult.Events}, err
		}
		select {
		case <-ctx.Done():
			return txResult{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return txResult{}, fmt.Errorf("%s: %s not in a block within 60s", what, res.TxHash)
}

func (c *netCLI) balance(ctx context.Context, addr string) (*big.Int, error) {
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := c.query(ctx, &res, "bank", "balance", addr, c.st.BondDenom); err != nil {
		return nil, err
	}
	n, ok := new(big.Int).SetString(nonEmpty(res.Balance.Amount, "0"), 10)
	if !ok {
		return nil, fmt.Errorf("balance of %s: %q is not a number", addr, res.Balance.Amount)
	}
	return n, nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type issuerInfo struct {
	Status   string `json:"status"`
	Kind     string `json:"kind"`
	VaultURL string `json:"vault_url"`
}

// issuer returns the issuer at addr, or nil if there is none.
func (c *netCLI) issuer(ctx context.Context, addr string) (*issuerInfo, error) {
	var res struct {
		Issuer *issuerInfo `json:"issuer"`
	}
	err := c.query(ctx, &res, "issuers", "issuer", addr)
	if err != nil && strings.Contains(err.Error(), "NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return res.Issuer, nil
}

func (c *netCLI) hasEncryptionKey(ctx context.Context, addr string) (bool, error) {
	var res struct {
		Key *struct {
			KeyID string `json:"key_id"`
		} `json:"key"`
	}
	err := c.query(ctx, &res, "access", "key", addr)
	if err != nil && strings.Contains(err.Error(), "NotFound") {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return res.Key != nil && res.Key.KeyID != "", nil
}

// admit submits the proposal that registers addr as a hospital issuer,
// has every validator vote yes and waits until it has passed; it returns
// the proposal's id.
func (c *netCLI) admit(ctx context.Context, opts JoinOptions, addr string, voters []Node) (string, error) {
	var params struct {
		Params struct {
			VotingPeriod string `json:"voting_period"`
			MinDeposit   []struct {
				Denom  string `json:"denom"`
				Amount string `json:"amount"`
			} `json:"min_deposit"`
		} `json:"params"`
	}
	if err := c.query(ctx, &params, "gov", "params"); err != nil {
		return "", err
	}
	voting, err := time.ParseDuration(params.Params.VotingPeriod)
	if err != nil {
		return "", fmt.Errorf("gov params: voting_period %q: %w", params.Params.VotingPeriod, err)
	}
	deposit := ""
	for _, d := range params.Params.MinDeposit {
		deposit = d.Amount + d.Denom
	}
	title := fmt.Sprintf("Admit %s (%s)", opts.DisplayName, addr)
	args := []string{"issuers", "register-issuer", addr, opts.DisplayName, "hospital",
		"--title", title, "--summary", "Admit " + opts.DisplayName + " as a hospital issuer and validator of the localnet"}
	if deposit != "" {
		args = append(args, "--deposit", deposit)
	}
	submitted, err := c.txResult(ctx, opts.Funder, args...)
	if err != nil {
		return "", err
	}
	id := submitted.attribute("submit_proposal", "proposal_id")
	if id == "" {
		return "", fmt.Errorf("the submission of %q names no proposal_id in its events", title)
	}
	// The validators are different accounts: their votes go together.
	errs := make([]error, len(voters))
	var wg sync.WaitGroup
	for i, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.tx(ctx, v.Name, "gov", "vote", id, "yes")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if strings.Contains(err.Error(), "inactive proposal") {
			return "", fmt.Errorf("votes reached the chain after proposal %s's voting period (%s) had ended (a machine too busy?); run the join again: %w", id, voting, err)
		}
		return "", err
	}
	deadline := time.Now().Add(voting + time.Minute)
	for time.Now().Before(deadline) {
		var res struct {
			Proposal struct {
				Status       string `json:"status"`
				FailedReason string `json:"failed_reason"`
			} `json:"proposal"`
		}
		if err := c.query(ctx, &res, "gov", "proposal", id); err != nil {
			return "", err
		}
		switch res.Proposal.Status {
		case "PROPOSAL_STATUS_PASSED":
			return id, nil
		case "PROPOSAL_STATUS_REJECTED", "PROPOSAL_STATUS_FAILED":
			return "", fmt.Errorf("proposal %s %q ended %s %s", id, title, res.Proposal.Status, res.Proposal.FailedReason)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return "", fmt.Errorf("proposal %s did not pass within its voting period (%s) and a minute", id, voting)
}

// trustPoint takes a recent block header from one node and checks that
// the witness has the same block at that height. The trusting period is
// two thirds of the unbonding time: within it, the validators that signed
// the trusted header still have stake to lose if they lie.
func (c *netCLI) trustPoint(ctx context.Context) (*trustPoint, error) {
	h, err := nodeHeight(ctx, c.node, c.st.ChainID)
	if err != nil {
		return nil, err
	}
	h-- // a block whose commit is final, not the latest one being seen
	blockHash := func(n Node) (string, error) {
		var cm commit
		if err := rpcGet(ctx, fmt.Sprintf("%s/commit?height=%d", n.RPC(), h), &cm); err != nil {
			return "", err
		}
		if cm.SignedHeader.Commit.BlockID.Hash == "" {
			return "", fmt.Errorf("%s has no block hash at height %d", n.Name, h)
		}
		return cm.SignedHeader.Commit.BlockID.Hash, nil
	}
	a, err := blockHash(c.node)
	if err != nil {
		return nil, err
	}
	b, err := blockHash(c.witness)
	if err != nil {
		return nil, err
	}
	if a != b {
		return nil, fmt.Errorf("%s and %s disagree on block %d (%s, %s): refusing to trust either", c.node.Name, c.witness.Name, h, a, b)
	}
	var params struct {
		Params struct {
			UnbondingTime string `json:"unbonding_time"`
		} `json:"params"`
	}
	if err := c.query(ctx, &params, "staking", "params"); err != nil {
		return nil, err
	}
	unbonding, err := time.ParseDuration(params.Params.UnbondingTime)
	if err != nil || unbonding <= 0 {
		return nil, fmt.Errorf("staking params: unbonding_time %q: %v", params.Params.UnbondingTime, err)
	}
	return &trustPoint{height: h, hash: a, period: unbonding * 2 / 3}, nil
}

type nodeSync struct {
	earliest, latest int64
	restarts         int
	// firstBlock is when the node first reported a block: after state
	// sync, the first one after the snapshot (so, once it is restored).
	firstBlock time.Duration
}

// blockSyncStall is how long a node catching up may stay at one height
// while the network is ahead before waitCaughtUp restarts it.
const blockSyncStall = 2 * time.Minute

// waitCaughtUp waits until the new node has left state sync and block
// sync (catching_up false) and is within two blocks of the network.
//
// A node whose block sync stops moving is restarted (and resumes from
// its last block): CometBFT v0.38's block sync can wait for ever. A
// requester whose block waited in the pool past the 30 s retry timer (the
// node applying earlier, large blocks on a busy machine) has drained that
// timer; if a peer then drops out and the block is requested again, the
// requester blocks on the drained timer's channel (blocksync/pool.go,
// `if !retryTimer.Stop() { <-retryTimer.C }`) and the pool never gets
// past that height. Seen replaying 100,000 records on a loaded 2-core
// machine.
func waitCaughtUp(ctx context.Context, c *netCLI, n Node, j *Joined, restart func(height int64) error) (nodeSync, error) {
	var last string
	var firstBlock time.Duration
	started := time.Now()
	var lastHeight int64
	moved := time.Now()
	restarts := 0
	for {
		select {
		case <-ctx.Done():
			if last != "" {
				return nodeSync{}, fmt.Errorf("%w; last seen: %s", ctx.Err(), last)
			}
			return nodeSync{}, ctx.Err()
		case <-j.child.done:
			return nodeSync{}, fmt.Errorf("the node exited (%v)", j.child.err)
		case <-time.After(500 * time.Millisecond):
		}
		var s fullStatus
		if err := rpcGet(ctx, n.RPC()+"/status", &s); err != nil {
			continue
		}
		earliest, _ := strconv.ParseInt(s.SyncInfo.EarliestBlockHeight, 10, 64)
		latest, _ := strconv.ParseInt(s.SyncInfo.LatestBlockHeight, 10, 64)
		last = fmt.Sprintf("height %d (earliest %d), catching up %v", latest, earliest, s.SyncInfo.CatchingUp)
		if latest > 0 && firstBlock == 0 {
			firstBlock = time.Since(started)
		}
		if latest != lastHeight {
			lastHeight, moved = latest, time.Now()
		}
		if latest == 0 {
			continue // still restoring a snapshot, which may take long
		}
		network, err := nodeHeight(ctx, c.witness, c.st.ChainID)
		if err != nil {
			continue
		}
		if latest+2 < network && time.Since(moved) > blockSyncStall {
			if err := restart(latest); err != nil {
				return nodeSync{}, fmt.Errorf("restarting the stalled node: %w", err)
			}
			restarts++
			moved = time.Now()
			continue
		}
		if s.SyncInfo.CatchingUp || latest+2 < network {
			continue
		}
		return nodeSync{earliest: earliest, latest: latest, firstBlock: firstBlock, restarts: restarts}, nil
	}
}

// saveGoroutines writes the node's goroutine stacks (its pprof server)
// to path.
func saveGoroutines(ctx context.Context, n Node, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostPort(n.Ports.PProf)+"/debug/pprof/goroutine?debug=1", nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

type fullStatus struct {
	SyncInfo struct {
		EarliestBlockHeight string `json:"earliest_block_height"`
		LatestBlockHeight   string `json:"latest_block_height"`
		CatchingUp          bool   `json:"catching_up"`
	} `json:"sync_info"`
}

// consensusAddress reads the node's validator address (hex) from its
// priv_validator_key.json.
func consensusAddress(home string) (string, error) {
	data, err := os.ReadFile(filepath.Join(home, "config", "priv_validator_key.json"))
	if err != nil {
		return "", err
	}
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(data, &key); err != nil || key.Address == "" {
		return "", fmt.Errorf("%s/config/priv_validator_key.json: no address (%v)", home, err)
	}
	return strings.ToUpper(key.Address), nil
}

// createValidator sends create-validator for the node's consensus key,
// unless its operator already has a validator.
func (c *netCLI) createValidator(ctx context.Context, bin binary, n Node, bond int64) error {
	valoper, err := ValoperAddress(n.Address)
	if err != nil {
		return err
	}
	var existing struct {
		Validator *struct {
			OperatorAddress string `json:"operator_address"`
		} `json:"validator"`
	}
	if err := c.query(ctx, &existing, "staking", "validator", valoper); err == nil && existing.Validator != nil {
		return nil
	}
	pubkey, _, err := bin.run(ctx, "", "comet", "show-validator", "--home", n.Home)
	if err != nil {
		return err
	}
	spec := map[string]any{
		"pubkey":                     json.RawMessage(strings.TrimSpace(string(pubkey))),
		"amount":                     fmt.Sprintf("%d%s", bond, c.st.BondDenom),
		"moniker":                    n.Name,
		"commission-rate":            "0.1",
		"commission-max-rate":        "0.2",
		"commission-max-change-rate": "0.01",
		"min-self-delegation":        "1",
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(n.Home, "config", "validator.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	_, err = c.tx(ctx, n.Name, "staking", "create-validator", path)
	return err
}

// waitValidating waits until the node's consensus address is in the
// validator set and then in a block's commit signatures; it returns both
// heights.
func waitValidating(ctx context.Context, c *netCLI, n Node, cons string, ch *child) (inSet, signed int64, err error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-ch.done:
			return 0, 0, fmt.Errorf("the node exited (%v)", ch.err)
		case <-time.After(300 * time.Millisecond):
		}
		h, err := nodeHeight(ctx, c.witness, c.st.ChainID)
		if err != nil {
			continue
		}
		if inSet == 0 {
			var vs struct {
				Validators []struct {
					Address string `json:"address"`
				} `json:"validators"`
			}
			if err := rpcGet(ctx, fmt.Sprintf("%s/validators?height=%d&per_page=100", c.witness.RPC(), h), &vs); err != nil {
				continue
			}
			for _, v := range vs.Validators {
				if strings.EqualFold(v.Address, cons) {
					inSet = h
				}
			}
			if inSet == 0 {
				continue
			}
		}
		var cm struct {
			SignedHeader struct {
				Commit struct {
					Signatures []struct {
						ValidatorAddress string `json:"validator_address"`
					} `json:"signatures"`
				} `json:"commit"`
			} `json:"signed_header"`
		}
		if err := rpcGet(ctx, fmt.Sprintf("%s/commit?height=%d", c.witness.RPC(), h-1), &cm); err != nil {
			continue
		}
		for _, s := range cm.SignedHeader.Commit.Signatures {
			if strings.EqualFold(s.ValidatorAddress, cons) {
				return inSet, h - 1, nil
			}
		}
	}
	if inSet == 0 {
		return 0, 0, fmt.Errorf("validator %s is not in the validator set 60s after create-validator", cons)
	}
	return inSet, 0, fmt.Errorf("validator %s is in the set since height %d but signed no block within 60s", cons, inSet)
}

// waitVaultFilled polls a vault's /metrics until a reconciliation that
// ended after the vault was registered (registered) left nothing missing
// or under-replicated; it describes what the vault then holds.
func waitVaultFilled(ctx context.Context, vaultURL string, registered time.Time) (string, error) {
	var m map[string]float64
	for {
		var err error
		m, err = vaultMetrics(ctx, vaultURL)
		if err == nil && m["vault_reconcile_last_success_timestamp_seconds"] >= float64(registered.Unix()+2) &&
			m["vault_missing_live_cids"] == 0 && m["vault_under_replicated"] == 0 {
			var status struct {
				PinnedRoots int `json:"pinned_roots"`
			}
			_ = httpJSON(ctx, vaultURL+"/api/v1/status", &status)
			return fmt.Sprintf("missing 0, under-replicated 0; holds %d of the %d live CIDs (%.1f MiB fetched from the other vaults)",
				status.PinnedRoots, int(m["vault_live_cids"]), m["vault_repair_bytes_total"]/(1<<20)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("not refilled in time: missing %v, under-replicated %v, last reconciliation %v (registered %d)",
				m["vault_missing_live_cids"], m["vault_under_replicated"], m["vault_reconcile_last_success_timestamp_seconds"], registered.Unix())
		case <-time.After(time.Second):
		}
	}
}

// vaultMetrics reads the unlabelled metrics of a vault's /metrics.
func vaultMetrics(ctx context.Context, vaultURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, vaultURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: %s", vaultURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' || strings.Contains(line, "{") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			m[name] = f
		}
	}
	return m, nil
}

func httpJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
