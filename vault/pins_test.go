package vault

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ipfs/go-cid"
)

func mustHave(t *testing.T, s *Store, c cid.Cid, want bool, what string) {
	t.Helper()
	has, err := s.Has(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if has != want {
		t.Fatalf("Has(%s) = %v, want %v", what, has, want)
	}
}

func mustGC(t *testing.T, s *Store, now time.Time, grace time.Duration) int {
	t.Helper()
	n, err := s.GC(t.Context(), now, grace)
	if err != nil {
		t.Fatalf("GC: %v", err)
	}
	return n
}

// Two files that share their first chunk share its leaf block. Unpinning one
// and collecting it after the grace period must keep the shared leaf.
func TestGCKeepsBlocksSharedWithPinnedRoots(t *testing.T) {
	s := openStore(t)
	shared := randomBytes(20, 1<<20)
	a := append(bytes.Clone(shared), randomBytes(21, 1<<20)...)
	b := append(bytes.Clone(shared), randomBytes(22, 1<<20)...)
	rootA, rootB := mustImport(t, s, a), mustImport(t, s, b)
	_, blocksA := readCAR(t, mustCAR(t, s, rootA))
	_, blocksB := readCAR(t, mustCAR(t, s, rootB))
	sharedLeaf, onlyA := blocksA[1].c, blocksA[2].c
	if !blocksB[1].c.Equals(sharedLeaf) {
		t.Fatal("test setup: the first leaves should be the same block")
	}
	if n := blockCount(t, s); n != 5 {
		t.Fatalf("store holds %d blocks, want 5 (2 roots, 3 distinct leaves)", n)
	}
	for _, r := range []cid.Cid{rootA, rootB} {
		if err := s.Pin(t.Context(), r, "record"); err != nil {
			t.Fatal(err)
		}
	}
	if s.PinnedCount() != 2 {
		t.Fatalf("PinnedCount = %d, want 2", s.PinnedCount())
	}

	const grace = 24 * time.Hour
	unpinned := time.Now()
	if err := s.Unpin(t.Context(), rootA, unpinned); err != nil {
		t.Fatal(err)
	}
	if s.PinnedCount() != 1 {
		t.Fatalf("PinnedCount after Unpin = %d, want 1", s.PinnedCount())
	}

	// Within the grace period nothing goes: readers that have not yet seen
	// the unpin can still fetch.
	if n := mustGC(t, s, unpinned.Add(grace-time.Minute), grace); n != 0 {
		t.Fatalf("GC within grace removed %d blocks", n)
	}
	if !bytes.Equal(cat(t, s, rootA), a) {
		t.Fatal("file A unreadable within its grace period")
	}

	// After it, A's root and its own leaf go; the shared leaf stays for B.
	if n := mustGC(t, s, unpinned.Add(grace+time.Minute), grace); n != 2 {
		t.Fatalf("GC after grace removed %d blocks, want 2", n)
	}
	mustHave(t, s, rootA, false, "A's root")
	mustHave(t, s, onlyA, false, "A's own leaf")
	mustHave(t, s, sharedLeaf, true, "the shared leaf")
	if !bytes.Equal(cat(t, s, rootB), b) {
		t.Fatal("file B damaged by collecting A")
	}
	pins, err := s.Pins(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || !pins[0].Root.Equals(rootB) || !pins[0].Pinned() || pins[0].Reason != "record" {
		t.Fatalf("pins after GC = %+v, want only B pinned", pins)
	}
	if n := mustGC(t, s, unpinned.Add(10*grace), grace); n != 0 {
		t.Fatalf("a second GC removed %d more blocks", n)
	}
}

// An import that is never pinned (an upload whose record was never
// registered) survives one grace period from its write, then goes.
func TestGCCollectsUnpinnedImportsAfterGrace(t *testing.T) {
	s := openStore(t)
	root := mustImport(t, s, randomBytes(23, 1<<20+1))
	const grace = time.Hour
	written := time.Now()
	if n := mustGC(t, s, written.Add(grace/2), grace); n != 0 {
		t.Fatalf("GC removed %d blocks of a fresh import", n)
	}
	mustHave(t, s, root, true, "fresh root")
	if n := mustGC(t, s, written.Add(2*grace), grace); n != 3 {
		t.Fatalf("GC removed %d blocks of an expired import, want 3", n)
	}
	mustHave(t, s, root, false, "expired root")
	if n := blockCount(t, s); n != 0 {
		t.Fatalf("%d blocks left", n)
	}
}

func TestPinLifecycle(t *testing.T) {
	s := openStore(t)
	root := mustImport(t, s, []byte("payload"))

	// Unpinning what is not pinned changes nothing.
	if err := s.Unpin(t.Context(), root, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.PinnedCount() != 0 {
		t.Fatal("Unpin of an unpinned root changed the count")
	}
	if err := s.Pin(t.Context(), root, "upload"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(t.Context(), root, "record 7"); err != nil {
		t.Fatal(err)
	}
	if s.PinnedCount() != 1 {
		t.Fatalf("PinnedCount = %d after pinning twice, want 1", s.PinnedCount())
	}
	pins, err := s.Pins(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || pins[0].Reason != "record 7" || pins[0].PinnedAt.IsZero() {
		t.Fatalf("pins = %+v", pins)
	}

	// Pinned roots survive any GC.
	if n := mustGC(t, s, time.Now().Add(1000*time.Hour), time.Nanosecond); n != 0 {
		t.Fatalf("GC removed %d blocks of a pinned root", n)
	}

	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Unpin(t.Context(), root, at); err != nil {
		t.Fatal(err)
	}
	pins, _ = s.Pins(t.Context())
	if !pins[0].UnpinnedAt.Equal(at) || pins[0].Pinned() {
		t.Fatalf("after Unpin: %+v, want unpinned at %v", pins[0], at)
	}
	// Pinning again during the grace period rescues the root.
	if err := s.Pin(t.Context(), root, "re-pinned"); err != nil {
		t.Fatal(err)
	}
	if n := mustGC(t, s, at.Add(1000*time.Hour), time.Hour); n != 0 {
		t.Fatalf("GC removed %d blocks of a re-pinned root", n)
	}
}

// An import that fails midway leaves blocks no root reaches; GC deletes them
// at once, since no root's grace period covers them.
func TestGCCollectsBlocksOfAFailedImport(t *testing.T) {
	s := openStore(t)
	kept := mustImport(t, s, randomBytes(24, 10))
	if err := s.Pin(t.Context(), kept, "record"); err != nil {
		t.Fatal(err)
	}
	failing := io.MultiReader(bytes.NewReader(randomBytes(25, 20<<20)), iotest.ErrReader(errors.New("disk unplugged")))
	if _, _, err := s.Import(t.Context(), failing); err == nil || !strings.Contains(err.Error(), "disk unplugged") {
		t.Fatalf("Import from a failing reader: %v", err)
	}
	orphans := blockCount(t, s) - 1
	if orphans <= 0 {
		t.Fatalf("test setup: the failed import left %d blocks, want some", orphans)
	}
	if n := mustGC(t, s, time.Now(), time.Hour); n != orphans {
		t.Fatalf("GC removed %d blocks, want the %d orphans", n, orphans)
	}
	mustHave(t, s, kept, true, "the pinned root")
}

// GC running while files are imported and pinned must never take a block
// of an import in progress, which no root yet reaches.
func TestGCDuringImports(t *testing.T) {
	s := openStore(t)
	type file struct {
		root cid.Cid
		data []byte
	}
	files := make(chan file, 12)
	done := make(chan struct{})
	gcErr := make(chan error, 1)
	go func() {
		defer close(gcErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.GC(t.Context(), time.Now(), time.Hour); err != nil {
				gcErr <- err
				return
			}
		}
	}()
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := range 3 {
				data := randomBytes(byte(40+3*w+i), 1<<20+1000*i)
				root, _, err := s.Import(t.Context(), bytes.NewReader(data))
				if err == nil {
					err = s.Pin(t.Context(), root, "record")
				}
				if err != nil {
					errs <- err
					return
				}
				files <- file{root, data}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-gcErr; err != nil {
		t.Fatalf("GC: %v", err)
	}
	close(files)
	for f := range files {
		if !bytes.Equal(cat(t, s, f.root), f.data) {
			t.Fatalf("%s damaged by a concurrent GC", f.root)
		}
	}
}

// A pin made for a record is released only by that record (or an
// operator's Unpin), and GC keeps the live roots it is given even when
// their pin record says otherwise.
func TestReleaseOnlyByTheOwningRecordAndGCKeepsLiveRoots(t *testing.T) {
	s := openStore(t)
	root := mustImport(t, s, randomBytes(30, 2<<20))
	if err := s.PinRecord(t.Context(), root, 1, 1); err != nil {
		t.Fatal(err)
	}
	released, err := s.Release(t.Context(), root, 10, time.Now())
	if !errors.Is(err, ErrNotPinOwner) || released {
		t.Fatalf("Release by record 10 = %v, %v; want ErrNotPinOwner", released, err)
	}
	if s.PinnedCount() != 1 {
		t.Fatal("a release by another record let the pin go")
	}
	if released, err = s.Release(t.Context(), root, 1, time.Now()); err != nil || !released {
		t.Fatalf("Release by its record = %v, %v", released, err)
	}
	later := time.Now().Add(time.Hour)
	n, err := s.GC(t.Context(), later, time.Minute, root)
	if err != nil || n != 0 {
		t.Fatalf("GC with the root live = %d, %v; want nothing collected", n, err)
	}
	mustHave(t, s, root, true, "the live root")
	if n := mustGC(t, s, later, time.Minute); n != 3 {
		t.Fatalf("GC once nothing keeps it collected %d blocks, want 3", n)
	}
	if err := s.PinRecord(t.Context(), root, 1, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pinning a collected root = %v, want ErrNotFound", err)
	}
}

// A replica fetch (a root-first CAR) never leaves the root in the store
// before the DAG under it is complete: while the transfer is half done, and
// after it is cut off, the vault does not hold the root, so it never takes
// a partial DAG for a held payload; the next fetch completes it.
func TestReplicaRootWrittenLast(t *testing.T) {
	src := openStore(t)
	data := randomBytes(40, 12<<20)
	root := mustImport(t, src, data)
	carBytes := mustCAR(t, src, root)

	s := openStore(t)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.ImportReplica(t.Context(), pr, 0, root)
		done <- err
	}()
	if _, err := pw.Write(carBytes[:len(carBytes)*3/4]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for blockCount(t, s) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no block of the half transfer was written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustHave(t, s, root, false, "the root of a half-done transfer")
	pw.CloseWithError(errors.New("peer went away"))
	if err := <-done; err == nil {
		t.Fatal("a cut-off transfer succeeded")
	}
	mustHave(t, s, root, false, "the root of a cut-off transfer")

	size, err := s.ImportReplica(t.Context(), bytes.NewReader(carBytes), 0, root)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("second fetch: size %d, %v", size, err)
	}
	mustHave(t, s, root, true, "the root of a complete transfer")
	if !bytes.Equal(cat(t, s, root), data) {
		t.Fatal("the replica differs from the original")
	}
	other := mustImport(t, src, randomBytes(41, 1<<20))
	if _, err := s.ImportReplica(t.Context(), bytes.NewReader(mustCAR(t, src, other)), 0, root); !errors.Is(err, ErrBadCAR) {
		t.Fatalf("a CAR of another root: %v, want ErrBadCAR", err)
	}
}
