package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
)

// BlockSource is where the follower reads blocks: a CometBFT RPC client
// (NewRPCSource), or a fake in tests.
type BlockSource interface {
	// Heights returns the earliest and latest heights whose results the
	// node can give.
	Heights(ctx context.Context) (earliest, latest int64, err error)
	// Events returns the events of the block at height: those of its
	// successful transactions and those of FinalizeBlock.
	Events(ctx context.Context, height int64) ([]abci.Event, error)
}

// Logger is what the follower logs through (the SDK logger fits).
type Logger interface {
	Info(msg string, keyvals ...any)
	Error(msg string, keyvals ...any)
}

// heightKey is where the follower keeps the last height it applied.
const heightKey = "follower-height"

// Follower applies the chain's record events to a vault's pins.
type Follower struct {
	store  *vault.Store
	source BlockSource
	log    Logger
	now    func() time.Time
	poll   time.Duration
	height atomic.Int64

	// onMissing, if set, hears of each CID an event pins that this vault
	// does not hold (the reconciler fetches it if it is placed here).
	onMissing func(c cid.Cid, recordID, version uint64)
}

// NewFollower follows source into store's pins.
func NewFollower(store *vault.Store, source BlockSource, log Logger) *Follower {
	return &Follower{store: store, source: source, log: log, now: time.Now, poll: time.Second}
}

// Height is the last block applied (0 before the first).
func (f *Follower) Height() int64 { return f.height.Load() }

// Run follows until ctx ends. Errors (a node not up yet, a restart) are
// logged and retried with backoff up to 30 s; it never busy-loops.
func (f *Follower) Run(ctx context.Context) error {
	if err := f.load(ctx); err != nil {
		return err
	}
	backoff := f.poll
	for {
		err := f.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			f.log.Error("vault: following the chain", "height", f.Height(), "err", err, "retry_in", backoff)
			backoff = min(2*backoff, 30*time.Second)
		default:
			backoff = f.poll
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

func (f *Follower) load(ctx context.Context) error {
	v, ok, err := f.store.Meta(ctx, heightKey)
	if err != nil || !ok {
		return err
	}
	if len(v) != 8 {
		return fmt.Errorf("vault: stored follower height is %d bytes, want 8", len(v))
	}
	f.height.Store(int64(binary.BigEndian.Uint64(v)))
	return nil
}

// Sync applies every block after the last one applied up to the latest,
// saving the height after each, and returns at the first error.
func (f *Follower) Sync(ctx context.Context) error {
	earliest, latest, err := f.source.Heights(ctx)
	if err != nil {
		return err
	}
	next := f.Height() + 1
	if next < earliest {
		if f.Height() > 0 {
			f.log.Error("vault: the node pruned blocks this vault has not seen; pins of records made meanwhile may be missing",
				"from", next, "to", earliest-1)
		}
		next = earliest
	}
	for h := next; h <= latest; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		events, err := f.source.Events(ctx, h)
		if errors.Is(err, ErrResultsNotYet) {
			return nil // the node has the block but not yet its results: next poll
		}
		if err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		actions, err := Actions(events)
		if err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		for _, a := range actions {
			if err := f.apply(ctx, h, a); err != nil {
				return fmt.Errorf("block %d: %w", h, err)
			}
		}
		if err := f.store.SetMeta(ctx, heightKey, binary.BigEndian.AppendUint64(nil, uint64(h))); err != nil {
			return err
		}
		f.height.Store(h)
	}
	return nil
}

func (f *Follower) apply(ctx context.Context, height int64, a Action) error {
	c, err := cid.Decode(a.CID)
	if err != nil {
		return fmt.Errorf("event CID %q: %w", a.CID, err)
	}
	if !a.Pin {
		_, err := f.store.Release(ctx, c, a.RecordID, f.now())
		if errors.Is(err, vault.ErrNotPinOwner) {
			// The chain lets a CID belong to one record only, so this is a
			// vault whose pins disagree with the chain: keep the payload
			// and say so; reconciliation with chain state settles it.
			f.log.Error("vault: a release by one record names a CID pinned for another; kept", "err", err, "height", height)
			return nil
		}
		return err
	}
	err = f.store.PinRecord(ctx, c, a.RecordID, a.Version)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		// Not (or not yet) in this vault: the reconciler counts the live
		// CIDs this vault lacks and reports them as an error with a metric.
		if f.onMissing != nil {
			f.onMissing(c, a.RecordID, a.Version)
		}
		return nil
	case err != nil:
		return err
	}
	f.log.Info("vault: pinned", "cid", a.CID, "record", a.RecordID, "version", a.Version, "height", height)
	return nil
}

// rpcSource reads blocks from a CometBFT RPC client.
type rpcSource struct{ c rpcclient.Client }

// NewRPCSource reads blocks through a CometBFT RPC client.
func NewRPCSource(c rpcclient.Client) BlockSource { return rpcSource{c} }

func (s rpcSource) Heights(ctx context.Context) (int64, int64, error) {
	st, err := s.c.Status(ctx)
	if err != nil {
		return 0, 0, err
	}
	return st.SyncInfo.EarliestBlockHeight, st.SyncInfo.LatestBlockHeight, nil
}

// ErrResultsNotYet is what a BlockSource returns for a block whose
// results the node has not saved yet: CometBFT reports the new height
// before it stores the block's results, so a follower asking at once would
// otherwise see an error and back off.
var ErrResultsNotYet = errors.New("the block's results are not saved yet")

func (s rpcSource) Events(ctx context.Context, height int64) ([]abci.Event, error) {
	res, err := s.c.BlockResults(ctx, &height)
	if err != nil && strings.Contains(err.Error(), "could not find results for height") {
		return nil, fmt.Errorf("block %d: %w", height, ErrResultsNotYet)
	}
	if err != nil {
		return nil, err
	}
	var events []abci.Event
	for _, tx := range res.TxsResults {
		if tx.Code != 0 {
			continue // a failed transaction's events were reverted
		}
		events = append(events, tx.Events...)
	}
	return append(events, res.FinalizeBlockEvents...), nil
}
