package vaultnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/medchain/medchain/vault"
)

// Run serves the vault of cfg (its store under home) until ctx ends. With
// FollowChain, rpcAddr is the CometBFT RPC endpoint to follow (for
// example tcp://127.0.0.1:26657). The listener is opened before Run
// returns an error or starts serving, so a port in use fails at once.
func Run(ctx context.Context, cfg Config, home, rpcAddr string, log Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	store, err := vault.Open(cfg.Dir(home))
	if err != nil {
		return fmt.Errorf("vault: open %s: %w", cfg.Dir(home), err)
	}
	defer store.Close()

	var follower *Follower
	if cfg.FollowChain {
		c, err := rpchttp.New(rpcAddr, "/websocket")
		if err != nil {
			return fmt.Errorf("vault: chain RPC %q: %w", rpcAddr, err)
		}
		follower = NewFollower(store, NewRPCSource(c), log)
	}
	srvCfg := vault.Config{MaxUploadBytes: cfg.MaxUploadSize, Logger: log, ChainPins: cfg.FollowChain}
	gate, closeGate, err := openGate(ctx, cfg, home, rpcAddr)
	if err != nil {
		return err
	}
	defer closeGate()
	if gate != nil {
		srvCfg.Gate = gate
	}
	if follower != nil {
		srvCfg.Status = func() map[string]any { return map[string]any{"chain_height": follower.Height()} }
	}
	handler := vault.NewServer(store, srvCfg)
	if follower != nil {
		vault.Registry(handler).MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_chain_height",
			Help: "The last chain block whose record events the vault applied to its pins.",
		}, func() float64 { return float64(follower.Height()) }))
	}

	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return fmt.Errorf("vault: listen on %s ([vault] address): %w", cfg.Address, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
	}
	if cfg.GCInterval > 0 {
		g.Go(func() error { return gcLoop(ctx, store, cfg, log) })
	}
	return g.Wait()
}

// gcLoop collects unpinned blocks every GCInterval.
func gcLoop(ctx context.Context, store *vault.Store, cfg Config, log Logger) error {
	t := time.NewTicker(cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n, err := store.GC(ctx, time.Now(), cfg.GCGrace)
			if err != nil && ctx.Err() == nil {
				log.Error("vault: garbage collection", "err", err)
				continue
			}
			if n > 0 {
				log.Info("vault: garbage collected", "blocks", n)
			}
		}
	}
}
