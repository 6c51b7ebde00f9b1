package envelope

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
)

// BenchmarkDeriveKeyPair includes the secp256k1 signature by an in-memory
// keyring, as the CLI derives the key.
func BenchmarkDeriveKeyPair(b *testing.B) {
	a := newTestAccount(b, mnemonicA)
	for b.Loop() {
		if _, err := DeriveKeyPair(testChainID, a.addr, a.sign); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrap(b *testing.B) {
	kp := keyPairFromSeed(b, 1)
	pub, recordKey := kp.PublicKey(), testRecordKeyBytes(b)
	for b.Loop() {
		if _, err := Wrap(pub, recordKey, testBinding); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrap(b *testing.B) {
	kp := keyPairFromSeed(b, 1)
	w := wrapFor(b, kp, testRecordKeyBytes(b), testBinding)
	for b.Loop() {
		if _, err := Unwrap(kp, w, testBinding); err != nil {
			b.Fatal(err)
		}
	}
}

// repeatReader serves the same buffer forever without allocating.
type repeatReader struct{ buf []byte }

func (r repeatReader) Read(p []byte) (int, error) {
	return copy(p, r.buf), nil
}

func BenchmarkEncrypt(b *testing.B) {
	const size = 8 << 20
	buf := make([]byte, 64<<10)
	rand.Read(buf)
	key := newRecordKey(b)
	b.SetBytes(size)
	for b.Loop() {
		if _, err := Encrypt(io.Discard, io.LimitReader(repeatReader{buf}, size), size, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	const size = 8 << 20
	buf := make([]byte, size)
	rand.Read(buf)
	key := newRecordKey(b)
	ciphertext := encrypt(b, buf, key)
	b.SetBytes(size)
	for b.Loop() {
		r, err := Decrypt(bytes.NewReader(ciphertext), key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
