package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
)

// allowAll is a read gate that lets every ticket through: what the chain
// says of bob's read of his own record, whatever CID that record names.
type allowAll struct{}

func (allowAll) AllowRead(*http.Request, cid.Cid) error { return nil }

// twin is c's multihash under the other codec a vault accepts.
func twin(c cid.Cid) cid.Cid {
	codec := uint64(cid.Raw)
	if c.Type() == cid.Raw {
		codec = cid.DagProtobuf
	}
	return cid.NewCidV1(codec, c.Hash())
}

// TestCodecTwinIsNotServed is attack A at the vault: alice uploads a
// payload; bob's record names its codec twin (same multihash, other codec)
// and his ticket for it passes the gate. The vault holds one block for both
// names, but serves a root only under the codec it came in with: the twin
// is 404 in every format, and cannot be pinned.
func TestCodecTwinIsNotServed(t *testing.T) {
	for name, size := range map[string]int{"a raw one-block payload": 1000, "a dag-pb DAG": 2<<20 + 5} {
		for _, gated := range []bool{true, false} {
			t.Run(name+map[bool]string{true: ", gated", false: ", open"}[gated], func(t *testing.T) {
				cfg := Config{}
				if gated {
					cfg.Gate = allowAll{}
				}
				v := newTestVault(t, cfg)
				root, carBytes := buildCAR(t, randomBytes(50, size))
				resp, body := v.upload(t, bytes.NewReader(carBytes))
				wantStatus(t, resp, body, http.StatusCreated)
				tw := twin(root)
				rootData, err := v.store.Block(t.Context(), root)
				if err != nil {
					t.Fatal(err)
				}

				for _, format := range []string{"raw", "car"} {
					resp, body = v.do(t, http.MethodGet, "/ipfs/"+tw.String()+"?format="+format, nil)
					wantStatus(t, resp, body, http.StatusNotFound)
					if bytes.Contains(body, rootData) {
						t.Fatalf("the twin's %s answer carries alice's block", format)
					}
					resp, body = v.do(t, http.MethodHead, "/ipfs/"+tw.String()+"?format="+format, nil)
					wantStatus(t, resp, body, http.StatusNotFound)
				}
				resp, body = v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format=raw", nil)
				wantStatus(t, resp, body, http.StatusOK)

				if has, err := v.store.Has(t.Context(), tw); err != nil || has {
					t.Fatalf("Has(twin) = %v, %v; want false", has, err)
				}
				if err := v.store.PinRecord(t.Context(), tw, 2, 1); !errors.Is(err, ErrNotFound) {
					t.Fatalf("PinRecord(twin) = %v, want ErrNotFound", err)
				}
				if _, found, _ := v.store.PinInfo(t.Context(), tw); found {
					t.Fatal("the twin has a pin record")
				}
			})
		}
	}
}

// TestGatedVaultServesOnlyRoots: behind the gate, a CID is served only if
// it came in as the root of an upload or a replica, so a record that names
// an inner block of someone else's DAG reads nothing either.
func TestGatedVaultServesOnlyRoots(t *testing.T) {
	v := newTestVault(t, Config{Gate: allowAll{}})
	root, carBytes := buildCAR(t, randomBytes(51, 2<<20+5))
	resp, body := v.upload(t, bytes.NewReader(carBytes))
	wantStatus(t, resp, body, http.StatusCreated)
	_, blocks := readCAR(t, carBytes)
	leaf := blocks[1].c
	for _, format := range []string{"raw", "car"} {
		resp, body = v.do(t, http.MethodGet, "/ipfs/"+leaf.String()+"?format="+format, nil)
		wantStatus(t, resp, body, http.StatusNotFound)
		resp, body = v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format="+format, nil)
		wantStatus(t, resp, body, http.StatusOK)
	}
}

// TestTwinPinsOfAnOlderVaultAreDroppedOnOpen: a vault before this fix
// pinned a twin that a record named (its pin made a root record for it).
// Opening the store drops such records once, keeping the root under the
// codec its bytes are: then the twin is neither served nor pinned.
func TestTwinPinsOfAnOlderVaultAreDroppedOnOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rawRoot := mustImport(t, s, randomBytes(52, 1000))   // one raw block
	pbRoot := mustImport(t, s, randomBytes(53, 2<<20+5)) // a dag-pb DAG
	// What the old Pin did for a record naming each twin, and for a
	// lone dag-pb twin whose raw root's record GC had dropped.
	lone := mustImport(t, s, randomBytes(54, 1000))
	for i, c := range []cid.Cid{twin(rawRoot), twin(pbRoot), twin(lone)} {
		if err := s.putPinRecord(t.Context(), PinInfo{Root: c, RecordID: uint64(10 + i), Version: 1, PinnedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ds.Delete(t.Context(), pinKey(lone)); err != nil {
		t.Fatal(err)
	}
	// An older vault never ran the clean-up.
	if err := s.ds.Delete(t.Context(), metaPrefix.ChildString(twinSweepKey)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []cid.Cid{twin(rawRoot), twin(pbRoot), twin(lone)} {
		if _, found, _ := s.PinInfo(t.Context(), c); found {
			t.Errorf("the twin %s still has a pin record", c)
		}
		if has, err := s.HasRoot(t.Context(), c); err != nil || has {
			t.Errorf("HasRoot(twin %s) = %v, %v; want false", c, has, err)
		}
		if err := s.PinRecord(t.Context(), c, 10, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("PinRecord(twin %s) = %v, want ErrNotFound", c, err)
		}
	}
	// The twins of roots are not held at all; the lone twin's block is
	// now no root's, a plain block (served only by an ungated vault).
	mustHave(t, s, twin(rawRoot), false, "the twin of a raw root")
	mustHave(t, s, twin(pbRoot), false, "the twin of a dag-pb root")
	for _, c := range []cid.Cid{rawRoot, pbRoot} {
		if has, err := s.HasRoot(t.Context(), c); err != nil || !has {
			t.Errorf("HasRoot(%s) = %v, %v; the root itself must stay", c, has, err)
		}
	}
	if n := s.PinnedCount(); n != 0 {
		t.Errorf("PinnedCount = %d, want 0 once the twins' pins are gone", n)
	}
}

// wrapperOf is attack B's upload: one ~100-byte dag-pb UnixFS file node
// whose only link is the victim's root, and nothing else.
func wrapperOf(t testing.TB, victimRoot cid.Cid, victimRootData []byte, size uint64) (cid.Cid, []byte) {
	t.Helper()
	w := fileNode(t, []carBlock{{victimRoot, victimRootData}}, []uint64{size})
	return w.c, rawCAR(t, []cid.Cid{w.c}, []carBlock{w})
}

// TestUploadMustCarryEveryBlockOfItsDAG is attack B: a user upload that
// links to blocks the vault holds but does not send them (a wrapper over
// a victim's root) is refused with 400, and nothing of it is kept; the
// vault would otherwise stream the victim's DAG to whoever registers the
// wrapper. A replica import, from a peer, may still complete from the
// vault's own blocks.
func TestUploadMustCarryEveryBlockOfItsDAG(t *testing.T) {
	v := newTestVault(t, Config{})
	size := 2<<20 + 5
	victim, victimCAR := buildCAR(t, randomBytes(55, size))
	resp, body := v.upload(t, bytes.NewReader(victimCAR))
	wantStatus(t, resp, body, http.StatusCreated)
	victimData, err := v.store.Block(t.Context(), victim)
	if err != nil {
		t.Fatal(err)
	}
	blocksBefore := blockCount(t, v.store)

	wrapper, wrapperCAR := wrapperOf(t, victim, victimData, uint64(size))
	resp, body = v.upload(t, bytes.NewReader(wrapperCAR))
	wantStatus(t, resp, body, http.StatusBadRequest)
	for _, want := range []string{victim.String(), "not in the upload", "every block"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the refusal %q does not say %q", body, want)
		}
	}
	if n := blockCount(t, v.store); n != blocksBefore {
		t.Errorf("the store holds %d blocks after the refusal, %d before", n, blocksBefore)
	}
	if _, found, _ := v.store.PinInfo(t.Context(), wrapper); found {
		t.Error("the refused wrapper has a root record")
	}
	resp, body = v.do(t, http.MethodGet, "/ipfs/"+wrapper.String()+"?format=car", nil)
	wantStatus(t, resp, body, http.StatusNotFound)

	// ImportCAR is a user upload too.
	if _, err := v.store.ImportCAR(t.Context(), bytes.NewReader(wrapperCAR), 0); !errors.Is(err, ErrIncompleteDAG) {
		t.Fatalf("ImportCAR of the wrapper: %v, want ErrIncompleteDAG", err)
	}

	// A replica may de-duplicate against what the vault holds.
	if _, err := v.store.ImportReplica(t.Context(), bytes.NewReader(wrapperCAR), 0, wrapper); err != nil {
		t.Fatalf("ImportReplica of a DAG completed by held blocks: %v", err)
	}
}

// TestGCSurvivesAnUndecodablePinnedTwin is attack C: an older vault pinned
// the dag-pb twin of a raw block (a record named it), and GC's mark,
// decoding that block as dag-pb, failed and aborted every run, so nothing
// was ever collected again. GC now walks each root under its exact codec,
// skips (logs, counts) a block that does not decode under it, and goes on:
// an unpinned upload past its grace is collected.
func TestGCSurvivesAnUndecodablePinnedTwin(t *testing.T) {
	s := openStore(t)
	h := httptest.NewServer(NewServer(s, Config{}))
	t.Cleanup(h.Close)
	logs := &recordingLogger{}
	s.SetLogger(logs)

	alice := mustImport(t, s, randomBytes(56, 1000)) // one raw block
	if err := s.PinRecord(t.Context(), alice, 1, 1); err != nil {
		t.Fatal(err)
	}
	// The pin an older vault made for bob's record, which named the twin.
	if err := s.putPinRecord(t.Context(), PinInfo{Root: twin(alice), RecordID: 2, Version: 1, PinnedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	stale := mustImport(t, s, randomBytes(57, 2<<20+5)) // never registered
	_, staleBlocks := readCAR(t, mustCAR(t, s, stale))

	n, err := s.GC(t.Context(), time.Now().Add(48*time.Hour), time.Hour)
	if err != nil {
		t.Fatalf("GC aborted: %v", err)
	}
	if n != len(staleBlocks) {
		t.Errorf("GC collected %d blocks, want the stale upload's %d", n, len(staleBlocks))
	}
	for _, b := range staleBlocks {
		if has, _ := s.raw.Has(t.Context(), b.c); has {
			t.Errorf("block %s of the stale upload survived GC", b.c)
		}
	}
	mustHave(t, s, alice, true, "alice's pinned root")
	if got := s.GCUndecodable(); got != 1 {
		t.Errorf("GCUndecodable = %d, want 1", got)
	}
	if !logs.said(twin(alice).String()) {
		t.Errorf("GC did not log the undecodable root %s: %q", twin(alice), logs.lines)
	}
	resp, err := h.Client().Get(h.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, ok := metricValue(string(text), "vault_gc_undecodable_blocks_total"); !ok || got != 1 {
		t.Errorf("vault_gc_undecodable_blocks_total = %v (present %v), want 1", got, ok)
	}
}

type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Info(msg string, kv ...any)  { l.add(msg, kv) }
func (l *recordingLogger) Error(msg string, kv ...any) { l.add(msg, kv) }
func (l *recordingLogger) add(msg string, kv []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprint(msg, kv))
}

func (l *recordingLogger) said(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// TestFailedUploadKeepsBlocksAConcurrentUploadSkipped is attack D: two
// uploads of the same blocks at once. The first writes eight leaves (one
// write batch) and stalls; the second finds them held, skips writing them,
// and completes; then the first sends a bad block and fails. Its clean-up
// must delete only the blocks nobody else staged or holds: the second
// upload's DAG stays whole.
func TestFailedUploadKeepsBlocksAConcurrentUploadSkipped(t *testing.T) {
	s := openStore(t)
	data := randomBytes(58, 9<<20+100)
	root, good := buildCAR(t, data)
	roots, blocks := readCAR(t, good) // the root, then 10 leaves
	bad := carBlock{blocks[10].c, []byte("not the bytes of this leaf")}
	prefix := rawCAR(t, roots, blocks[:10]) // past one 8 MiB batch
	hostile := rawCAR(t, roots, append(append([]carBlock(nil), blocks[:10]...), bad))
	if !bytes.HasPrefix(hostile, prefix) {
		t.Fatal("test setup: a CAR's prefix should be the CAR of its first blocks")
	}

	pr, pw := io.Pipe()
	failed := make(chan error, 1)
	go func() {
		_, err := s.ImportCAR(t.Context(), pr, 0)
		failed <- err
	}()
	if _, err := pw.Write(prefix); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if has, _ := s.raw.Has(t.Context(), blocks[1].c); has {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first upload wrote no batch")
		}
		time.Sleep(5 * time.Millisecond)
	}

	if got, err := s.ImportCAR(t.Context(), bytes.NewReader(good), 0); err != nil || got != root {
		t.Fatalf("the second upload: %s, %v", got, err)
	}

	if _, err := pw.Write(hostile[len(prefix):]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-failed; !errors.Is(err, ErrBlockMismatch) {
		t.Fatalf("the first upload: %v, want ErrBlockMismatch", err)
	}

	var out bytes.Buffer
	if err := s.WriteCAR(t.Context(), root, &out); err != nil {
		t.Fatalf("the second upload's DAG lost blocks to the first one's clean-up: %v", err)
	}
	if !bytes.Equal(cat(t, s, root), data) {
		t.Fatal("the second upload reads back different bytes")
	}

	// And an upload that fails alone still leaves nothing behind.
	alone := openStore(t)
	if _, err := alone.ImportCAR(t.Context(), bytes.NewReader(hostile), 0); !errors.Is(err, ErrBlockMismatch) {
		t.Fatalf("the failing upload alone: %v", err)
	}
	assertEmpty(t, alone)
}
