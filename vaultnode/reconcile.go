package vaultnode

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/vault"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// ChainState is what a vault reads of the chain's current state (not of
// its event stream): the live CIDs and what became of one CID.
type ChainState interface {
	// LiveCIDs calls fn with every live CID (a version, at the current
	// key epoch, of an ACTIVE record), a page at a time.
	LiveCIDs(ctx context.Context, fn func([]recordstypes.LiveCid) error) error
	// CIDStatus says which record version c belongs to and whether it is
	// live; found is false when no record ever used it.
	CIDStatus(ctx context.Context, c cid.Cid) (status recordstypes.QueryByCidResponse, found bool, err error)
	// Synced reports whether the node has caught up with the network, so
	// that its state is the chain's current one.
	Synced(ctx context.Context) (bool, error)
}

// Reconciliation is what one pass found.
type Reconciliation struct {
	Live     int       // live CIDs on chain
	Held     int       // of which this vault holds the root
	Missing  []cid.Cid // live CIDs this vault lacks
	Released int       // pins let go because the chain released their CID
	Keep     []cid.Cid // the live CIDs held here, for GC to keep
	Synced   bool      // the node had caught up when the pass ran
}

// Reconciler makes a vault's pins agree with chain state: every live CID
// it holds is pinned for its record version, and every pin whose CID the
// chain released is let go. Events can be missed (a restart, a lagging
// follower, blocks the node pruned); state cannot, so a pass repairs
// whatever the follower missed.
type Reconciler struct {
	store *vault.Store
	chain ChainState
	log   Logger
	now   func() time.Time

	mu      sync.Mutex // one pass at a time
	live    atomic.Int64
	missing atomic.Int64
	lastOK  atomic.Int64 // unix seconds of the last complete pass
}

// NewReconciler reconciles store against chain.
func NewReconciler(store *vault.Store, chain ChainState, log Logger) *Reconciler {
	return &Reconciler{store: store, chain: chain, log: log, now: time.Now}
}

// Missing is the number of live CIDs the last pass found missing here.
func (r *Reconciler) Missing() int64 { return r.missing.Load() }

// Live is the number of live CIDs on chain at the last pass.
func (r *Reconciler) Live() int64 { return r.live.Load() }

// LastSuccess is when the last complete pass ended (zero before one).
func (r *Reconciler) LastSuccess() time.Time {
	if s := r.lastOK.Load(); s != 0 {
		return time.Unix(s, 0)
	}
	return time.Time{}
}

// Reconcile runs one pass. A live CID this vault lacks is an error the
// operator must see: it is logged (a summary, not a line per CID) and
// counted in vault_missing_live_cids.
func (r *Reconciler) Reconcile(ctx context.Context) (Reconciliation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out Reconciliation
	synced, err := r.chain.Synced(ctx)
	if err != nil {
		return out, fmt.Errorf("vault: reconcile: node status: %w", err)
	}
	out.Synced = synced

	live := map[cid.Cid]bool{}
	err = r.chain.LiveCIDs(ctx, func(page []recordstypes.LiveCid) error {
		for _, lc := range page {
			c, err := cid.Decode(lc.Cid)
			if err != nil {
				return fmt.Errorf("live CID %q of record %d: %w", lc.Cid, lc.RecordId, err)
			}
			live[c] = true
			out.Live++
			err = r.store.PinRecord(ctx, c, lc.RecordId, lc.Version)
			switch {
			case errors.Is(err, vault.ErrNotFound):
				out.Missing = append(out.Missing, c)
			case err != nil:
				return err
			default:
				out.Held++
				out.Keep = append(out.Keep, c)
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("vault: reconcile: %w", err)
	}

	pins, err := r.store.Pins(ctx)
	if err != nil {
		return out, fmt.Errorf("vault: reconcile: %w", err)
	}
	for _, p := range pins {
		if !p.Pinned() || live[p.Root] {
			continue
		}
		st, found, err := r.chain.CIDStatus(ctx, p.Root)
		if err != nil {
			return out, fmt.Errorf("vault: reconcile: status of %s: %w", p.Root, err)
		}
		if !found || st.Live {
			// Never on chain (a vault that once followed another chain, or
			// an operator's pin), or live since the listing: keep it.
			continue
		}
		released, err := r.store.Release(ctx, p.Root, st.RecordId, r.now())
		if err != nil && !errors.Is(err, vault.ErrNotPinOwner) {
			return out, fmt.Errorf("vault: reconcile: release %s: %w", p.Root, err)
		}
		if released {
			out.Released++
		}
	}

	r.live.Store(int64(out.Live))
	r.missing.Store(int64(len(out.Missing)))
	r.lastOK.Store(r.now().Unix())
	if n := len(out.Missing); n > 0 {
		sample := make([]string, 0, 3)
		for _, c := range out.Missing[:min(n, 3)] {
			sample = append(sample, c.String())
		}
		r.log.Error("vault: live record payloads are missing from this vault", "missing", n, "live", out.Live, "first", sample)
	}
	if out.Released > 0 {
		r.log.Info("vault: reconcile released pins the chain let go", "released", out.Released)
	}
	return out, nil
}

// rpcChain reads chain state through a CometBFT RPC client's ABCI queries.
type rpcChain struct{ c rpcclient.Client }

// NewRPCChainState reads chain state through c.
func NewRPCChainState(c rpcclient.Client) ChainState { return rpcChain{c} }

// livePageSize is how many live CIDs one query asks for.
const livePageSize = 1000

func (s rpcChain) query(ctx context.Context, path string, req, resp proto.Message) error {
	bz, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	res, err := s.c.ABCIQuery(ctx, path, bz)
	if err != nil {
		return err
	}
	if !res.Response.IsOK() {
		return &queryError{path: path, code: res.Response.Code, log: res.Response.Log}
	}
	return proto.Unmarshal(res.Response.Value, resp)
}

type queryError struct {
	path string
	code uint32
	log  string
}

func (e *queryError) Error() string { return fmt.Sprintf("%s: %s", e.path, e.log) }

func (s rpcChain) LiveCIDs(ctx context.Context, fn func([]recordstypes.LiveCid) error) error {
	var key []byte
	for {
		var resp recordstypes.QueryLiveCidsResponse
		if err := s.query(ctx, "/medchain.records.v1.Query/LiveCids", &recordstypes.QueryLiveCidsRequest{
			Pagination: &query.PageRequest{Key: key, Limit: livePageSize},
		}, &resp); err != nil {
			return err
		}
		if err := fn(resp.Cids); err != nil {
			return err
		}
		if resp.Pagination == nil || len(resp.Pagination.NextKey) == 0 {
			return nil
		}
		key = resp.Pagination.NextKey
	}
}

func (s rpcChain) CIDStatus(ctx context.Context, c cid.Cid) (recordstypes.QueryByCidResponse, bool, error) {
	var resp recordstypes.QueryByCidResponse
	err := s.query(ctx, "/medchain.records.v1.Query/ByCid", &recordstypes.QueryByCidRequest{Cid: c.String()}, &resp)
	var qe *queryError
	if errors.As(err, &qe) && qe.code == sdkerrors.ErrKeyNotFound.ABCICode() {
		return resp, false, nil
	}
	return resp, err == nil, err
}

func (s rpcChain) Synced(ctx context.Context) (bool, error) {
	st, err := s.c.Status(ctx)
	if err != nil {
		return false, err
	}
	return !st.SyncInfo.CatchingUp, nil
}
