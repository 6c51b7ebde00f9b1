package vault

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// stream is the deterministic byte stream the Kubo interop inputs are
// prefixes of: ChaCha8 keyed with 42 followed by 31 zero bytes.
func stream(n int64) io.Reader {
	var seed [32]byte
	seed[0] = 42
	return io.LimitReader(rand.NewChaCha8(seed), n)
}

// randomBytes returns n bytes of a ChaCha8 stream keyed by seed; different
// seeds give unrelated bytes, and none of them equals stream.
func randomBytes(seed byte, n int) []byte {
	var key [32]byte
	key[0], key[1] = seed, 1
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustImport(t testing.TB, s *Store, data []byte) cid.Cid {
	t.Helper()
	root, n, err := s.Import(t.Context(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Import read %d bytes, want %d", n, len(data))
	}
	return root
}

func cat(t testing.TB, s *Store, root cid.Cid) []byte {
	t.Helper()
	r, err := s.Cat(t.Context(), root)
	if err != nil {
		t.Fatalf("Cat %s: %v", root, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("Cat %s: read: %v", root, err)
	}
	return b
}

func mustCAR(t testing.TB, s *Store, root cid.Cid) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteCAR(t.Context(), root, &buf); err != nil {
		t.Fatalf("WriteCAR: %v", err)
	}
	return buf.Bytes()
}

type carBlock struct {
	c    cid.Cid
	data []byte
}

func readCAR(t testing.TB, data []byte) ([]cid.Cid, []carBlock) {
	t.Helper()
	br, err := car.NewBlockReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read CAR: %v", err)
	}
	var out []carBlock
	for {
		b, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read CAR block: %v", err)
		}
		out = append(out, carBlock{b.Cid(), b.RawData()})
	}
	return br.Roots, out
}

// rawCAR writes blocks as given, without checking them: the way to build
// a hostile upload.
func rawCAR(t testing.TB, roots []cid.Cid, bs []carBlock) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := storage.NewWritable(&buf, roots, car.WriteAsCarV1(true), car.UseWholeCIDs(true), car.AllowDuplicatePuts(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := w.Put(t.Context(), b.c.KeyString(), b.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// blockCount is the number of blocks in the store.
func blockCount(t testing.TB, s *Store) int {
	t.Helper()
	ch, err := s.raw.AllKeysChan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range ch {
		n++
	}
	return n
}

// assertEmpty checks that a store holds no block, no pin record and no
// spool file: what a rejected upload must leave.
func assertEmpty(t testing.TB, s *Store) {
	t.Helper()
	if n := blockCount(t, s); n != 0 {
		t.Errorf("store holds %d blocks, want 0", n)
	}
	pins, err := s.Pins(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 0 {
		t.Errorf("store has %d pin records, want 0", len(pins))
	}
	spool, err := os.ReadDir(s.tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(spool) != 0 {
		t.Errorf("upload spool holds %d files, want 0", len(spool))
	}
}

// mustReject uploads carBytes into a fresh store and checks that the
// upload fails with want, names the block concerned (unless named is
// undefined) and leaves the store empty.
func mustReject(t *testing.T, carBytes []byte, want error, named cid.Cid) {
	t.Helper()
	dst := openStore(t)
	_, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), 0)
	if !errors.Is(err, want) {
		t.Fatalf("ImportCAR error %v, want %v", err, want)
	}
	if named.Defined() && !strings.Contains(err.Error(), named.String()) {
		t.Fatalf("error %q does not name %s", err, named)
	}
	assertEmpty(t, dst)
}

// buildCAR is BuildCAR into memory.
func buildCAR(t testing.TB, input []byte) (cid.Cid, []byte) {
	t.Helper()
	var buf bytes.Buffer
	root, err := BuildCAR(t.Context(), bytes.NewReader(input), &buf)
	if err != nil {
		t.Fatalf("BuildCAR: %v", err)
	}
	return root, buf.Bytes()
}
