package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure Init and Run.
type Options struct {
	// Binary is the medchaind executable (a path, or a name on $PATH).
	Binary string
	// Dir is the network directory, e.g. ".localnet".
	Dir string
	// Config is the parsed config.yml; Init needs it, Run does not (Run
	// reads what Init recorded in Dir).
	Config *Config
	// PortBase is the first port of the first node; 0 means DefaultPortBase.
	// Only Init uses it: the ports are written into the node configs.
	PortBase int
	// Out receives progress messages and Run's summary; nil means os.Stdout.
	Out io.Writer
	// StartTimeout bounds Run's wait for every node to commit (default 60s).
	StartTimeout time.Duration
	// StopTimeout bounds the wait for the nodes to exit after SIGTERM
	// before they are killed (default 20s).
	StopTimeout time.Duration
	// Cosmovisor, if set, is the cosmovisor executable Run starts each node
	// with (`cosmovisor run start`), so that a governance upgrade plan
	// switches the nodes to the binary in
	// <home>/cosmovisor/upgrades/<name>/bin by itself; Binary is installed
	// as cosmovisor's genesis binary.
	Cosmovisor string
	// OnReady, if set, is called by Run once every node has committed and
	// the nodes agree on the app hash, after the summary is printed.
	OnReady func(Ready)
}

func (o *Options) out() io.Writer {
	if o.Out == nil {
		return os.Stdout
	}
	return o.Out
}

func (o *Options) logf(format string, args ...any) {
	fmt.Fprintf(o.out(), format+"\n", args...)
}

// Init creates the network described by opts.Config under opts.Dir, using
// the medchaind binary for every step. If Dir already holds a complete
// network, Init leaves it alone (the next Run resumes the chain). If a
// previous Init was interrupted, it starts over.
func Init(ctx context.Context, opts Options) error {
	if opts.Config == nil {
		return errors.New("localnet.Init: no config")
	}
	if opts.Dir == "" {
		return errors.New("localnet.Init: no network directory")
	}
	cfg := opts.Config
	bin, err := newBinary(opts.Binary)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return err
	}
	base := opts.PortBase
	if base == 0 {
		base = DefaultPortBase
	}
	if err := checkPortBase(base, len(cfg.Validators)); err != nil {
		return err
	}

	// Resume, recover from an interrupted init, or refuse a foreign directory.
	if st, err := ReadState(dir); err == nil {
		opts.logf("Using the network already initialised in %s (chain %s, %d validators, created %s).",
			opts.Dir, st.ChainID, len(st.Nodes), st.CreatedAt.Local().Format(time.DateTime))
		if cfg.Digest != "" && st.ConfigDigest != cfg.Digest {
			opts.logf("Note: %s changed since then; its changes apply only to a new network (run with -reset).", nameOr(cfg.Path, "the config"))
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if !IsLocalnetDir(dir) {
			return fmt.Errorf("%s is not empty and was not created by the localnet driver; choose another directory", dir)
		}
		opts.logf("A previous initialisation of %s did not finish; starting over.", opts.Dir)
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, markerFile), []byte("This directory is a medchain localnet; `go run ./scripts/localnet -reset` deletes it.\n"), 0o644); err != nil {
		return err
	}

	start := time.Now()
	chainID := cfg.Genesis.ChainID
	denom := cfg.BondDenom()
	client := filepath.Join(dir, clientDir)
	nodes := make([]Node, len(cfg.Validators))
	for i, v := range cfg.Validators {
		nodes[i] = Node{Name: v.Name, Home: filepath.Join(dir, v.Name), Ports: NodePorts(base, i)}
	}
	opts.logf("Initialising %d-validator network %s in %s with %s", len(nodes), chainID, opts.Dir, bin.path)

	// 1. Every key account goes into the client keyring; bare addresses are
	//    used as given. Generated mnemonics are kept for the validators'
	//    own keyrings.
	addresses := map[string]string{}
	mnemonics := map[string]string{}
	for _, a := range cfg.Accounts {
		if !a.HasKey() {
			addresses[a.Name] = a.Address
			continue
		}
		addr, mn, err := addKey(ctx, bin, clientKeyring(client), a.Name, a.Mnemonic)
		if err != nil {
			return err
		}
		addresses[a.Name], mnemonics[a.Name] = addr, mn
	}

	// 2. Node homes: init, the validator's key (in the node's encrypted
	//    file keyring, its passphrase in the file the vault reads), node id.
	err = forEach(len(nodes), func(i int) error {
		n := &nodes[i]
		if _, _, err := bin.run(ctx, "", "init", n.Name, "--chain-id", chainID, "--default-denom", denom, "--home", n.Home); err != nil {
			return err
		}
		kr, err := nodeKeyring(n.Home, true)
		if err != nil {
			return err
		}
		addr, _, err := addKey(ctx, bin, kr, n.Name, mnemonics[n.Name])
		if err != nil {
			return err
		}
		if addr != addresses[n.Name] {
			return fmt.Errorf("key %s has address %s in %s but %s in the client keyring", n.Name, addr, n.Home, addresses[n.Name])
		}
		n.Address = addr
		out, _, err := bin.run(ctx, "", "comet", "show-node-id", "--home", n.Home)
		if err != nil {
			return err
		}
		n.NodeID = strings.TrimSpace(string(out))
		if n.NodeID == "" {
			return fmt.Errorf("comet show-node-id --home %s printed nothing", n.Home)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// 3. Genesis: overrides, then accounts, on the first node's genesis.
	genesis0 := genesisFile(nodes[0].Home)
	if err := applyGenesisOverrides(genesis0, cfg); err != nil {
		return err
	}
	if err := registerVaults(genesis0, nodes); err != nil {
		return err
	}
	accountsFile := filepath.Join(dir, gentxDir, "accounts.json")
	if err := writeBulkAccounts(accountsFile, cfg, addresses); err != nil {
		return err
	}
	if _, _, err := bin.run(ctx, "", "genesis", "bulk-add-genesis-account", accountsFile, "--home", nodes[0].Home); err != nil {
		return err
	}

	// 4. gentx on every node against the same genesis, collect on the first.
	gentxs := filepath.Join(dir, gentxDir, "gentx")
	if err := os.MkdirAll(gentxs, 0o755); err != nil {
		return err
	}
	err = forEach(len(nodes), func(i int) error {
		n := nodes[i]
		if i > 0 {
			if err := copyFile(genesis0, genesisFile(n.Home)); err != nil {
				return err
			}
		}
		kr, err := nodeKeyring(n.Home, false)
		if err != nil {
			return err
		}
		args := append([]string{"genesis", "gentx", n.Name, cfg.Validators[i].bonded.String(),
			"--chain-id", chainID, "--moniker", n.Name, "--ip", "127.0.0.1", "--p2p-port", fmt.Sprint(n.Ports.P2P),
			"--output-document", filepath.Join(gentxs, n.Name+".json")}, kr.flags()...)
		_, _, err = bin.run(ctx, kr.stdin("", 1), args...)
		return err
	})
	if err != nil {
		return err
	}
	if _, _, err := bin.run(ctx, "", "genesis", "collect-gentxs", "--gentx-dir", gentxs, "--home", nodes[0].Home); err != nil {
		return err
	}
	if _, _, err := bin.run(ctx, "", "genesis", "validate", genesis0, "--home", nodes[0].Home); err != nil {
		return err
	}
	for _, n := range nodes[1:] {
		if err := copyFile(genesis0, genesisFile(n.Home)); err != nil {
			return err
		}
	}

	// 5. Node and client configuration.
	for i, n := range nodes {
		if err := configureNode(opts.out(), n, nodes, cfg.Validators[i], chainID, denom); err != nil {
			return err
		}
	}
	if err := configureClient(client, chainID, nodes[0]); err != nil {
		return err
	}

	// 6. Done: record the network.
	st := &State{
		ChainID: chainID, BondDenom: denom, PortBase: base, ConfigDigest: cfg.Digest,
		CreatedAt: time.Now().UTC(), Nodes: nodes, ClientHome: client,
	}
	for _, a := range cfg.Accounts {
		st.Accounts = append(st.Accounts, AccountInfo{Name: a.Name, Address: addresses[a.Name], Key: a.HasKey()})
	}
	if err := writeState(dir, st); err != nil {
		return err
	}
	opts.logf("Initialised in %s.", time.Since(start).Round(100*time.Millisecond))
	return nil
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func genesisFile(home string) string { return filepath.Join(home, "config", "genesis.json") }

// forEach runs f(0..n-1) concurrently and returns the first error.
func forEach(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = f(i)
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// addKey adds a key to a keyring, recovering it from mnemonic if given.
// It returns the address and the mnemonic (the generated one if none given).
func addKey(ctx context.Context, bin binary, kr keyringOf, name, mnemonic string) (string, string, error) {
	home := kr.home
	args := append([]string{"keys", "add", name, "--output", "json"}, kr.flags()...)
	stdin := ""
	if mnemonic != "" {
		args = append(args, "--recover")
		stdin = mnemonic + "\n"
	}
	// The file keyring asks for its passphrase twice when keys add
	// creates it, once after.
	stdin = kr.stdin(stdin, 2)
	stdout, stderr, err := bin.run(ctx, stdin, args...)
	if err != nil {
		return "", "", err
	}
	var key struct {
		Address  string `json:"address"`
		Mnemonic string `json:"mnemonic"`
	}
	if err := findJSONObject(&key, stdout, stderr); err != nil || key.Address == "" {
		return "", "", fmt.Errorf("keys add %s --home %s: cannot read the new key's address from its output", name, home)
	}
	if mnemonic == "" {
		mnemonic = key.Mnemonic
	}
	if mnemonic == "" {
		return "", "", fmt.Errorf("keys add %s --home %s: no mnemonic in its output", name, home)
	}
	return key.Address, mnemonic, nil
}

// applyGenesisOverrides deep-merges config.yml's genesis section into a
// genesis file.
func applyGenesisOverrides(path string, cfg *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := decodeJSONObject(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	over := map[string]any{}
	for k, v := range cfg.Genesis.Other {
		over[k] = v
	}
	if len(cfg.Genesis.AppState) > 0 {
		over["app_state"] = cfg.Genesis.AppState
	}
	MergeJSON(doc, over)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// registerVaults gives every validator that genesis registers as a hospital
// issuer, and that config.yml gave no vault_url, its node's vault on
// loopback, so that the vaults replicate each other from the first block.
func registerVaults(path string, nodes []Node) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := decodeJSONObject(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	appState, _ := doc["app_state"].(map[string]any)
	issuersState, _ := appState["issuers"].(map[string]any)
	list, _ := issuersState["issuers"].([]any)
	changed := false
	for _, n := range nodes {
		for _, item := range list {
			issuer, ok := item.(map[string]any)
			if !ok || issuer["address"] != n.Address || issuer["kind"] != "ISSUER_KIND_HOSPITAL" {
				continue
			}
			if url, _ := issuer["vault_url"].(string); url == "" {
				issuer["vault_url"] = "http://" + hostPort(n.Ports.Vault)
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

func writeBulkAccounts(path string, cfg *Config, addresses map[string]string) error {
	type coin struct {
		Denom  string `json:"denom"`
		Amount string `json:"amount"`
	}
	type account struct {
		Address string `json:"address"`
		Coins   []coin `json:"coins"`
	}
	var accts []account
	for _, a := range cfg.Accounts {
		acct := account{Address: addresses[a.Name]}
		for _, c := range a.coins { // sorted by denom, as sdk.Coins requires
			acct.Coins = append(acct.Coins, coin{Denom: c.Denom, Amount: c.Amount.String()})
		}
		accts = append(accts, acct)
	}
	data, err := json.MarshalIndent(accts, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// SnapshotInterval is the localnet's state sync snapshot interval: a
// snapshot every 20 blocks (20 s) instead of medchaind init's 1000, so that
// a hospital joining the localnet (Join) finds one within seconds. A
// validator's app overrides in config.yml can change it.
const SnapshotInterval = 20

// configureNode writes the node's config.toml, app.toml and client.toml:
// loopback ports, peers, dev-friendly consensus timing, state sync
// snapshots, then the validator's own overrides from config.yml.
func configureNode(w io.Writer, n Node, all []Node, v Validator, chainID, denom string) error {
	var peers []string
	for _, o := range all {
		if o.Name != n.Name {
			peers = append(peers, fmt.Sprintf("%s@%s", o.NodeID, hostPort(o.Ports.P2P)))
		}
	}
	p := n.Ports
	comet := []TOMLSet{
		{[]string{"proxy_app"}, "tcp://" + hostPort(p.ProxyApp)},
		{[]string{"rpc", "laddr"}, "tcp://" + hostPort(p.RPC)},
		{[]string{"rpc", "pprof_laddr"}, hostPort(p.PProf)},
		{[]string{"p2p", "laddr"}, "tcp://" + hostPort(p.P2P)},
		{[]string{"p2p", "external_address"}, hostPort(p.P2P)},
		{[]string{"p2p", "persistent_peers"}, strings.Join(peers, ",")},
		{[]string{"p2p", "allow_duplicate_ip"}, true},
		{[]string{"p2p", "addr_book_strict"}, false},
		{[]string{"consensus", "timeout_commit"}, "1s"},
		// CometBFT's metrics (namespace "cometbft") on the Prometheus
		// port, as a hospital's monitoring scrapes them
		// (deploy/prometheus).
		{[]string{"instrumentation", "prometheus"}, true},
		{[]string{"instrumentation", "prometheus_listen_addr"}, hostPort(p.Prometheus)},
	}
	app := []TOMLSet{
		{[]string{"minimum-gas-prices"}, "0" + denom},
		{[]string{"api", "enable"}, true},
		{[]string{"api", "address"}, "tcp://" + hostPort(p.API)},
		{[]string{"grpc", "enable"}, true},
		{[]string{"grpc", "address"}, hostPort(p.GRPC)},
		{[]string{"state-sync", "snapshot-interval"}, SnapshotInterval},
	}
	cli := []TOMLSet{
		{[]string{"chain-id"}, chainID},
		// The node's own key is in its file keyring.
		{[]string{"keyring-backend"}, nodeKeyringBackend},
		{[]string{"node"}, "tcp://" + hostPort(p.RPC)},
	}
	cfgDir := filepath.Join(n.Home, "config")
	for _, f := range []struct {
		file, section string
		sets          []TOMLSet
		over          map[string]any
	}{
		{"config.toml", "config", comet, v.Config},
		{"app.toml", "app", app, v.App},
		{"client.toml", "client", cli, v.Client},
	} {
		path := filepath.Join(cfgDir, f.file)
		if f.file == "app.toml" {
			sets, err := vaultSets(path, p.Vault, n.Address, n.Name)
			if err != nil {
				return err
			}
			f.sets = append(f.sets, sets...)
		}
		over := FlattenOverrides(f.over)
		unknown, err := editTOMLFile(path, append(f.sets, over...))
		if err != nil {
			return fmt.Errorf("validator %s: %s: %w", n.Name, path, err)
		}
		for _, k := range unknown {
			for _, o := range over {
				if o.Key() == k {
					fmt.Fprintf(w, "Warning: validators.%s.%s.%s is not a key of the default %s (typo?); it was added anyway.\n", n.Name, f.section, k, f.file)
				}
			}
		}
	}
	return nil
}

// vaultSets points the embedded vault's listener at the node's vault port,
// if app.toml has a [vault] section with a listen address, and names the
// hospital the vault acts for (the validator's account), its key in the
// node's file keyring and that keyring's passphrase file, if app.toml has
// those keys.
func vaultSets(appToml string, port int, hospital, keyName string) ([]TOMLSet, error) {
	data, err := os.ReadFile(appToml)
	if err != nil {
		return nil, err
	}
	doc, err := parseTOML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", appToml, err)
	}
	vault, ok := doc["vault"].(map[string]any)
	if !ok {
		return nil, nil
	}
	keys := make([]string, 0, len(vault))
	for k := range vault {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sets []TOMLSet
	listen := false
	for _, k := range keys {
		switch k {
		case "address", "listen-address", "listen_address", "laddr", "http-address", "http_address", "listen":
			if listen {
				continue
			}
			listen = true
			cur, _ := vault[k].(string)
			val := hostPort(port)
			if strings.Contains(cur, "://") {
				val = cur[:strings.Index(cur, "://")+3] + val
			}
			sets = append(sets, TOMLSet{[]string{"vault", k}, val})
		case "hospital":
			if hospital != "" {
				sets = append(sets, TOMLSet{[]string{"vault", k}, hospital})
			}
		case "hospital-key":
			// The node's keyring holds the validator's account key under
			// the validator's name: it signs replica tickets for gated
			// vaults.
			if hospital != "" && keyName != "" {
				sets = append(sets, TOMLSet{[]string{"vault", k}, keyName})
			}
		case "keyring-backend":
			if hospital != "" && keyName != "" {
				sets = append(sets, TOMLSet{[]string{"vault", k}, nodeKeyringBackend})
			}
		case "keyring-passphrase-file":
			if hospital != "" && keyName != "" {
				sets = append(sets, TOMLSet{[]string{"vault", k}, nodePassphraseFile})
			}
		}
	}
	return sets, nil
}

// configureClient writes the client home's client.toml.
func configureClient(home, chainID string, first Node) error {
	path := filepath.Join(home, "config", "client.toml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte("# medchaind client configuration\n"), 0o644); err != nil {
			return err
		}
	}
	_, err := editTOMLFile(path, []TOMLSet{
		{[]string{"chain-id"}, chainID},
		{[]string{"keyring-backend"}, clientBackend},
		{[]string{"node"}, "tcp://" + hostPort(first.Ports.RPC)},
	})
	return err
}

func editTOMLFile(path string, sets []TOMLSet) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, unknown, err := EditTOML(data, sets)
	if err != nil {
		return nil, err
	}
	return unknown, os.WriteFile(path, out, 0o644)
}
