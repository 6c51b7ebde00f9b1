package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
)

// committed is what the tracker learns of a transaction from its block.
type committed struct {
	height    int64
	blockTime time.Time
	seenAt    time.Time // wall clock when the block was seen committed
	code      uint32
	codespace string
	log       string
	gasUsed   int64
	data      []byte
}

// pending is a broadcast transaction waiting for its block.
type pending struct {
	kind     msgKind
	stats    *phaseStats
	sentAt   time.Time
	onCommit func(committed)
	// dropped frees what the transaction held when it is given up on.
	dropped func()
}

// dropAfter is how long a transaction CheckTx accepted may stay out of
// every block before it is counted as dropped: a mempool removes a
// transaction whose account sequence a failed one before it left behind,
// and nothing would ever free its uploader's window slot.
const dropAfter = 60 * time.Second

// tracker follows committed blocks (NewBlockHeader events over websocket,
// with a status poll as a fallback), fetches each block and its results
// once, and hands every bench transaction it finds to its pending entry.
// Two RPC calls per block: it does not grow with the load.
type tracker struct {
	rpc *rpchttp.HTTP

	mu      sync.Mutex
	pending map[string]*pending
	times   map[int64]time.Time // header time of every block seen
	last    int64
	lastErr error
}

func newTracker(ctx context.Context, node string) (*tracker, error) {
	c, err := newRPC(node)
	if err != nil {
		return nil, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", node, err)
	}
	return &tracker{rpc: c, pending: map[string]*pending{}, times: map[int64]time.Time{}, last: st.SyncInfo.LatestBlockHeight}, nil
}

func (t *tracker) add(hash string, p *pending) {
	t.mu.Lock()
	t.pending[hash] = p
	t.mu.Unlock()
}

func (t *tracker) remove(hash string) {
	t.mu.Lock()
	delete(t.pending, hash)
	t.mu.Unlock()
}

// sent records when broadcast_tx_sync returned.
func (t *tracker) sent(hash string, at time.Time) {
	t.mu.Lock()
	if p, ok := t.pending[hash]; ok {
		p.sentAt = at
	}
	t.mu.Unlock()
}

func (t *tracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// run follows the chain until ctx ends.
func (t *tracker) run(ctx context.Context) {
	var events <-chan interface{}
	if err := t.rpc.Start(); err == nil {
		ch, err := t.rpc.Subscribe(ctx, "bench-chain", "tm.event='NewBlockHeader'", 1000)
		if err == nil {
			ev := make(chan interface{}, 1000)
			go func() {
				for e := range ch {
					ev <- e.Data
				}
			}()
			events = ev
		} else {
			fmt.Fprintf(os.Stderr, "bench-chain: no websocket subscription (%v); polling\n", err)
		}
		defer func() { _ = t.rpc.Stop() }()
	}
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-events:
			if h, ok := d.(cmttypes.EventDataNewBlockHeader); ok {
				t.catchUp(ctx, h.Header.Height, time.Now())
			}
		case <-poll.C:
			if st, err := t.rpc.Status(ctx); err == nil {
				t.catchUp(ctx, st.SyncInfo.LatestBlockHeight, time.Now())
			}
		}
	}
}

func (t *tracker) catchUp(ctx context.Context, height int64, seen time.Time) {
	for h := t.last + 1; h <= height; h++ {
		// The header event can come before the node has stored the
		// block's results: retry at once, keeping the time it was seen.
		var err error
		for try := 0; try < 100; try++ {
			if err = t.fetch(ctx, h, seen); err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			if ctx.Err() == nil {
				t.lastErr = err
				fmt.Fprintf(os.Stderr, "bench-chain: block %d: %v (retrying)\n", h, err)
			}
			return
		}
		t.mu.Lock()
		t.last = h
		t.mu.Unlock()
	}
}

func (t *tracker) fetch(ctx context.Context, h int64, seen time.Time) error {
	b, err := t.rpc.Block(ctx, &h)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.times[h] = b.Block.Time
	t.mu.Unlock()
	if len(b.Block.Txs) == 0 {
		return nil
	}
	r, err := t.rpc.BlockResults(ctx, &h)
	if err != nil {
		return err
	}
	if len(r.TxsResults) != len(b.Block.Txs) {
		return fmt.Errorf("%d txs but %d results", len(b.Block.Txs), len(r.TxsResults))
	}
	var done []func()
	t.mu.Lock()
	for i, tx := range b.Block.Txs {
		hash := txHash(tx)
		p, ok := t.pending[hash]
		if !ok {
			continue
		}
		delete(t.pending, hash)
		res := r.TxsResults[i]
		c := committed{height: h, blockTime: b.Block.Time, seenAt: seen, code: res.Code, codespace: res.Codespace,
			log: res.Log, gasUsed: res.GasUsed, data: res.Data}
		p.stats.committed(p, c)
		if p.onCommit != nil {
			cb := p.onCommit
			done = append(done, func() { cb(c) })
		}
	}
	for hash, p := range t.pending {
		if !p.sentAt.IsZero() && seen.Sub(p.sentAt) > dropAfter {
			delete(t.pending, hash)
			p.stats.fail(p.kind, "dropped", "", 0, fmt.Sprintf("in no block %s after CheckTx accepted it (removed from the mempool)", dropAfter))
			if p.dropped != nil {
				done = append(done, p.dropped)
			}
		}
	}
	t.mu.Unlock()
	for _, f := range done {
		f()
	}
	return nil
}

func (t *tracker) height() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// blockTime is the header time of height h, if the tracker saw it.
func (t *tracker) blockTime(h int64) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bt, ok := t.times[h]
	return bt, ok
}
