package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/x/records/placement"
)

// hospitalVault is one hospital's vault served over HTTP on loopback.
type hospitalVault struct {
	name  string
	addr  []byte
	store *vault.Store
	srv   *httptest.Server
	rec   *Reconciler
}

// newConsortium starts n vaults, each acting for its hospital, all placed
// by state (factor 3) and reaching each other over HTTP.
func newConsortium(t *testing.T, n int, state *fakeState) []*hospitalVault {
	t.Helper()
	var vs []*hospitalVault
	for i := range n {
		store, err := vault.Open(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { store.Close() })
		srv := httptest.NewServer(vault.NewServer(store, vault.Config{ChainPins: true}))
		t.Cleanup(srv.Close)
		addr := make([]byte, 20)
		copy(addr, fmt.Sprintf("hospital-%d", i))
		v := &hospitalVault{name: fmt.Sprintf("h%d", i), addr: addr, store: store, srv: srv}
		v.rec = NewReconciler(store, state, HTTPPeers{Client: srv.Client()}, nopLog{})
		v.rec.Self = addr
		vs = append(vs, v)
		state.vaults = append(state.vaults, placement.Replica{Address: addr, Name: v.name, VaultURL: srv.URL})
	}
	state.factor = 3
	return vs
}

// pass runs a reconciliation and the repairs it asks for on every vault.
func pass(t *testing.T, vs []*hospitalVault) {
	t.Helper()
	for _, v := range vs {
		res, err := v.rec.Reconcile(context.Background())
		require.NoError(t, err)
		v.rec.Repair(context.Background(), res.Missing, 0)
	}
}

func holders(t *testing.T, vs []*hospitalVault, c cid.Cid) []string {
	t.Helper()
	var out []string
	for _, v := range vs {
		if has(t, v.store, c) {
			out = append(out, v.name)
		}
	}
	return out
}

func placedNames(c cid.Cid, state *fakeState) []string {
	var out []string
	for _, r := range placement.Place(c, state.vaults, state.factor) {
		out = append(out, r.Name)
	}
	return out
}

func uploadTo(t *testing.T, v *hospitalVault, size int) (cid.Cid, []byte) {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	up, err := vault.NewClient(v.srv.URL, v.srv.Client()).UploadFile(context.Background(), bytes.NewReader(data))
	require.NoError(t, err)
	return cid.MustParse(up.CID), data
}

// TestReplicationAcrossHospitals: payloads uploaded to one vault reach the
// three vaults placement names, verified block by block; the uploader
// hands on what is not placed on it once the replicas hold it; a vault
// emptied (a lost disk) refills itself from its peers; and the metrics
// say so.
func TestReplicationAcrossHospitals(t *testing.T) {
	state := newFakeState()
	vs := newConsortium(t, 4, state)
	ctx := context.Background()

	var roots []cid.Cid
	payloads := map[cid.Cid][]byte{}
	for i := range 8 {
		c, data := uploadTo(t, vs[0], 300<<10+i)
		state.add(c, uint64(i+1), 1)
		roots = append(roots, c)
		payloads[c] = data
	}
	pass(t, vs)
	for _, c := range roots {
		placed := placedNames(c, state)
		got := holders(t, vs, c)
		require.Subset(t, got, placed, "every placed vault holds %s", c)
		for _, v := range vs {
			if v.name == "h0" {
				continue
			}
			var buf bytes.Buffer
			if containsName(placed, v.name) {
				require.NoError(t, vault.NewClient(v.srv.URL, nil).Fetch(ctx, c, &buf))
				require.Equal(t, payloads[c], buf.Bytes(), "%s's replica of %s", v.name, c)
			}
		}
	}
	for _, v := range vs {
		require.Zero(t, v.rec.Missing(), "%s is missing replicas", v.name)
		require.Zero(t, v.rec.Lag())
	}
	require.Positive(t, vs[1].rec.RepairBytes()+vs[2].rec.RepairBytes()+vs[3].rec.RepairBytes())

	// The uploader, once every placed replica holds a CID not placed on
	// it, lets its pin go: GC collects it after the grace period.
	pass(t, vs)
	for _, c := range roots {
		p, _, err := vs[0].store.PinInfo(ctx, c)
		require.NoError(t, err)
		require.Equal(t, containsName(placedNames(c, state), "h0"), p.Pinned(), "h0's pin of %s", c)
	}

	// h2 loses its disk: an empty store, same hospital. It knows what it
	// lacks and fetches all of it back.
	vs[2].srv.Close()
	fresh, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer fresh.Close()
	vs[2].store = fresh
	vs[2].srv = httptest.NewServer(vault.NewServer(fresh, vault.Config{ChainPins: true}))
	defer vs[2].srv.Close()
	state.vaults[2].VaultURL = vs[2].srv.URL // it came back at a new address
	vs[2].rec = NewReconciler(fresh, state, HTTPPeers{Client: vs[2].srv.Client()}, nopLog{})
	vs[2].rec.Self = vs[2].addr
	res, err := vs[2].rec.Reconcile(ctx)
	require.NoError(t, err)
	want := 0
	for _, c := range roots {
		if containsName(placedNames(c, state), "h2") {
			want++
		}
	}
	require.Len(t, res.Missing, want)
	require.EqualValues(t, want, vs[2].rec.Missing())
	require.Equal(t, want, vs[2].rec.Repair(ctx, res.Missing, 0))
	require.Zero(t, vs[2].rec.Missing())
	for _, c := range roots {
		if containsName(placedNames(c, state), "h2") {
			require.True(t, has(t, fresh, c), "the emptied vault refilled %s", c)
		}
	}
}

// TestRepairFailsOverAndNeverTrustsAPeer: a source that is down, one that
// lacks the CID and one that serves other bytes are skipped for one that
// has it.
func TestRepairFailsOverAndNeverTrustsAPeer(t *testing.T) {
	state := newFakeState()
	vs := newConsortium(t, 2, state)
	c, data := uploadTo(t, vs[0], 200<<10)
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other, _ := uploadTo(t, vs[0], 1000) // a real CAR, of another root
		body, err := vault.NewClient(vs[0].srv.URL, nil).FetchCAR(r.Context(), other)
		require.NoError(t, err)
		defer body.Close()
		w.Header().Set("Content-Type", vault.MediaTypeCAR)
		_, _ = io.Copy(w, body)
	}))
	defer liar.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	empty := httptest.NewServer(vault.NewServer(mustStore(t), vault.Config{}))
	defer empty.Close()

	bad := []placement.Replica{{Name: "down", VaultURL: down.URL}, {Name: "empty", VaultURL: empty.URL}, {Name: "liar", VaultURL: liar.URL}}
	require.Zero(t, vs[1].rec.Repair(context.Background(), []Repair{{CID: c, RecordID: 1, Version: 1, Sources: bad}}, 0))
	require.False(t, has(t, vs[1].store, c), "nothing from the liar is taken for the payload")
	m := Repair{CID: c, RecordID: 1, Version: 1, Sources: append(bad, placement.Replica{Name: "h0", VaultURL: vs[0].srv.URL})}
	require.Equal(t, 1, vs[1].rec.Repair(context.Background(), []Repair{m}, 0))
	var buf bytes.Buffer
	require.NoError(t, vault.NewClient(vs[1].srv.URL, nil).Fetch(context.Background(), c, &buf))
	require.Equal(t, data, buf.Bytes())
	p, _, err := vs[1].store.PinInfo(context.Background(), c)
	require.NoError(t, err)
	require.True(t, p.Pinned())
	require.EqualValues(t, 1, p.RecordID)
}

func mustStore(t *testing.T) *vault.Store {
	t.Helper()
	s, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}
