// Command bench-chain measures the committed transaction throughput of
// medchain with real signed transactions: independent uploaders, each its
// own account, RPC connection, goroutine and locally tracked sequence,
// register their encryption keys and then send an interleaved mix of
// MsgCreateRecord (a fresh CID, the record key wrapped for the uploader and
// bound to that CID), MsgSend and MsgGrantAccess (READ, one wrap for the
// grantee bound to the record's CID, id and key epoch 0).
//
// It prints a Markdown table and one JSON summary line (prefixed "JSON ").
//
//	go run ./scripts/bench-chain                      # fresh single-validator chain, 100 uploaders
//	go run ./scripts/bench-chain -prefill 100000      # the same after 100k records
//	go run ./scripts/bench-chain -mode remote \
//	   -nodes tcp://127.0.0.1:27001,tcp://127.0.0.1:27011,tcp://127.0.0.1:27021,tcp://127.0.0.1:27031 \
//	   -grpc 127.0.0.1:27002 -home .localnet/client -funder alice
//	go run ./scripts/bench-chain -check-qps           # also CheckAccess q/s over gRPC
//
// See scripts/bench-chain.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

type config struct {
	mode                                string
	bin, node, nodes, grpcAddrs, home   string
	funder, chainID, timeoutCommit, dir string
	hospital                            string
	portBase                            int
	uploaders, records, sends, grants   int
	presigned                           bool
	duration                            time.Duration
	checkQPS                            bool
	checkConcurrency                    int
	checkDuration                       time.Duration
	cpuProfile                          string
	cpuProfileSeconds                   int
	prefill, prefillAccounts, batch     int
	prefillTimeout                      time.Duration
	keep                                bool
	window                              int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.mode, "mode", "single", "single (start a fresh one-validator chain) or remote (an already running network)")
	flag.StringVar(&cfg.bin, "bin", "build/medchaind", "medchaind binary (single mode)")
	flag.IntVar(&cfg.portBase, "port-base", 28600, "single mode: first of 8 loopback ports (p2p, rpc +1, grpc +2, api +3, pprof +4, vault +5, abci +6, prometheus +7)")
	flag.StringVar(&cfg.timeoutCommit, "timeout-commit", "1s", "single mode: consensus timeout_commit (the localnet's is 1s)")
	flag.StringVar(&cfg.chainID, "chain-id", "medchain-bench-1", "single mode: chain id (remote mode asks the node)")
	flag.StringVar(&cfg.dir, "dir", "", "single mode: directory for the node (default: a temporary one, removed afterwards)")
	flag.BoolVar(&cfg.keep, "keep", false, "single mode: keep the node's directory")
	flag.StringVar(&cfg.node, "node", "tcp://127.0.0.1:27001", "remote mode: CometBFT RPC of the node that is followed for blocks")
	flag.StringVar(&cfg.nodes, "nodes", "", "remote mode: comma-separated RPC endpoints the uploaders are spread over (default: -node)")
	flag.StringVar(&cfg.grpcAddrs, "grpc", "127.0.0.1:27002", "remote mode: comma-separated gRPC endpoints (queries, simulation, CheckAccess)")
	flag.StringVar(&cfg.home, "home", ".localnet/client", "remote mode: client home holding -funder (keyring-backend test)")
	flag.StringVar(&cfg.funder, "funder", "alice", "remote mode: key that funds the bench accounts with bank multi-sends")
	flag.StringVar(&cfg.hospital, "hospital", "st-mary", "remote mode: key (in -home) of the ACTIVE hospital whose vault's upload receipts the benchmark signs")
	flag.IntVar(&cfg.uploaders, "uploaders", 100, "independent uploaders (one account, RPC connection and goroutine each)")
	flag.IntVar(&cfg.records, "records", 30, "MsgCreateRecord per uploader")
	flag.IntVar(&cfg.sends, "sends", 30, "MsgSend (1umed to another bench account) per uploader")
	flag.IntVar(&cfg.grants, "grants", 5, "MsgGrantAccess (READ on an own record) per uploader")
	flag.Func("broadcast", "how uploaders send: rpc (CometBFT broadcast_tx_sync, the default) or grpc (the SDK's tx service)", func(s string) error {
		switch s {
		case "rpc", "grpc":
			broadcastOverGRPC = s == "grpc"
			return nil
		}
		return fmt.Errorf("%q: use rpc or grpc", s)
	})
	flag.BoolVar(&cfg.presigned, "presigned", false, "sign every transaction first, then send them as fast as the window allows (grants, which need record ids, are signed when sent, last)")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Minute, "cap on the measured load: afterwards it stops and reports what it has")
	flag.BoolVar(&cfg.checkQPS, "check-qps", false, "after the load, measure CheckAccess over gRPC on bench records")
	flag.IntVar(&cfg.checkConcurrency, "check-concurrency", 32, "concurrent CheckAccess callers")
	flag.DurationVar(&cfg.checkDuration, "check-duration", 20*time.Second, "how long to run CheckAccess")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "single mode: save a CPU profile of the node during the load to this file (CometBFT pprof)")
	flag.IntVar(&cfg.cpuProfileSeconds, "cpuprofile-seconds", 30, "length of the CPU profile")
	flag.IntVar(&cfg.prefill, "prefill", 0, "records to create before the measured run (pre-signed batches from many accounts)")
	flag.IntVar(&cfg.prefillAccounts, "prefill-accounts", 200, "accounts the prefill spreads over")
	flag.IntVar(&cfg.batch, "prefill-batch", 10, "MsgCreateRecord per prefill transaction")
	flag.DurationVar(&cfg.prefillTimeout, "prefill-timeout", 60*time.Minute, "cap on the prefill")
	flag.IntVar(&cfg.window, "window", 50, "uncommitted txs per uploader (MsgCreateRecord txs are further held to max_records_per_owner_per_block)")
	flag.Var(setsFlag{&configSets}, "config", "single mode: set a config.toml key of the node, e.g. -config db_backend=pebbledb (repeatable)")
	flag.Var(setsFlag{&appSets}, "app-config", "single mode: set an app.toml key, e.g. -app-config app-db-backend=pebbledb (repeatable)")
	flag.IntVar(&recordsPerOwner, "records-per-owner", 0, "single mode: genesis max_records_per_owner_per_block (0: the default, 20)")
	flag.Var(envFlag{}, "node-env", "single mode: an environment variable of the node, e.g. -node-env GOGC=200 (repeatable)")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench-chain:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.uploaders < 2 {
		return fmt.Errorf("-uploaders must be at least 2 (sends and grants go to another bench account)")
	}
	cdc, txCfg, err := newCodecs()
	if err != nil {
		return err
	}
	c := &chain{cdc: cdc, txCfg: txCfg}

	// Accounts: the load's, two that probe gas, and the prefill's.
	load := make([]*account, cfg.uploaders)
	for i := range load {
		load[i] = newAccount()
	}
	probe := []*account{newAccount(), newAccount()}
	var pre []*account
	if cfg.prefill > 0 {
		n := cfg.prefillAccounts
		if n > cfg.prefill {
			n = cfg.prefill
		}
		pre = make([]*account, n)
		for i := range pre {
			pre[i] = newAccount()
		}
	}
	all := append(append(append([]*account{}, load...), probe...), pre...)

	var node *localNode
	var nodes []string
	var tracked string
	var funder *account
	switch cfg.mode {
	case "single":
		dir := cfg.dir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "bench-chain"); err != nil {
				return err
			}
			if !cfg.keep {
				defer os.RemoveAll(dir)
			}
		}
		bin, err := filepath.Abs(cfg.bin)
		if err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("no medchaind at %s: run `make build` or give -bin", bin)
		}
		logf("initialising a single-validator chain in %s (%d accounts in genesis)", dir, len(all))
		node, err = newLocalNode(ctx, bin, dir, cfg.portBase, cfg.chainID, cfg.timeoutCommit, all, 1_000_000_000)
		if err != nil {
			return err
		}
		defer node.stop()
		if err := node.start(ctx); err != nil {
			return err
		}
		logf("node up: rpc %s, grpc %s, vault http://%s, log %s", node.rpc, node.grpc, node.vault, node.logPath)
		kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, node.home, nil, cdc)
		if err != nil {
			return err
		}
		// The validator is the chain's one hospital: its vault would sign.
		if c.receipts, err = useReceiptKey(kr, "val"); err != nil {
			return err
		}
		nodes, tracked, c.chainID = []string{node.rpc}, node.rpc, cfg.chainID
		if err := c.dialGRPC([]string{node.grpc}); err != nil {
			return err
		}
	case "remote":
		tracked = cfg.node
		nodes = splitList(cfg.nodes)
		if len(nodes) == 0 {
			nodes = []string{cfg.node}
		}
		for _, n := range append([]string{tracked}, nodes...) {
			if !strings.Contains(n, "127.0.0.1") && !strings.Contains(n, "localhost") {
				return fmt.Errorf("%s: the benchmark only talks to 127.0.0.1", n)
			}
		}
		if err := c.dialGRPC(splitList(cfg.grpcAddrs)); err != nil {
			return err
		}
		rpc, err := newRPC(tracked)
		if err != nil {
			return err
		}
		st, err := rpc.Status(ctx)
		if err != nil {
			return fmt.Errorf("%s does not answer (is `make localnet` running?): %w", tracked, err)
		}
		c.chainID = st.NodeInfo.Network
		kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, cfg.home, nil, cdc)
		if err != nil {
			return err
		}
		rec, err := kr.Key(cfg.funder)
		if err != nil {
			return fmt.Errorf("funder %q in %s: %w", cfg.funder, cfg.home, err)
		}
		pub, err := rec.GetPubKey()
		if err != nil {
			return err
		}
		addr := sdk.AccAddress(pub.Address())
		funder = &account{signer: keyringSigner{kr: kr, uid: cfg.funder, pub: pub}, addr: addr, bech: addr.String()}
		if c.receipts, err = useReceiptKey(kr, cfg.hospital); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-mode %q: single or remote", cfg.mode)
	}

	// Encryption keys are bound to the chain, known only now.
	if err := parallel(all, 8, func(a *account) error { return a.deriveEncryptionKey(c.chainID) }); err != nil {
		return err
	}

	tr, err := newTracker(ctx, tracked)
	if err != nil {
		return err
	}
	trCtx, trStop := context.WithCancel(context.Background())
	defer trStop()
	go tr.run(trCtx)

	params, err := recordstypes.NewQueryClient(c.grpcConn(0)).Params(ctx, &recordstypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("records params: %w", err)
	}
	w := &world{c: c, tr: tr, nodes: nodes, maxPerBlock: int(params.Params.MaxRecordsPerOwnerPerBlock), accounts: load}
	for k := range w.gas {
		w.gas[k] = 2_000_000 // until the probe measured it
	}

	if funder != nil {
		if err := fund(ctx, w, funder, load, probe, pre); err != nil {
			return err
		}
	}
	if err := parallel(all, 16, func(a *account) error { return c.loadAccount(ctx, a, 0) }); err != nil {
		return err
	}
	if err := probeGas(ctx, w, probe); err != nil {
		return err
	}
	logf("gas limits (simulated ×1.3): register %d, create %d, send %d, grant %d; max_records_per_owner_per_block %d",
		w.gas[kindRegister], w.gas[kindCreate], w.gas[kindSend], w.gas[kindGrant], w.maxPerBlock)

	rep := report{Mode: cfg.mode, ChainID: c.chainID, Uploaders: cfg.uploaders, Nodes: len(nodes), Presigned: cfg.presigned,
		Plan: fmt.Sprintf("%d records, %d sends, %d grants per uploader", cfg.records, cfg.sends, cfg.grants)}

	if cfg.prefill > 0 {
		ps := newPhase("prefill")
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, cfg.prefillTimeout)
		var us []*uploader
		for i, a := range pre {
			u, err := newUploader(w, a, i, ps, cfg.window, capped(w.maxPerBlock, cfg.batch))
			if err != nil {
				cancel()
				return err
			}
			us = append(us, u)
		}
		logf("prefill: %d records from %d accounts, %d per tx, pre-signed", cfg.prefill, len(pre), cfg.batch)
		per, extra := cfg.prefill/len(pre), cfg.prefill%len(pre)
		var wg sync.WaitGroup
		for i, u := range us {
			p := plan{records: per, batch: cfg.batch, presigned: true, register: true}
			if i < extra {
				p.records++
			}
			wg.Add(1)
			go func(u *uploader, p plan) {
				defer wg.Done()
				if err := u.run(pctx, p); err != nil {
					ps.fail(kindCreate, "client", "", 0, err.Error())
				}
			}(u, p)
		}
		wg.Wait()
		cancel()
		rep.Prefill = &prefillReport{Requested: cfg.prefill, Records: w.recordCount(), Seconds: time.Since(start).Seconds(),
			Failures: failureList(ps)}
		logf("prefill: %d records on chain in %s", rep.Prefill.Records, time.Since(start).Round(time.Second))
	}

	var sizeBefore int64
	if node != nil {
		sizeBefore = node.appDBSize()
	}

	// The measured load.
	ls := newPhase("load")
	var us []*uploader
	for i, a := range load {
		u, err := newUploader(w, a, i, ls, cfg.window, capped(w.maxPerBlock, 1))
		if err != nil {
			return err
		}
		us = append(us, u)
	}
	lctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var profWG sync.WaitGroup
	if cfg.cpuProfile != "" && node != nil {
		profWG.Add(1)
		go func() {
			defer profWG.Done()
			secs := cfg.cpuProfileSeconds
			if err := fetchProfile(lctx, node.pprof, secs, cfg.cpuProfile); err != nil {
				logf("cpu profile: %v", err)
			} else {
				rep.CPUProfile = cfg.cpuProfile
				logf("cpu profile (%ds) saved to %s", secs, cfg.cpuProfile)
			}
		}()
	}
	recordsBefore := w.recordCount()
	logf("load: %d uploaders over %d node(s), %s%s, cap %s", cfg.uploaders, len(nodes), rep.Plan,
		map[bool]string{true: ", pre-signed", false: ""}[cfg.presigned], cfg.duration)
	start := time.Now()
	progressDone := make(chan struct{})
	go progress(lctx, ls, tr, progressDone)
	runAll(lctx, us, plan{records: cfg.records, sends: cfg.sends, grants: cfg.grants, presigned: cfg.presigned, register: true})
	close(progressDone)
	rep.WallSeconds = time.Since(start).Seconds()
	rep.TimedOut = lctx.Err() != nil && ctx.Err() == nil
	profWG.Wait()
	for _, u := range us {
		rep.GrantsSkipped += u.skipped
	}
	rep.InFlightAtEnd = tr.inFlight()
	rep.fill(ls, tr.blockTime)

	if cfg.checkQPS {
		rep.Check = checkAccess(ctx, w, cfg.checkConcurrency, cfg.checkDuration)
	}
	if node != nil {
		node.stop()
		sizeAfter := node.appDBSize()
		newRecords := w.recordCount() - recordsBefore
		rep.State = &stateReport{BeforeBytes: sizeBefore, AfterBytes: sizeAfter, Records: newRecords}
		if n := rep.Kinds[kindCreate.String()]; n != nil && n.OK > 0 {
			rep.State.Records = n.OK
			rep.State.BytesPerRecord = float64(sizeAfter-sizeBefore) / float64(n.OK)
		}
	}
	rep.print(os.Stdout)
	return nil
}

// progress logs what the load has done every 10 s.
func progress(ctx context.Context, s *phaseStats, tr *tracker, done <-chan struct{}) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			s.mu.Lock()
			var sent, ok, failed int
			for _, k := range s.kinds {
				sent += k.broadcast
				ok += k.ok
				failed += k.deliverFailed + k.checkFailed
			}
			s.mu.Unlock()
			logf("load: %d broadcast, %d committed ok, %d failed, %d in flight, height %d", sent, ok, failed, tr.inFlight(), tr.height())
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parallel runs f on every account with n workers.
func parallel(as []*account, n int, f func(*account) error) error {
	ch := make(chan *account)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var first error
			for a := range ch {
				if err := f(a); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for _, a := range as {
		ch <- a
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// waitCommit submits it from u and waits for its block.
func waitCommit(ctx context.Context, u *uploader, it item, timeout time.Duration) (committed, error) {
	ch := make(chan committed, 1)
	inner := it.onCommit
	it.onCommit = func(c committed) {
		if inner != nil {
			inner(c)
		}
		ch <- c
	}
	if err := u.submit(ctx, it); err != nil {
		return committed{}, err
	}
	select {
	case c := <-ch:
		if c.code != 0 {
			return c, fmt.Errorf("%s failed in block %d: %s", it.kind, c.height, c.log)
		}
		return c, nil
	case <-time.After(timeout):
		u.stats.mu.Lock()
		defer u.stats.mu.Unlock()
		for k, f := range u.stats.failures {
			return committed{}, fmt.Errorf("%s was not committed within %s (%s: %s)", it.kind, timeout, k, f.sample)
		}
		return committed{}, fmt.Errorf("%s was not committed within %s", it.kind, timeout)
	case <-ctx.Done():
		return committed{}, ctx.Err()
	}
}

func adjusted(gas uint64) uint64 { return gas*13/10 + 10_000 }

// probeGas simulates each message type once with two accounts of its own
// (registering their keys and creating a record first) and sets the gas
// limits to 1.3× the simulated gas.
func probeGas(ctx context.Context, w *world, probe []*account) error {
	ps := newPhase("probe")
	a, err := newUploader(w, probe[0], 0, ps, 4, 4)
	if err != nil {
		return err
	}
	b, err := newUploader(w, probe[1], 0, ps, 4, 4)
	if err != nil {
		return err
	}
	regA, err := waitCommit(ctx, a, a.registerItem(), time.Minute)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if _, err := waitCommit(ctx, b, b.registerItem(), time.Minute); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	w.gas[kindRegister] = adjusted(uint64(regA.gasUsed))
	send := banktypes.NewMsgSend(a.a.addr, b.a.addr, sdk.NewCoins(sdk.NewInt64Coin("umed", 1)))
	g, err := w.c.simulate(ctx, a.a, send)
	if err != nil {
		return fmt.Errorf("simulating MsgSend: %w", err)
	}
	w.gas[kindSend] = adjusted(g)
	create, err := a.createItem(1)
	if err != nil {
		return err
	}
	if g, err = w.c.simulate(ctx, a.a, create.msgs...); err != nil {
		return fmt.Errorf("simulating MsgCreateRecord: %w", err)
	}
	w.gas[kindCreate] = adjusted(g)
	if _, err := waitCommit(ctx, a, create, time.Minute); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	grant, ok, err := a.grantItem()
	if err != nil || !ok {
		return fmt.Errorf("probe: no grant to simulate (%v)", err)
	}
	if g, err = w.c.simulate(ctx, a.a, grant.msgs...); err != nil {
		return fmt.Errorf("simulating MsgGrantAccess: %w", err)
	}
	w.gas[kindGrant] = adjusted(g)
	// The probe accounts are no grantees of the load.
	w.regMu.Lock()
	w.registered = nil
	w.regMu.Unlock()
	w.recMu.Lock()
	w.records = nil
	w.recMu.Unlock()
	return nil
}

// fund sends every bench account its coins from the funder, in
// multi-sends of at most 200 outputs.
func fund(ctx context.Context, w *world, funder *account, groups ...[]*account) error {
	if err := w.c.loadAccount(ctx, funder, 0); err != nil {
		return fmt.Errorf("funder: %w", err)
	}
	var outs []banktypes.Output
	for gi, g := range groups {
		amount := int64(10_000_000)
		if gi == 2 {
			amount = 1_000_000 // prefill accounts pay no fees and send nothing
		}
		for _, a := range g {
			outs = append(outs, banktypes.Output{Address: a.bech, Coins: sdk.NewCoins(sdk.NewInt64Coin("umed", amount))})
		}
	}
	fs := newPhase("funding")
	u, err := newUploader(w, funder, 0, fs, 8, 8)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for i := 0; i < len(outs); i += 200 {
		chunk := outs[i:min(i+200, len(outs))]
		total := sdk.NewCoins()
		for _, o := range chunk {
			total = total.Add(o.Coins...)
		}
		msg := banktypes.NewMsgMultiSend(banktypes.NewInput(funder.addr, total), chunk)
		if w.gas[kindFund] == 2_000_000 {
			g, err := w.c.simulate(ctx, funder, msg)
			if err != nil {
				return fmt.Errorf("simulating the funding multi-send: %w", err)
			}
			w.gas[kindFund] = adjusted(g) * 2 // later chunks create as many accounts
		}
		wg.Add(1)
		if err := u.submit(ctx, item{kind: kindFund, msgs: []sdk.Msg{msg}, onCommit: func(c committed) {
			defer wg.Done()
			if c.code != 0 {
				mu.Lock()
				failed = append(failed, c.log)
				mu.Unlock()
			}
		}}); err != nil {
			return err
		}
	}
	logf("funding %d accounts from %s (%s)", len(outs), funder.bech, "waiting for the blocks")
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("the funding multi-sends were not committed within 2m: %v", failureList(fs))
	case <-ctx.Done():
		return ctx.Err()
	}
	if len(failed) > 0 {
		return fmt.Errorf("funding failed: %s", failed[0])
	}
	return nil
}

// fetchProfile saves a CPU profile of the node from CometBFT's pprof.
func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof answered %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkAccess runs CheckAccess (READ) over gRPC on bench records: the
// owner, or a READ grantee, as the asker.
func checkAccess(ctx context.Context, w *world, workers int, d time.Duration) *checkReport {
	w.recMu.Lock()
	recs := append([]benchRecord(nil), w.records...)
	w.recMu.Unlock()
	if len(recs) == 0 {
		return &checkReport{Error: "no committed bench records"}
	}
	logf("CheckAccess: %d callers for %s over %d gRPC endpoint(s), %d records", workers, d, len(w.c.grpcs), len(recs))
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	allowed, errs := 0, 0
	errSample := ""
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			qc := accesstypes.NewQueryClient(w.c.grpcConn(i))
			var mine []time.Duration
			ok, bad := 0, 0
			sample := ""
			for n := i; cctx.Err() == nil; n += workers {
				r := recs[(n*7919)%len(recs)]
				who := r.owner
				if r.grantee != "" {
					who = r.grantee
				}
				t0 := time.Now()
				resp, err := qc.CheckAccess(cctx, &accesstypes.QueryCheckAccessRequest{RecordId: r.id, Grantee: who, Permission: accesstypes.PermissionRead})
				if cctx.Err() != nil {
					break
				}
				mine = append(mine, time.Since(t0))
				if err != nil {
					bad++
					if sample == "" {
						sample = err.Error()
					}
				} else if resp.Allowed {
					ok++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			allowed += ok
			errs += bad
			if errSample == "" {
				errSample = sample
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	return &checkReport{Queries: len(lat), QPS: float64(len(lat)) / secs, P50Ms: msf(percentile(lat, 0.5)), P99Ms: msf(percentile(lat, 0.99)),
		Allowed: allowed, Errors: errs, ErrorSample: firstN(errSample, 200), Concurrency: workers, Seconds: secs}
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func failureList(s *phaseStats) []failureReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []failureReport
	for k, f := range s.failures {
		out = append(out, failureReport{Reason: k, Count: f.count, Sample: f.sample})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}
