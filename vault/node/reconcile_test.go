package node

import (
	"context"
	"sort"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/x/records/placement"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// fakeState is chain state in memory: live CIDs and released ones.
type fakeState struct {
	live     map[cid.Cid]recordstypes.LiveCid
	released map[cid.Cid]uint64 // CID -> record that released it
	catching bool
	vaults   []placement.Replica
	factor   int
}

func (s *fakeState) Vaults(context.Context) ([]placement.Replica, int, error) {
	return s.vaults, s.factor, nil
}

func newFakeState() *fakeState {
	return &fakeState{live: map[cid.Cid]recordstypes.LiveCid{}, released: map[cid.Cid]uint64{}}
}

func (s *fakeState) add(c cid.Cid, record, version uint64) {
	s.live[c] = recordstypes.LiveCid{Cid: c.String(), RecordId: record, Version: version}
}

func (s *fakeState) release(c cid.Cid) {
	s.released[c] = s.live[c].RecordId
	delete(s.live, c)
}

func (s *fakeState) LiveCIDs(_ context.Context, fn func([]recordstypes.LiveCid) error) error {
	all := make([]recordstypes.LiveCid, 0, len(s.live))
	for _, lc := range s.live {
		all = append(all, lc)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Cid < all[j].Cid })
	for len(all) > 0 { // pages of two, to exercise paging
		n := min(2, len(all))
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

func (s *fakeState) CIDStatus(_ context.Context, c cid.Cid) (recordstypes.QueryByCidResponse, bool, error) {
	if lc, ok := s.live[c]; ok {
		return recordstypes.QueryByCidResponse{Cid: c.String(), RecordId: lc.RecordId, Version: lc.Version, Live: true}, true, nil
	}
	if r, ok := s.released[c]; ok {
		return recordstypes.QueryByCidResponse{Cid: c.String(), RecordId: r}, true, nil
	}
	return recordstypes.QueryByCidResponse{}, false, nil
}

func (s *fakeState) Synced(context.Context) (bool, error) { return !s.catching, nil }

// errorLog remembers the error lines.
type errorLog struct{ errors []string }

func (*errorLog) Info(string, ...any)          {}
func (l *errorLog) Error(msg string, _ ...any) { l.errors = append(l.errors, msg) }

func has(t *testing.T, store *vault.Store, c cid.Cid) bool {
	t.Helper()
	ok, err := store.Has(context.Background(), c)
	require.NoError(t, err)
	return ok
}

// TestLatePinSurvivesGC is the lost-pin attack on a lagging vault: an
// upload whose record event the follower never applied (it was stopped
// longer than gc-grace, or the node pruned the block) stays, because GC
// first reconciles with chain state and pins every live CID it holds.
func TestLatePinSurvivesGC(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	registered, orphan := upload(t, store), upload(t, store)
	state := newFakeState()
	state.add(registered, 1, 1) // on chain; the follower never saw the event
	r := NewReconciler(store, state, nil, nopLog{})

	// Past the grace period, GC after a reconciliation keeps the payload
	// the chain lists and collects only the orphan.
	later := time.Now().Add(48 * time.Hour)
	n, err := collectAt(ctx, store, r, time.Hour, later)
	require.NoError(t, err)
	require.Equal(t, 4, n, "only the upload no record points at is collected")
	require.True(t, has(t, store, registered))
	require.False(t, has(t, store, orphan))
	p, _, err := store.PinInfo(ctx, registered)
	require.NoError(t, err)
	require.True(t, p.Pinned())
	require.EqualValues(t, 1, p.RecordID)

	// A node that is catching up has old state: GC collects nothing.
	state.catching = true
	_, err = collect(ctx, store, r, time.Hour)
	require.ErrorContains(t, err, "catching up")
}

// collectAt is collect with GC's clock at now.
func collectAt(ctx context.Context, store *vault.Store, r *Reconciler, grace time.Duration, now time.Time) (int, error) {
	res, err := r.Reconcile(ctx)
	if err != nil {
		return 0, err
	}
	return store.GC(ctx, now, grace, res.Keep...)
}

// TestReconcileReleasesOnlyWhatTheChainReleased: a pin goes only when the
// chain says its CID was released (by its own record), a release event from
// another record leaves it, and live CIDs this vault lacks are an error
// with a count.
func TestReconcileReleasesOnlyWhatTheChainReleased(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	a, b := upload(t, store), upload(t, store)
	absent := cid.MustParse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
	state := newFakeState()
	state.add(a, 1, 1)
	state.add(b, 2, 1)
	state.add(absent, 3, 1)
	log := &errorLog{}
	r := NewReconciler(store, state, nil, log)

	res, err := r.Reconcile(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, res.Live)
	require.Equal(t, 2, res.Held)
	require.Len(t, res.Missing, 1)
	require.Equal(t, absent, res.Missing[0].CID)
	require.EqualValues(t, 1, r.Missing())
	require.Len(t, log.errors, 1, "a missing live CID is an error, not an info line")
	require.EqualValues(t, 2, store.PinnedCount())

	// A hijacker's record 9 "releases" a: the pin belongs to record 1.
	f := NewFollower(store, &fakeChain{blocks: [][]abci.Event{
		{typed(t, &recordstypes.EventRecordRedacted{RecordId: 9, Cids: []string{a.String()}})},
	}}, log)
	require.NoError(t, f.Sync(ctx))
	pa, _, err := store.PinInfo(ctx, a)
	require.NoError(t, err)
	require.True(t, pa.Pinned(), "a release by another record leaves the pin")

	// The chain releases b (its own record was redacted); the follower
	// missed the event, the reconciler lets it go.
	state.release(b)
	res, err = r.Reconcile(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Released)
	pb, _, err := store.PinInfo(ctx, b)
	require.NoError(t, err)
	require.False(t, pb.Pinned())
	require.EqualValues(t, 1, store.PinnedCount())
}

// TestReconcileRestoresPinsAfterRestart: a vault restarted with its pin
// records intact but its follower height lost re-pins from state.
func TestReconcileRestoresPinsAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := vault.Open(dir)
	require.NoError(t, err)
	a := upload(t, store)
	require.NoError(t, store.Close())
	store, err = vault.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	state := newFakeState()
	state.add(a, 5, 2)
	_, err = NewReconciler(store, state, nil, nopLog{}).Reconcile(ctx)
	require.NoError(t, err)
	p, _, err := store.PinInfo(ctx, a)
	require.NoError(t, err)
	require.True(t, p.Pinned())
	require.Equal(t, "record 5 v2", p.Reason)
}
