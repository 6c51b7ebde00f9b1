package envelope

import (
	"bytes"
	"crypto/hpke"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// keyPairFromSeed derives a key pair from a fixed fake signature, without
// a keyring.
func keyPairFromSeed(t testing.TB, seed byte) *KeyPair {
	t.Helper()
	sig := bytes.Repeat([]byte{seed}, 64)
	kp, err := DeriveKeyPair(testChainID, "med1test", func([]byte) ([]byte, error) { return sig, nil })
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func testRecordKeyBytes(t testing.TB) []byte {
	t.Helper()
	k, err := NewRecordKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Bytes()
}

var testBinding = Binding{ChainID: "medchain-local-1", RecordID: 42, KeyEpoch: 3, Grantee: "med1grantee"}

func wrapFor(t testing.TB, kp *KeyPair, recordKey []byte, b Binding) WrapInfo {
	t.Helper()
	ct, err := Wrap(kp.PublicKey(), recordKey, b)
	if err != nil {
		t.Fatal(err)
	}
	return WrapInfo{KeyID: kp.KeyID(), KeyEpoch: b.KeyEpoch, Ciphertext: ct}
}

func TestWrapSizes(t *testing.T) {
	kp := keyPairFromSeed(t, 1)
	pk, err := ParsePublicKey(kp.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	enc, _, err := hpke.NewSender(pk, KDF(), AEAD(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != EncapsulatedKeySize || EncapsulatedKeySize != 1120 {
		t.Fatalf("encapsulated key is %d bytes, EncapsulatedKeySize %d", len(enc), EncapsulatedKeySize)
	}
	if WrapOverhead != 1136 {
		t.Fatalf("WrapOverhead = %d", WrapOverhead)
	}
	recordKey := testRecordKeyBytes(t)
	w := wrapFor(t, kp, recordKey, testBinding)
	if len(w.Ciphertext) != len(recordKey)+WrapOverhead {
		t.Fatalf("wrap of a %d-byte record key is %d bytes, want %d", len(recordKey), len(w.Ciphertext), len(recordKey)+WrapOverhead)
	}
	t.Logf("record key %d bytes, wrap %d bytes", len(recordKey), len(w.Ciphertext))
}

func TestWrapUnwrap(t *testing.T) {
	kp := keyPairFromSeed(t, 1)
	for _, recordKey := range [][]byte{{0}, testRecordKeyBytes(t), bytes.Repeat([]byte{0xff}, MaxRecordKeySize)} {
		got, err := Unwrap(kp, wrapFor(t, kp, recordKey, testBinding), testBinding)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, recordKey) {
			t.Fatalf("unwrapped %x, want %x", got, recordKey)
		}
	}
}

func TestWrapRejects(t *testing.T) {
	kp := keyPairFromSeed(t, 1)
	if _, err := Wrap(kp.PublicKey(), nil, testBinding); err == nil {
		t.Error("empty record key accepted")
	}
	if _, err := Wrap(kp.PublicKey(), make([]byte, MaxRecordKeySize+1), testBinding); err == nil {
		t.Error("oversized record key accepted")
	}
	if _, err := Wrap(kp.PublicKey()[1:], []byte("k"), testBinding); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("truncated public key: %v", err)
	}
	for _, b := range []Binding{{Grantee: "med1g", RecordID: 1}, {ChainID: "c", RecordID: 1}} {
		if _, err := Wrap(kp.PublicKey(), []byte("k"), b); err == nil {
			t.Errorf("binding %+v accepted", b)
		}
	}
}

func TestBindingInfo(t *testing.T) {
	got := hex.EncodeToString(Binding{ChainID: "c", RecordID: 1, KeyEpoch: 2, Grantee: "g"}.Info())
	want := hex.EncodeToString([]byte("medchain/wrap/v1")) + "0163" + "0000000000000001" + "0000000000000002" + "0167"
	if got != want {
		t.Fatalf("info:\n got %s\nwant %s", got, want)
	}
}

func TestBindingInfoDistinct(t *testing.T) {
	long := strings.Repeat("x", 200) // a two-byte uvarint length
	bindings := []Binding{
		{},
		testBinding,
		{ChainID: "medchain-local-1", RecordID: 42, KeyEpoch: 3, Grantee: "med1grantee2"},
		{ChainID: "medchain-local-2", RecordID: 42, KeyEpoch: 3, Grantee: "med1grantee"},
		{ChainID: "medchain-local-1", RecordID: 43, KeyEpoch: 3, Grantee: "med1grantee"},
		{ChainID: "medchain-local-1", RecordID: 42, KeyEpoch: 4, Grantee: "med1grantee"},
		{ChainID: "medchain-local-1", RecordID: 3, KeyEpoch: 42, Grantee: "med1grantee"},
		{ChainID: "ab", Grantee: ""},
		{ChainID: "a", Grantee: "b"},
		{ChainID: "", Grantee: "ab"},
		{ChainID: "a\x01", Grantee: ""},
		{ChainID: long, Grantee: "g"},
		{ChainID: long + "g"},
		{RecordID: 1 << 32},
		{KeyEpoch: 1 << 32},
		{RecordID: 1},
		{KeyEpoch: 1},
	}
	seen := map[string]Binding{}
	for _, b := range bindings {
		info := string(b.Info())
		if prev, ok := seen[info]; ok {
			t.Fatalf("%+v and %+v share an info", prev, b)
		}
		seen[info] = b
	}
}

func TestUnwrapErrors(t *testing.T) {
	kp, other := keyPairFromSeed(t, 1), keyPairFromSeed(t, 2)
	recordKey := testRecordKeyBytes(t)
	w := wrapFor(t, kp, recordKey, testBinding)

	flip := func(i int) WrapInfo {
		c := w
		c.Ciphertext = bytes.Clone(w.Ciphertext)
		c.Ciphertext[i] ^= 0x01
		return c
	}
	with := func(f func(*Binding)) Binding {
		b := testBinding
		f(&b)
		return b
	}
	sealedToOther := wrapFor(t, other, recordKey, testBinding)
	sealedToOther.KeyID = kp.KeyID() // metadata that lies about the key

	cases := []struct {
		name     string
		kp       *KeyPair
		w        WrapInfo
		expected Binding
		want     error
		mentions []string
	}{
		{"another reader's key", other, w, testBinding, ErrWrongKey, []string{kp.KeyID(), other.KeyID(), "re-register"}},
		{"older epoch", kp, w, with(func(b *Binding) { b.KeyEpoch = 4 }), ErrWrongEpoch, []string{"epoch 3", "at 4"}},
		{"flipped byte in enc", kp, flip(10), testBinding, ErrTampered, nil},
		{"flipped byte in the sealed key", kp, flip(EncapsulatedKeySize + 5), testBinding, ErrTampered, nil},
		{"flipped tag", kp, flip(len(w.Ciphertext) - 1), testBinding, ErrTampered, nil},
		{"replayed for another record", kp, w, with(func(b *Binding) { b.RecordID = 43 }), ErrTampered, []string{"record 43"}},
		{"replayed on another chain", kp, w, with(func(b *Binding) { b.ChainID = "medchain-1" }), ErrTampered, nil},
		{"replayed for another grantee", kp, w, with(func(b *Binding) { b.Grantee = "med1other" }), ErrTampered, nil},
		{"epoch metadata changed", kp, WrapInfo{KeyID: w.KeyID, KeyEpoch: 4, Ciphertext: w.Ciphertext}, with(func(b *Binding) { b.KeyEpoch = 4 }), ErrTampered, nil},
		{"sealed to another key", kp, sealedToOther, testBinding, ErrTampered, nil},
		{"too short", kp, WrapInfo{KeyID: w.KeyID, KeyEpoch: 3, Ciphertext: w.Ciphertext[:WrapOverhead]}, testBinding, ErrUnknownAlgorithm, []string{AlgorithmName}},
		{"x25519-sized", kp, WrapInfo{KeyID: w.KeyID, KeyEpoch: 3, Ciphertext: make([]byte, 32+16+80)}, testBinding, ErrUnknownAlgorithm, nil},
		{"too long", kp, WrapInfo{KeyID: w.KeyID, KeyEpoch: 3, Ciphertext: make([]byte, WrapOverhead+MaxRecordKeySize+1)}, testBinding, ErrUnknownAlgorithm, nil},
	}
	sentinels := []error{ErrNoAccess, ErrWrongKey, ErrWrongEpoch, ErrTampered, ErrUnknownAlgorithm, ErrNotForThisKey}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Unwrap(c.kp, c.w, c.expected)
			if got != nil {
				t.Fatalf("returned a key: %x", got)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			for _, s := range sentinels {
				if s != c.want && errors.Is(err, s) {
					t.Fatalf("err %v also matches %v", err, s)
				}
			}
			for _, m := range c.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
	if _, err := Unwrap(nil, w, testBinding); err == nil {
		t.Fatal("nil key pair accepted")
	}
}

func TestSentinelsDistinct(t *testing.T) {
	sentinels := []error{ErrNoAccess, ErrWrongKey, ErrWrongEpoch, ErrTampered, ErrUnknownAlgorithm, ErrNotForThisKey}
	for i, a := range sentinels {
		for j, b := range sentinels {
			if i != j && (errors.Is(a, b) || a.Error() == b.Error()) {
				t.Fatalf("%v and %v are not distinct", a, b)
			}
		}
	}
}

// TestAnchorBinding: a wrap bound to the CID that opened its key epoch
// opens for that anchor only, whatever record id the reader expects; a
// wrap sealed before anchors existed (bound to the record id) still opens
// for a reader who knows both.
func TestAnchorBinding(t *testing.T) {
	kp := keyPairFromSeed(t, 9)
	rk := testRecordKeyBytes(t)
	anchored := testBinding
	anchored.Anchor, anchored.RecordID = "bafkreianchor", 0
	w := wrapFor(t, kp, rk, anchored)

	reader := anchored
	reader.RecordID = 42 // the id the chain assigned later
	if got, err := Unwrap(kp, w, reader); err != nil || !bytes.Equal(got, rk) {
		t.Fatalf("the anchored wrap does not open for its record: %v", err)
	}
	other := reader
	other.Anchor = "bafkreiotheranchor"
	if _, err := Unwrap(kp, w, other); !errors.Is(err, ErrTampered) {
		t.Fatalf("another epoch's anchor: %v", err)
	}
	if bytes.Equal(anchored.Info(), testBinding.Info()) {
		t.Fatal("an anchored binding shares its info with a record-id binding")
	}

	legacy := wrapFor(t, kp, rk, testBinding) // RecordID 42, no anchor
	reader.Anchor = "bafkreianchor"
	if got, err := Unwrap(kp, legacy, reader); err != nil || !bytes.Equal(got, rk) {
		t.Fatalf("a wrap bound to the record id does not open after anchors: %v", err)
	}
	reader.RecordID = 43
	if _, err := Unwrap(kp, legacy, reader); !errors.Is(err, ErrTampered) {
		t.Fatalf("a legacy wrap opened for another record id: %v", err)
	}
}
