package envelope

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/medchain/medchain/envelope/sizeclass"
)

// TestPaddedRoundTrip: whatever the payload's size, its encrypted size is a
// Padmé class and exactly EncryptedSize, and it decrypts to the same bytes
// with its exact size known up front.
func TestPaddedRoundTrip(t *testing.T) {
	key := newRecordKey(t)
	for _, n := range []int{0, 1, 100, 4000, 65536 - PadHeaderSize, 65536, 65537, 200_000, 1<<20 + 3} {
		plain := bytes.Repeat([]byte{0xA5}, n)
		ct := encrypt(t, plain, key)
		if !sizeclass.IsClass(uint64(len(ct))) {
			t.Errorf("%d bytes encrypt to %d, not a size class", n, len(ct))
		}
		if want, err := EncryptedSize(int64(n)); err != nil || want != int64(len(ct)) {
			t.Errorf("EncryptedSize(%d) = %d, %v; Encrypt wrote %d", n, want, err, len(ct))
		}
		pt, err := Decrypt(bytes.NewReader(ct), key)
		if err != nil {
			t.Fatal(err)
		}
		if pt.Size() != int64(n) {
			t.Errorf("Size() = %d, want %d", pt.Size(), n)
		}
		got, err := io.ReadAll(pt)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: round trip gave %d bytes, %v", n, len(got), err)
		}
	}
}

// TestSizesShareClasses: payloads of different sizes become one encrypted
// size, so the size no longer tells them apart.
func TestSizesShareClasses(t *testing.T) {
	a, _ := EncryptedSize(300_000)
	b, _ := EncryptedSize(300_500)
	if a != b {
		t.Fatalf("300,000 and 300,500 bytes encrypt to %d and %d", a, b)
	}
}

func TestEncryptRefusesAFileThatChanged(t *testing.T) {
	key := newRecordKey(t)
	if _, err := Encrypt(io.Discard, strings.NewReader("short"), 10, key); err == nil || !strings.Contains(err.Error(), "ended after 5") {
		t.Fatalf("shrunk source: %v", err)
	}
	if _, err := Encrypt(io.Discard, strings.NewReader("longer than said"), 4, key); err == nil || !strings.Contains(err.Error(), "more than the 4 bytes") {
		t.Fatalf("grown source: %v", err)
	}
}

// TestLegacyPayloadsStillDecrypt: a payload encrypted before padding (plain
// age, no frame) reads back unchanged, and its plaintext size follows from
// its encrypted size so a key rotation can pad it.
func TestLegacyPayloadsStillDecrypt(t *testing.T) {
	key := newRecordKey(t)
	for _, n := range []int{0, 5, 70_000} {
		plain := bytes.Repeat([]byte("x"), n)
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, key.identity.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		pt, err := Decrypt(bytes.NewReader(buf.Bytes()), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(pt)
		if err != nil || !bytes.Equal(got, plain) || pt.Size() != -1 {
			t.Fatalf("legacy %d bytes: got %d, size %d, %v", n, len(got), pt.Size(), err)
		}
		if p, err := LegacyPlaintextSize(int64(buf.Len())); err != nil || p != int64(n) {
			t.Fatalf("LegacyPlaintextSize(%d) = %d, %v; want %d", buf.Len(), p, err, n)
		}
	}
}

// TestBadPaddingIsRefused: a frame whose padding is not zeros, or which
// claims more bytes than the payload holds, is an error, not a short read.
func TestBadPaddingIsRefused(t *testing.T) {
	key := newRecordKey(t)
	for name, body := range map[string][]byte{
		"non-zero padding": append(append(padFrame(3), "abc"...), 0, 0, 1),
		"truncated":        append(padFrame(10), "abc"...),
	} {
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, key.identity.Recipient())
		w.Write(body)
		w.Close()
		pt, err := Decrypt(&buf, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(pt); !errors.Is(err, ErrBadPadding) {
			t.Errorf("%s: err = %v, want ErrBadPadding", name, err)
		}
	}
}
