package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/lightclient"
	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	"github.com/medchain/medchain/x/records/placement"
)

// openGate builds the access gate cfg asks for (nil when off), with its
// decision log in the store's directory.
// The gate's nonce store is returned for the metrics.
func openGate(ctx context.Context, cfg Config, home, rpcAddr string, store *vault.Store) (*gate.Gate, *gate.ReplayStore, func(), error) {
	if cfg.AccessGate == "" || cfg.AccessGate == GateOff {
		return nil, nil, func() {}, nil
	}
	rpc := lightclient.HTTPAddress(rpcAddr)
	var checker gate.Checker
	closeFn := func() {}
	switch cfg.AccessGate {
	case GateNode:
		c, err := gate.NewNodeChecker(rpc)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("vault access gate: %w", err)
		}
		checker = c
	case GateLight:
		hash, err := hex.DecodeString(cfg.GateTrustHash)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("[vault] gate-trust-hash: %w", err)
		}
		witnesses := make([]string, len(cfg.GateWitnesses))
		for i, w := range cfg.GateWitnesses {
			witnesses[i] = lightclient.HTTPAddress(w)
		}
		// The node's RPC may not be up yet when the vault starts: the
		// light client is made on the first read, and again after a
		// failure.
		lazy := &lazyLight{make: func(ctx context.Context) (*lightclient.Client, error) {
			chainID, err := lightclient.ChainID(ctx, rpc)
			if err != nil {
				return nil, err
			}
			return lightclient.New(ctx, lightclient.Config{
				ChainID: chainID, Primary: rpc, Witnesses: witnesses, Dir: filepath.Join(cfg.Dir(home), "light"),
				Trust:        lightclient.TrustOptions{Height: cfg.GateTrustHeight, Hash: hash, Period: cfg.GateTrustPeriod},
				MaxHeaderAge: cfg.GateMaxHeaderAge,
			})
		}}
		checker, closeFn = lazy, lazy.close
	}
	log, err := gate.OpenLog(filepath.Join(cfg.Dir(home), "access.log"))
	if err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	id, err := store.ID(ctx)
	if err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	// Refusals of readers who are not parties to a record are kept apart,
	// bounded, so that no flood of them crowds an owner's log.
	strangers, err := gate.OpenStrangerLog(filepath.Join(cfg.Dir(home), "access-strangers.log"), gate.StrangerLimits{})
	if err != nil {
		log.Close()
		closeFn()
		return nil, nil, nil, err
	}
	replay, err := gate.OpenReplayStore(filepath.Join(cfg.Dir(home), "read-nonces"), 0)
	if err != nil {
		log.Close()
		strangers.Close()
		closeFn()
		return nil, nil, nil, err
	}
	g := gate.NewBound(checker, log, strangers, replay, id)
	return g, replay, func() { log.Close(); strangers.Close(); replay.Close(); closeFn() }, nil
}

// learnChainID asks the node for the chain id until it answers (it may
// still be starting), then hands it to set.
func learnChainID(ctx context.Context, rpc string, set func(string)) {
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		if chainID, err := lightclient.ChainID(ctx, rpc); err == nil {
			set(chainID)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// lazyLight is a light-client checker made on first use (and again after
// a failure to make one). Checks run concurrently: the light client
// serialises only its header syncs.
type lazyLight struct {
	make func(context.Context) (*lightclient.Client, error)
	mu   sync.Mutex // guards lc
	lc   *lightclient.Client
}

func (l *lazyLight) checker(ctx context.Context) (*gate.LightChecker, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lc == nil {
		lc, err := l.make(ctx)
		if err != nil {
			return nil, fmt.Errorf("light client: %w", err)
		}
		l.lc = lc
	}
	return gate.NewLightChecker(l.lc), nil
}

// Check implements gate.Checker.
func (l *lazyLight) Check(ctx context.Context, recordID, version uint64, reader string) (gate.Verdict, error) {
	c, err := l.checker(ctx)
	if err != nil {
		return gate.Verdict{}, err
	}
	return c.Check(ctx, recordID, version, reader)
}

// Replica implements gate.Checker.
func (l *lazyLight) Replica(ctx context.Context, hospital string, id cid.Cid) (gate.ReplicaVerdict, error) {
	c, err := l.checker(ctx)
	if err != nil {
		return gate.ReplicaVerdict{}, err
	}
	return c.Replica(ctx, hospital, id)
}

// Vaults implements gate.Checker.
func (l *lazyLight) Vaults(ctx context.Context) ([]placement.Replica, int, error) {
	c, err := l.checker(ctx)
	if err != nil {
		return nil, 0, err
	}
	return c.Vaults(ctx)
}

// ArchiveAllowed implements gate.Checker.
func (l *lazyLight) ArchiveAllowed(ctx context.Context, recordID uint64) (bool, string, error) {
	c, err := l.checker(ctx)
	if err != nil {
		return false, "", err
	}
	return c.ArchiveAllowed(ctx, recordID)
}

// ActiveHospital implements gate.Checker.
func (l *lazyLight) ActiveHospital(ctx context.Context, addr string) (bool, string, error) {
	c, err := l.checker(ctx)
	if err != nil {
		return false, "", err
	}
	return c.ActiveHospital(ctx, addr)
}

func (l *lazyLight) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lc != nil {
		l.lc.Close()
	}
}
