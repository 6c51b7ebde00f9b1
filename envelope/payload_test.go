package envelope

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	mathrand "math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"
)

func newRecordKey(t testing.TB) RecordKey {
	t.Helper()
	k, err := NewRecordKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encrypt(t testing.TB, plaintext []byte, key RecordKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := Encrypt(&buf, bytes.NewReader(plaintext), int64(len(plaintext)), key)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Encrypt reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func decryptAll(ciphertext []byte, key RecordKey) ([]byte, error) {
	r, err := Decrypt(bytes.NewReader(ciphertext), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestRecordKeyEncoding(t *testing.T) {
	k := newRecordKey(t)
	b := k.Bytes()
	if !strings.HasPrefix(string(b), "AGE-SECRET-KEY-PQ-1") || len(b) > MaxRecordKeySize {
		t.Fatalf("record key %d bytes: %.20s...", len(b), b)
	}
	if !strings.HasPrefix(k.Recipient(), "age1pq1") {
		t.Fatalf("recipient %.20s...", k.Recipient())
	}
	parsed, err := ParseRecordKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Bytes(), b) || parsed.Recipient() != k.Recipient() {
		t.Fatal("ParseRecordKey does not round-trip")
	}
	if bytes.Equal(newRecordKey(t).Bytes(), b) {
		t.Fatal("two fresh record keys are equal")
	}
	t.Logf("record key %d bytes, recipient %d bytes", len(b), len(k.Recipient()))
}

func TestParseRecordKeyRejects(t *testing.T) {
	x25519, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k := newRecordKey(t).Bytes()
	for name, b := range map[string][]byte{
		"empty":           nil,
		"x25519 identity": []byte(x25519.String()),
		"recipient":       []byte(newRecordKey(t).Recipient()),
		"bad checksum":    append(bytes.Clone(k[:len(k)-1]), k[len(k)-1]^1),
	} {
		_, err := ParseRecordKey(b)
		if !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("%s: err = %v, want ErrUnknownAlgorithm", name, err)
		}
		if err != nil && len(b) > 0 && strings.Contains(err.Error(), string(b)) {
			t.Errorf("%s: the error repeats the secret", name)
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	key := newRecordKey(t)
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3 << 20} {
		plaintext := make([]byte, size)
		rand.Read(plaintext)
		ciphertext := encrypt(t, plaintext, key)
		got, err := decryptAll(ciphertext, key)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("%d bytes: the round trip changed the payload", size)
		}
		if size > 0 && bytes.Contains(ciphertext, plaintext[:min(size, 32)]) && size >= 16 {
			t.Fatalf("%d bytes: the plaintext appears in the ciphertext", size)
		}
	}
}

func TestDecryptWrongKey(t *testing.T) {
	ciphertext := encrypt(t, []byte("FHIR bundle"), newRecordKey(t))
	_, err := Decrypt(bytes.NewReader(ciphertext), newRecordKey(t))
	if !errors.Is(err, ErrNotForThisKey) || errors.Is(err, ErrTampered) {
		t.Fatalf("err = %v, want ErrNotForThisKey", err)
	}
}

func TestDecryptTampered(t *testing.T) {
	key := newRecordKey(t)
	plaintext := make([]byte, 3<<20)
	rand.Read(plaintext)
	ciphertext := encrypt(t, plaintext, key)

	flipped := bytes.Clone(ciphertext)
	flipped[len(flipped)/2] ^= 0x40
	cases := map[string][]byte{
		"flipped byte in the middle": flipped,
		"last byte cut":              ciphertext[:len(ciphertext)-1],
		"cut in half":                ciphertext[:len(ciphertext)/2],
		"last chunk cut":             ciphertext[:len(ciphertext)-(64<<10+16)],
		"trailing data":              append(bytes.Clone(ciphertext), 0),
		"cut in the header":          ciphertext[:40],
		"empty":                      nil,
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := decryptAll(c, key)
			if !errors.Is(err, ErrTampered) || errors.Is(err, ErrNotForThisKey) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
			if name != "trailing data" && len(got) >= len(plaintext) {
				t.Fatalf("read the whole payload (%d bytes) despite the error", len(got))
			}
		})
	}
}

// failingReader serves data, then fails as a broken connection would.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestDecryptSourceError(t *testing.T) {
	key := newRecordKey(t)
	plaintext := make([]byte, 1<<20)
	ciphertext := encrypt(t, plaintext, key)
	broken := errors.New("connection reset by vault")
	for name, cut := range map[string]int{"in the header": 40, "in the payload": len(ciphertext) / 2} {
		t.Run(name, func(t *testing.T) {
			r, err := Decrypt(&failingReader{data: ciphertext[:cut], err: broken}, key)
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, broken) || errors.Is(err, ErrTampered) {
				t.Fatalf("err = %v, want the source's error", err)
			}
		})
	}
}

func TestZeroRecordKey(t *testing.T) {
	var k RecordKey
	if _, err := Encrypt(io.Discard, strings.NewReader("x"), 1, k); err == nil {
		t.Fatal("Encrypt with a zero RecordKey")
	}
	if _, err := Decrypt(strings.NewReader("x"), k); err == nil {
		t.Fatal("Decrypt with a zero RecordKey")
	}
	if k.Bytes() != nil || k.Recipient() != "" {
		t.Fatal("a zero RecordKey has an encoding")
	}
}

// heapSampler reads from r and records the largest HeapInuse it sees
// every 4 MiB.
type heapSampler struct {
	r       io.Reader
	n, next int64
	peak    *atomic.Uint64
}

func (h *heapSampler) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if h.n >= h.next {
		h.next += 4 << 20
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		for {
			old := h.peak.Load()
			if m.HeapInuse <= old || h.peak.CompareAndSwap(old, m.HeapInuse) {
				break
			}
		}
	}
	return n, err
}

// TestStreaming64MiB encrypts 64 MiB from a generator straight into
// Decrypt through a pipe and checks the plaintext's hash and that the heap
// stays far below the payload's size.
func TestStreaming64MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB")
	}
	const size = 64 << 20
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := new(atomic.Uint64)

	key := newRecordKey(t)
	inHash, outHash := sha256.New(), sha256.New()
	src := io.TeeReader(io.LimitReader(mathrand.NewChaCha8([32]byte{1}), size), inHash)
	pr, pw := io.Pipe()
	encrypted := make(chan int64, 1)
	go func() {
		n, err := Encrypt(pw, &heapSampler{r: src, peak: peak}, size, key)
		pw.CloseWithError(err)
		encrypted <- n
	}()
	r, err := Decrypt(pr, key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(outHash, r)
	if err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Fatalf("decrypted %d bytes, want %d", n, size)
	}
	if !bytes.Equal(inHash.Sum(nil), outHash.Sum(nil)) {
		t.Fatal("the streamed round trip changed the payload")
	}
	ctSize := <-encrypted
	if ctSize <= size {
		t.Fatalf("ciphertext %d bytes", ctSize)
	}
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("ciphertext %d bytes (%d overhead); peak heap growth %.1f MiB", ctSize, ctSize-size, float64(growth)/(1<<20))
	if growth > 16<<20 {
		t.Fatalf("heap grew by %d MiB while streaming 64 MiB", growth>>20)
	}
}
