package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

// pinPrefix is where pin records live in the store's datastore, beside the
// blockstore's "/blocks".
var pinPrefix = ds.NewKey("/vault/pins")

// PinInfo is what the vault knows about one root.
//
// A root is either pinned (kept until unpinned) or unpinned since
// UnpinnedAt, in which case GC keeps it for a grace period after that time
// and then collects the blocks no other kept root reaches. A root that was
// written (Import, ImportCAR) but never pinned is unpinned since its write,
// which protects an upload between its acknowledgement and the Pin that
// follows, and lets GC collect uploads that were never registered.
//
// A pin a chain record made names that record version (RecordID, Version):
// a CID belongs to one record version on chain, and only a release by that
// record lets the pin go (Release).
type PinInfo struct {
	Root       cid.Cid   `json:"-"`
	Reason     string    `json:"reason,omitempty"`
	RecordID   uint64    `json:"record_id,omitempty"`
	Version    uint64    `json:"version,omitempty"`
	PinnedAt   time.Time `json:"pinned_at,omitzero"`
	UnpinnedAt time.Time `json:"unpinned_at,omitzero"`
}

// Pinned reports whether the root is pinned now.
func (p PinInfo) Pinned() bool { return !p.PinnedAt.IsZero() && p.UnpinnedAt.IsZero() }

func pinKey(c cid.Cid) ds.Key { return pinPrefix.ChildString(c.String()) }

// Pin keeps root and every block under it until Unpin. reason says why (an
// upload, a record id); pinning a pinned root again only updates the reason.
// root must have come into the vault as a root (an upload, an import, a
// replica) under exactly this CID; a block held only under another codec
// or as part of another DAG is ErrNotFound (see HasRoot).
func (s *Store) Pin(ctx context.Context, root cid.Cid, reason string) error {
	return s.pin(ctx, root, func(p *PinInfo) { p.Reason = reason })
}

// PinRecord pins root as the payload of version of record recordID, as the
// chain says; only Release by that record lets it go.
func (s *Store) PinRecord(ctx context.Context, root cid.Cid, recordID, version uint64) error {
	return s.pin(ctx, root, func(p *PinInfo) {
		p.RecordID, p.Version, p.Reason = recordID, version, fmt.Sprintf("record %d v%d", recordID, version)
	})
}

func (s *Store) pin(ctx context.Context, root cid.Cid, set func(*PinInfo)) error {
	// The lock is taken before the check: GC holds it from its mark to its
	// sweep, so a root found here cannot be collected before it is pinned.
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if has, err := s.HasRoot(ctx, root); err != nil {
		return err
	} else if !has {
		return fmt.Errorf("%w: cannot pin %s: it did not come into this vault as the root of an upload or a replica under this codec", ErrNotFound, root)
	}
	p, _, err := s.pinRecord(ctx, root)
	if err != nil {
		return err
	}
	wasPinned := p.Pinned()
	before := p
	set(&p)
	if wasPinned && p == before {
		return nil // nothing to write
	}
	if !wasPinned {
		p.PinnedAt, p.UnpinnedAt = time.Now().UTC(), time.Time{}
	}
	if err := s.putPinRecord(ctx, p); err != nil {
		return err
	}
	if !wasPinned {
		s.pinned.Add(1)
	}
	return nil
}

// Unpin releases root as of at. Its blocks stay for GC's grace period after
// at, so a reader that just learnt of a rotation can still fetch the old
// payload. Unpinning a root that is not pinned changes nothing.
func (s *Store) Unpin(ctx context.Context, root cid.Cid, at time.Time) error {
	_, err := s.Release(ctx, root, 0, at)
	return err
}

// ErrNotPinOwner is returned by Release when another record holds the pin.
var ErrNotPinOwner = errors.New("vault: the pin belongs to another record")

// Release unpins root as of at on behalf of record recordID (0: whoever
// holds it, for an operator or a vault that follows no chain). A pin that
// names another record stays, and Release says so with ErrNotPinOwner; a
// root not pinned changes nothing. It reports whether it unpinned.
func (s *Store) Release(ctx context.Context, root cid.Cid, recordID uint64, at time.Time) (bool, error) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	p, found, err := s.pinRecord(ctx, root)
	if err != nil || !found || !p.Pinned() {
		return false, err
	}
	if recordID != 0 && p.RecordID != 0 && p.RecordID != recordID {
		return false, fmt.Errorf("%w: %s is pinned for record %d, not %d", ErrNotPinOwner, root, p.RecordID, recordID)
	}
	p.UnpinnedAt = at.UTC()
	if err := s.putPinRecord(ctx, p); err != nil {
		return false, err
	}
	s.pinned.Add(-1)
	return true, nil
}

// Pins lists every root the vault has a record of, pinned or in its grace
// period, sorted by CID.
func (s *Store) Pins(ctx context.Context) ([]PinInfo, error) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	return s.pinRecords(ctx)
}

// PinnedCount is the number of roots pinned now.
func (s *Store) PinnedCount() int64 { return s.pinned.Load() }

// GC deletes every block that no kept root reaches, where the kept roots are
// those pinned and those unpinned no longer than grace before now; records of
// roots past their grace are dropped. A block shared by a collected and a
// kept root stays. Blocks no root reaches at all (left by a crash in the
// middle of a write) go too. It returns how many blocks it deleted.
//
// GC waits for imports in progress to record their roots and holds off new
// writes until it is done; reads go on meanwhile. The blocks of streamed
// uploads still arriving are kept without waiting for them. Roots in keep
// (the live CIDs the chain lists, pinned or not) are kept too, whatever
// their pin record says.
func (s *Store) GC(ctx context.Context, now time.Time, grace time.Duration, keep ...cid.Cid) (int, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	s.pinMu.Lock()
	defer s.pinMu.Unlock()

	records, err := s.pinRecords(ctx)
	if err != nil {
		return 0, err
	}
	kept := append([]cid.Cid(nil), keep...)
	live := make(map[cid.Cid]bool, len(keep))
	for _, c := range keep {
		live[c] = true
	}
	var expired []PinInfo
	for _, p := range records {
		if p.Pinned() || now.Sub(p.UnpinnedAt) <= grace || live[p.Root] {
			kept = append(kept, p.Root)
		} else {
			expired = append(expired, p)
		}
	}

	reachable, err := s.mark(ctx, kept)
	if err != nil {
		return 0, err
	}
	s.inflightMu.Lock()
	for h := range s.inflight {
		reachable[h] = struct{}{}
	}
	s.inflightMu.Unlock()

	// The blockstore keys blocks by multihash under /blocks: deleting the
	// keys in one batch makes the sweep a single atomic, fsynced commit.
	keys, err := s.raw.AllKeysChan(ctx)
	if err != nil {
		return 0, fmt.Errorf("vault: gc: list blocks: %w", err)
	}
	batch, err := s.ds.Batch(ctx)
	if err != nil {
		return 0, err
	}
	removed := 0
	for c := range keys {
		if _, ok := reachable[string(c.Hash())]; ok {
			continue
		}
		if err := batch.Delete(ctx, blockstore.BlockPrefix.Child(dshelp.MultihashToDsKey(c.Hash()))); err != nil {
			return 0, err
		}
		removed++
	}
	if err := ctx.Err(); err != nil {
		return 0, err // the listing may have stopped early; delete nothing
	}
	for _, p := range expired {
		if err := batch.Delete(ctx, pinKey(p.Root)); err != nil {
			return 0, err
		}
	}
	if err := batch.Commit(ctx); err != nil {
		return 0, fmt.Errorf("vault: gc: delete: %w", err)
	}
	return removed, nil
}

// GCUndecodable is how many kept blocks garbage collection could not
// decode under their CID's codec since the store was opened.
func (s *Store) GCUndecodable() int64 { return s.gcUndecodable.Load() }

// mark returns the multihashes of every block reachable from roots.
//
// Each block is walked under its exact CID: a raw block has no links, a
// dag-pb block's links are those it decodes to. A block missing under a
// kept root protects nothing and is skipped. A kept block that does not
// decode under its codec (the dag-pb twin of a raw block, which an older
// vault pinned for a record that named it) has no links under that codec,
// so nothing under it can be lost: it is kept, logged, counted
// (vault_gc_undecodable_blocks_total), and GC goes on. A block that cannot
// be read, or no longer hashes to its CID, still aborts GC: its children
// are unknown.
func (s *Store) mark(ctx context.Context, roots []cid.Cid) (map[string]struct{}, error) {
	live := map[string]struct{}{}
	err := walk(ctx, roots, func(c, parent cid.Cid) ([]cid.Cid, error) {
		live[string(c.Hash())] = struct{}{}
		if c.Prefix().Codec != cid.DagProtobuf {
			return nil, nil
		}
		data, err := s.Block(ctx, c)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("vault: gc: %w", err)
		}
		children, err := links(c, data)
		if errors.Is(err, ErrBadCAR) {
			s.gcUndecodable.Add(1)
			from := "a kept root"
			if parent.Defined() {
				from = "a link of " + parent.String()
			}
			s.log.Error("vault: gc: a kept block does not decode under its CID's codec; kept, nothing under it followed",
				"cid", c.String(), "from", from, "err", err)
			return nil, nil
		}
		return children, err
	})
	if err != nil {
		return nil, err
	}
	return live, nil
}

// recordWritten notes a freshly written root as unpinned now unless it is
// pinned, so that it survives GC for one grace period.
func (s *Store) recordWritten(ctx context.Context, root cid.Cid) error {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	p, _, err := s.pinRecord(ctx, root)
	if err != nil || p.Pinned() {
		return err
	}
	p.UnpinnedAt = time.Now().UTC()
	return s.putPinRecord(ctx, p)
}

func (s *Store) pinRecord(ctx context.Context, root cid.Cid) (PinInfo, bool, error) {
	p := PinInfo{Root: root}
	data, err := s.ds.Get(ctx, pinKey(root))
	if errors.Is(err, ds.ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("vault: read pin of %s: %w", root, err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, false, fmt.Errorf("vault: decode pin of %s: %w", root, err)
	}
	return p, true, nil
}

func (s *Store) putPinRecord(ctx context.Context, p PinInfo) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := s.ds.Put(ctx, pinKey(p.Root), data); err != nil {
		return fmt.Errorf("vault: write pin of %s: %w", p.Root, err)
	}
	return nil
}

func (s *Store) pinRecords(ctx context.Context) ([]PinInfo, error) {
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: pinPrefix.String()})
	if err != nil {
		return nil, fmt.Errorf("vault: list pins: %w", err)
	}
	entries, err := res.Rest()
	if err != nil {
		return nil, fmt.Errorf("vault: list pins: %w", err)
	}
	out := make([]PinInfo, 0, len(entries))
	for _, e := range entries {
		c, err := cid.Decode(ds.RawKey(e.Key).BaseNamespace())
		if err != nil {
			return nil, fmt.Errorf("vault: pin record %s: %w", e.Key, err)
		}
		p := PinInfo{Root: c}
		if err := json.Unmarshal(e.Value, &p); err != nil {
			return nil, fmt.Errorf("vault: decode pin of %s: %w", c, err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Root.KeyString() < out[j].Root.KeyString() })
	return out, nil
}

func (s *Store) countPinned(ctx context.Context) (int64, error) {
	records, err := s.pinRecords(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range records {
		if p.Pinned() {
			n++
		}
	}
	return n, nil
}
