package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/x/records/placement"
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
	// Vaults lists the ACTIVE hospitals with a vault URL and the
	// replication factor: what placement needs.
	Vaults(ctx context.Context) (replicas []placement.Replica, factor int, err error)
}

// Reconciliation is what one pass found.
type Reconciliation struct {
	Live     int       // live CIDs on chain
	Held     int       // of which this vault holds the root
	Missing  []Repair  // live CIDs this vault must hold and lacks
	Released int       // pins let go because the chain released their CID
	HandedOn int       // pins let go because the placed replicas hold them
	Keep     []cid.Cid // the live CIDs this vault keeps, for GC
	Synced   bool      // the node had caught up when the pass ran
}

// Repair is a live CID this vault must hold and lacks, with where to get it.
type Repair struct {
	CID      cid.Cid
	RecordID uint64
	Version  uint64
	// Sources are the other vaults to fetch from, in order: the other
	// placed replicas first, then every other hospital's vault.
	Sources []placement.Replica
}

// Reconciler makes a vault's pins agree with chain state: every live CID
// it holds is pinned for its record version, and every pin whose CID the
// chain released is let go. Events can be missed (a restart, a lagging
// follower, blocks the node pruned); state cannot, so a pass repairs
// whatever the follower missed.
//
// With replicas on chain (hospitals that registered vault URLs), which
// live CIDs this vault must hold is placement's to say: it holds those
// placed on its hospital (Self) and keeps anything else it received until
// the placed replicas hold it. Without any, it must hold every live CID.
type Reconciler struct {
	store *vault.Store
	chain ChainState
	log   Logger
	now   func() time.Time
	peers Peers

	// Self is the address of the hospital this vault acts for (nil: it
	// is no replica, and holds only what it receives until replicated).
	Self []byte

	mu      sync.Mutex // one pass at a time
	live    atomic.Int64
	missing atomic.Int64
	lastOK  atomic.Int64 // unix seconds of the last complete pass

	repairBytes atomic.Int64
	queue       chan Repair

	placeMu  sync.Mutex // the hospitals' vaults of the last pass, for Enqueue
	replicas []placement.Replica
	factor   int
	passed   atomic.Bool

	lagMu        sync.Mutex
	missingSince map[cid.Cid]time.Time
}

// Peers reaches other vaults: whether one holds a CID, and its CAR.
type Peers interface {
	Has(ctx context.Context, vaultURL string, c cid.Cid) (bool, error)
	FetchCAR(ctx context.Context, vaultURL string, c cid.Cid) (io.ReadCloser, error)
}

// NewReconciler reconciles store against chain, reaching other vaults
// through peers.
func NewReconciler(store *vault.Store, chain ChainState, peers Peers, log Logger) *Reconciler {
	return &Reconciler{store: store, chain: chain, peers: peers, log: log, now: time.Now,
		missingSince: map[cid.Cid]time.Time{}, queue: make(chan Repair, 256)}
}

// Lag is how long the longest-missing CID placed on this vault has been
// missing (zero when nothing is).
func (r *Reconciler) Lag() time.Duration {
	r.lagMu.Lock()
	defer r.lagMu.Unlock()
	var oldest time.Time
	for _, t := range r.missingSince {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return r.now().Sub(oldest)
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

	replicas, factor, err := r.chain.Vaults(ctx)
	if err != nil {
		return out, fmt.Errorf("vault: reconcile: the hospitals' vaults: %w", err)
	}
	r.placeMu.Lock()
	r.replicas, r.factor = replicas, factor
	r.placeMu.Unlock()
	r.passed.Store(true)
	live := map[cid.Cid]bool{}
	err = r.chain.LiveCIDs(ctx, func(page []recordstypes.LiveCid) error {
		for _, lc := range page {
			c, err := cid.Decode(lc.Cid)
			if err != nil {
				return fmt.Errorf("live CID %q of record %d: %w", lc.Cid, lc.RecordId, err)
			}
			live[c] = true
			out.Live++
			placed := placement.Place(c, replicas, factor)
			mine := len(replicas) == 0 || containsReplica(placed, r.Self)
			held, err := r.store.Has(ctx, c)
			if err != nil {
				return err
			}
			switch {
			case !held && mine:
				out.Missing = append(out.Missing, Repair{CID: c, RecordID: lc.RecordId, Version: lc.Version,
					Sources: sources(placed, replicas, r.Self)})
				continue
			case !held:
				continue // another hospital's to hold
			case !mine && r.handedOn(ctx, c, placed):
				// Received here (an upload, or placed here before the
				// hospitals changed); every placed replica holds it now.
				released, err := r.store.Release(ctx, c, lc.RecordId, r.now())
				if err != nil && !errors.Is(err, vault.ErrNotPinOwner) {
					return err
				}
				if released {
					out.HandedOn++
				}
				out.Held++
				continue
			}
			err = r.store.PinRecord(ctx, c, lc.RecordId, lc.Version)
			switch {
			case errors.Is(err, vault.ErrNotFound): // collected since Has
				if mine {
					out.Missing = append(out.Missing, Repair{CID: c, RecordID: lc.RecordId, Version: lc.Version,
						Sources: sources(placed, replicas, r.Self)})
				}
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

	r.noteMissing(out.Missing)
	r.live.Store(int64(out.Live))
	r.lastOK.Store(r.now().Unix())
	if n := len(out.Missing); n > 0 {
		sample := make([]string, 0, 3)
		for _, m := range out.Missing[:min(n, 3)] {
			sample = append(sample, m.CID.String())
		}
		r.log.Error("vault: live record payloads this vault must hold are missing", "missing", n, "live", out.Live, "first", sample)
	}
	if out.HandedOn > 0 {
		r.log.Info("vault: uploads handed on to their placed replicas", "released", out.HandedOn)
	}
	if out.Released > 0 {
		r.log.Info("vault: reconcile released pins the chain let go", "released", out.Released)
	}
	return out, nil
}

// noteMissing records which CIDs are missing now, for the count and the lag.
func (r *Reconciler) noteMissing(missing []Repair) {
	r.lagMu.Lock()
	defer r.lagMu.Unlock()
	now := r.now()
	still := make(map[cid.Cid]time.Time, len(missing))
	for _, m := range missing {
		if t, ok := r.missingSince[m.CID]; ok {
			still[m.CID] = t
		} else {
			still[m.CID] = now
		}
	}
	r.missingSince = still
	r.missing.Store(int64(len(missing)))
}

// repaired drops c from the missing set.
func (r *Reconciler) repaired(c cid.Cid) {
	r.lagMu.Lock()
	defer r.lagMu.Unlock()
	if _, ok := r.missingSince[c]; ok {
		delete(r.missingSince, c)
		r.missing.Add(-1)
	}
}

// handedOn reports whether every placed replica other than this vault
// holds c (a peer that cannot be asked counts as not holding it).
func (r *Reconciler) handedOn(ctx context.Context, c cid.Cid, placed []placement.Replica) bool {
	if r.peers == nil || len(placed) == 0 {
		return false
	}
	for _, p := range placed {
		if bytes.Equal(p.Address, r.Self) {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ok, err := r.peers.Has(ctx, p.VaultURL, c)
		cancel()
		if err != nil || !ok {
			return false
		}
	}
	return true
}

func containsReplica(rs []placement.Replica, addr []byte) bool {
	if len(addr) == 0 {
		return false
	}
	for _, r := range rs {
		if bytes.Equal(r.Address, addr) {
			return true
		}
	}
	return false
}

// sources orders the vaults to fetch c from: the other placed replicas,
// then every other vault.
func sources(placed, all []placement.Replica, self []byte) []placement.Replica {
	out := make([]placement.Replica, 0, len(all))
	seen := map[string]bool{string(self): true}
	for _, list := range [][]placement.Replica{placed, all} {
		for _, r := range list {
			if !seen[string(r.Address)] {
				seen[string(r.Address)] = true
				out = append(out, r)
			}
		}
	}
	return out
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

func (s rpcChain) Vaults(ctx context.Context) ([]placement.Replica, int, error) {
	var resp recordstypes.QueryVaultsResponse
	if err := s.query(ctx, "/medchain.records.v1.Query/Vaults", &recordstypes.QueryVaultsRequest{}, &resp); err != nil {
		return nil, 0, err
	}
	out := make([]placement.Replica, 0, len(resp.Vaults))
	for _, v := range resp.Vaults {
		addr, err := sdk.AccAddressFromBech32(v.Address)
		if err != nil {
			return nil, 0, fmt.Errorf("vault of %q: %w", v.Address, err)
		}
		out = append(out, placement.Replica{Address: addr, Name: v.Address, VaultURL: v.VaultUrl})
	}
	return out, int(resp.ReplicationFactor), nil
}

func (s rpcChain) Synced(ctx context.Context) (bool, error) {
	st, err := s.c.Status(ctx)
	if err != nil {
		return false, err
	}
	return !st.SyncInfo.CatchingUp, nil
}
