package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/medchain/medchain/lightclient"
	"github.com/medchain/medchain/portal"
	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
)

// Run serves the vault of cfg (its store under home) until ctx ends. With
// FollowChain, rpcAddr is the CometBFT RPC endpoint to follow (for
// example tcp://127.0.0.1:26657). The listener is opened before Run
// returns an error or starts serving, so a port in use fails at once.
func Run(ctx context.Context, cfg Config, home, rpcAddr string, log Logger) error {
	return RunWith(ctx, cfg, home, rpcAddr, nil, nil, nil, log)
}

// RunWith is Run, reading blocks and chain state through chain when it is
// not nil: the node's in-process client when the vault runs inside
// `medchaind start`, which spares every block's results a round trip
// through JSON and HTTP. The access and upload gates keep their own RPC
// clients (the light gate must not trust an in-process answer more than
// any other). A custodian, when not nil, runs beside the vault, and its
// releases are counted in the vault's metrics.
func RunWith(ctx context.Context, cfg Config, home, rpcAddr string, chain rpcclient.Client, custodian *Custodian, voucher *Voucher, log Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	store, err := vault.Open(cfg.Dir(home))
	if err != nil {
		return fmt.Errorf("vault: open %s: %w", cfg.Dir(home), err)
	}
	defer store.Close()
	store.SetLogger(log)
	// The hospital's key, opened (and its passphrase read) once: it signs
	// replica tickets and upload receipts.
	hospitalKR, err := nodeHospitalKeyring(cfg, home, custodian, log)
	if err != nil {
		return err
	}

	var (
		follower   *Follower
		reconciler *Reconciler
		// chainID is learnt from the node once it answers (it may still be
		// starting); tickets of every kind are bound to it.
		chainID   atomic.Pointer[string]
		onChainID []func(string)
		// chainState answers chain queries when the vault follows a chain.
		chainState ChainState
	)
	if cfg.FollowChain {
		c := chain
		if c == nil {
			if c, err = rpchttp.New(rpcAddr, "/websocket"); err != nil {
				return fmt.Errorf("vault: chain RPC %q: %w", rpcAddr, err)
			}
		}
		follower = NewFollower(store, NewRPCSource(c), log)
		peers := NewHTTPPeers(&http.Client{Transport: http.DefaultTransport})
		peers.Ticket = replicaTicketer(cfg, hospitalKR)
		peers.ChainID = func() string {
			if p := chainID.Load(); p != nil {
				return *p
			}
			return ""
		}
		chainState = NewRPCChainState(c)
		reconciler = NewReconciler(store, chainState, peers, log)
		if reconciler.Self, err = cfg.HospitalAddress(); err != nil {
			return err
		}
		follower.onMissing = reconciler.Enqueue
	}
	srvCfg := vault.Config{MaxUploadBytes: cfg.MaxUploadSize, Logger: log, ChainPins: cfg.FollowChain}
	// The ticket nonce stores, by kind of ticket, for the metrics.
	replays := map[string]*gate.ReplayStore{}
	accessGate, readNonces, closeGate, err := openGate(ctx, cfg, home, rpcAddr, store)
	if err != nil {
		return err
	}
	defer closeGate()
	if accessGate != nil {
		srvCfg.Gate = accessGate
		onChainID = append(onChainID, accessGate.SetChainID)
		replays["read"] = readNonces
	}
	if follower != nil {
		srvCfg.Status = func() map[string]any { return map[string]any{"chain_height": follower.Height()} }
	}
	if cfg.UploadAuth == UploadAuthTicket {
		up, uploadNonces, closeUp, err := openUploadGate(ctx, cfg, home, rpcAddr, store, log)
		if err != nil {
			return err
		}
		defer closeUp()
		srvCfg.UploadGate = up
		replays["upload"] = uploadNonces
		onChainID = append(onChainID, up.SetChainID)
		if srvCfg.Receipts, err = receiptSigner(cfg, hospitalKR); err != nil {
			return err
		}
		if srvCfg.Receipts == nil {
			log.Info("vault: WARNING: no [vault] hospital-key, so uploads get no receipt and no record can be registered through this vault; " +
				"set hospital and hospital-key to the hospital's account")
		}
	}
	go learnChainID(ctx, lightclient.HTTPAddress(rpcAddr), func(id string) {
		chainID.Store(&id)
		for _, set := range onChainID {
			set(id)
		}
	})
	handler := vault.NewServer(store, srvCfg)
	monitor := newStoreMonitor(cfg.Dir(home), log)
	gcm := newGCMetrics()
	releases := newReleaseMetrics()
	if custodian != nil {
		custodian.metrics = releases
	}
	reg := vault.Registry(handler)
	reg.MustRegister(monitor.collectors()...)
	reg.MustRegister(gcm.collectors()...)
	reg.MustRegister(releases.collectors()...)
	reg.MustRegister(replayCollectors(replays)...)
	if accessGate != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "vault_gate_stranger_refusals_suppressed_total",
			Help: "Refusals of non-parties counted but not written to access-strangers.log (their signers over 100 an hour).",
		}, func() float64 { return float64(accessGate.StrangersSuppressed()) }))
	}
	if follower != nil {
		vault.Registry(handler).MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_chain_height",
			Help: "The last chain block whose record events the vault applied to its pins.",
		}, func() float64 { return float64(follower.Height()) }))
		vault.Registry(handler).MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vault_missing_live_cids",
				Help: "Live record CIDs (on chain, at the last reconciliation) whose payload this vault lacks.",
			}, func() float64 { return float64(reconciler.Missing()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vault_live_cids",
				Help: "Live record CIDs on chain at the last reconciliation.",
			}, func() float64 { return float64(reconciler.Live()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vault_under_replicated",
				Help: "Live record CIDs placed on this vault's hospital that it does not hold yet (0 when it holds all its replicas).",
			}, func() float64 { return float64(reconciler.Missing()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "vault_repair_bytes_total",
				Help: "CAR bytes fetched from other vaults to hold the replicas placed here.",
			}, func() float64 { return float64(reconciler.RepairBytes()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vault_replication_lag_seconds",
				Help: "How long the longest-missing replica placed on this vault has been missing (0 when none is).",
			}, func() float64 { return reconciler.Lag().Seconds() }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vault_reconcile_last_success_timestamp_seconds",
				Help: "When the pins were last reconciled against chain state (unix seconds; 0 never).",
			}, func() float64 {
				if t := reconciler.LastSuccess(); !t.IsZero() {
					return float64(t.Unix())
				}
				return 0
			}),
		)
	}

	if voucher != nil && accessGate != nil {
		voucher.gate = accessGate
		mux := http.NewServeMux()
		mux.Handle("POST "+PseudonymPath, voucher)
		mux.Handle("/", handler)
		handler = mux
	}
	if cfg.Portal {
		var peers func() []string
		if chainState != nil {
			peers = cachedVaults(chainState, log)
		}
		handler = withPortal(handler, cfg, rpcAddr, peers, func() string {
			if p := chainID.Load(); p != nil {
				return *p
			}
			return ""
		})
	}

	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return fmt.Errorf("vault: listen on %s ([vault] address): %w", cfg.Address, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10, IdleTimeout: 2 * time.Minute}
	log.Info("vault: serving", "address", "http://"+ln.Addr().String(), "store", cfg.Dir(home),
		"follow_chain", cfg.FollowChain, "max_upload_size", cfg.MaxUploadSize)

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("vault: serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
	if follower != nil {
		g.Go(func() error { return follower.Run(ctx) })
		g.Go(func() error { return reconcileLoop(ctx, reconciler, cfg.ReconcileInterval, cfg.MaxUploadSize, log) })
	}
	if cfg.GCInterval > 0 {
		g.Go(func() error { return gcLoop(ctx, store, reconciler, cfg, gcm, log) })
	}
	g.Go(func() error { return monitor.run(ctx, storeCheckInterval) })
	if custodian != nil {
		g.Go(func() error { return custodian.Run(ctx) })
	}
	return g.Wait()
}

// withPortal serves the web portal at portal.Prefix beside the vault.
func withPortal(vaultHandler http.Handler, cfg Config, rpcAddr string, peers func() []string, chainID func() string) http.Handler {
	denom := strings.TrimLeft(cfg.GasPrice, "0123456789.")
	if i := strings.IndexByte(denom, ','); i >= 0 {
		denom = denom[:i]
	}
	gasPrice := cfg.GasPrice
	if i := strings.IndexByte(gasPrice, ','); i >= 0 {
		gasPrice = gasPrice[:i]
	}
	mux := http.NewServeMux()
	mux.Handle(portal.Prefix, portal.Handler(portal.Config{
		ChainID: chainID, RPC: rpcAddr, GasPrice: gasPrice, Denom: denom,
		Bech32Prefix: sdk.GetConfig().GetBech32AccountAddrPrefix(), REST: cfg.APIAddress, PeerVaults: peers,
	}))
	mux.Handle("/portal", http.RedirectHandler(portal.Prefix, http.StatusMovedPermanently))
	mux.Handle("/", vaultHandler)
	return mux
}

// cachedVaults returns the vault URLs registered on chain, asked at most
// every 30 s (the portal's CSP names them on every page load).
func cachedVaults(chain ChainState, log Logger) func() []string {
	var (
		mu    sync.Mutex
		urls  []string
		asked time.Time
	)
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(asked) < 30*time.Second {
			return urls
		}
		asked = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		vaults, _, err := chain.Vaults(ctx)
		if err != nil {
			log.Error("portal: listing the hospitals' vaults", "err", err)
			return urls
		}
		urls = urls[:0:0]
		for _, v := range vaults {
			urls = append(urls, v.VaultURL)
		}
		return urls
	}
}

// storeCheckInterval is how often the store's directory and free space
// are checked for the metrics.
const storeCheckInterval = 30 * time.Second

// reconcileLoop reconciles at start (retrying until the node answers) and
// then every interval, fetching after each pass the replicas placed here
// that the vault lacks; between passes it fetches at once what a new
// record's event asks for (Reconciler.Enqueue).
func reconcileLoop(ctx context.Context, r *Reconciler, interval time.Duration, maxBytes int64, log Logger) error {
	wait := time.Second
	for {
		res, err := r.Reconcile(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Error("vault: reconciling pins with chain state", "err", err, "retry_in", wait)
			wait = min(2*wait, interval)
		default:
			wait = interval
			if len(res.Missing) > 0 {
				r.Repair(ctx, res.Missing, maxBytes)
			}
		}
		timer := time.NewTimer(wait)
	idle:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil
			case m := <-r.Queue():
				if held, err := r.store.Has(ctx, m.CID); err == nil && !held {
					r.Repair(ctx, []Repair{m}, maxBytes)
				}
			case <-timer.C:
				break idle
			}
		}
	}
}

// gcLoop collects unpinned blocks every GCInterval. With a reconciler, it
// first reconciles the pins with chain state and keeps every live CID; if
// that fails, or the node is still catching up (its state would not list
// the newest records), it collects nothing: a live payload is never
// collected because the vault could not tell that it was live.
func gcLoop(ctx context.Context, store *vault.Store, r *Reconciler, cfg Config, m *gcMetrics, log Logger) error {
	t := time.NewTicker(cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n, err := collect(ctx, store, r, cfg.GCGrace)
			if ctx.Err() != nil {
				return nil
			}
			m.record(n, err, time.Now())
			if err != nil {
				log.Error("vault: garbage collection", "err", err)
				continue
			}
			if n > 0 {
				log.Info("vault: garbage collected", "blocks", n)
			}
		}
	}
}

// collect runs one garbage collection, after a reconciliation when r is set.
func collect(ctx context.Context, store *vault.Store, r *Reconciler, grace time.Duration) (int, error) {
	if r == nil {
		return store.GC(ctx, time.Now(), grace)
	}
	res, err := r.Reconcile(ctx)
	if err != nil {
		return 0, fmt.Errorf("skipped, chain state unavailable: %w", err)
	}
	if !res.Synced {
		return 0, errCatchingUp
	}
	return store.GC(ctx, time.Now(), grace, res.Keep...)
}

// openUploadGate builds the gate of ticket uploads: tickets bound to this
// chain (SetChainID, once the node tells it) and this vault's id, nonces kept in the store's directory, uploaders checked
// against the node's x/access.
func openUploadGate(ctx context.Context, cfg Config, home, rpcAddr string, store *vault.Store, log Logger) (*gate.UploadGate, *gate.ReplayStore, func(), error) {
	rpc := lightclient.HTTPAddress(rpcAddr)
	keys, err := gate.NewNodeChecker(rpc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vault upload gate: %w", err)
	}
	id, err := store.ID(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	replay, err := gate.OpenReplayStore(filepath.Join(cfg.Dir(home), "upload-nonces"), 0)
	if err != nil {
		return nil, nil, nil, err
	}
	gate := gate.NewUploadGate(keys, replay, "", id, gate.Quota{
		BytesPerDay: cfg.UploadQuotaBytesPerDay, Concurrent: cfg.UploadMaxConcurrent,
	})
	return gate, replay, func() { replay.Close() }, nil
}
