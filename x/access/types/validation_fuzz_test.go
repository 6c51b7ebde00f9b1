package types_test

import (
	"bytes"
	"crypto/hpke"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// The fuzz tests below check that the validators the msg server and
// genesis rely on never panic and accept exactly what their documentation
// says. Seeds live in testdata/fuzz/<FuzzName>; search further with e.g.
//
//	go test -run '^$' -fuzz=FuzzValidateTarget -fuzztime=20s ./x/access/types/

// kindsFromBytes reads each byte as a signed 8-bit kind, so the fuzzer
// reaches the valid kinds, UNSPECIFIED, unknown positive values and
// negative ones alike.
func kindsFromBytes(raw []byte) []recordstypes.RecordKind {
	kinds := make([]recordstypes.RecordKind, len(raw))
	for i, b := range raw {
		kinds[i] = recordstypes.RecordKind(int32(int8(b)))
	}
	return kinds
}

// requireVerdict fails t unless call accepted (err == nil) exactly when
// want, and rejected only with one of the registered errors allowed. It
// returns whether call accepted.
func requireVerdict(t *testing.T, call string, err error, want bool, allowed ...*errorsmod.Error) bool {
	t.Helper()
	switch {
	case err == nil && !want:
		t.Fatalf("%s accepted an invalid input", call)
	case err != nil && want:
		t.Fatalf("%s rejected a valid input: %v", call, err)
	case err != nil && !slices.ContainsFunc(allowed, func(e *errorsmod.Error) bool { return e.Is(err) }):
		t.Fatalf("%s failed with an unexpected error: %v", call, err)
	}
	return err == nil
}

// FuzzValidateTarget: a target is accepted if and only if it is one record
// without kinds, or a scope (record 0) of distinct valid kinds; rejections
// are ErrInvalidGrant. An accepted scope covers exactly its kinds (every
// kind when it lists none).
func FuzzValidateTarget(f *testing.F) {
	f.Add(uint64(0), []byte{})
	f.Add(uint64(7), []byte{})
	f.Add(uint64(0), []byte{1, 2, 6})
	f.Add(uint64(0), []byte{1, 1})
	f.Add(uint64(0), []byte{0})
	f.Add(uint64(0), []byte{0xff, 7})
	f.Add(uint64(3), []byte{1})
	f.Fuzz(func(t *testing.T, recordID uint64, raw []byte) {
		kinds := kindsFromBytes(raw)
		err := types.ValidateTarget(recordID, kinds)

		distinctValid := true
		seen := map[recordstypes.RecordKind]bool{}
		for _, k := range kinds {
			if !k.IsValid() || seen[k] {
				distinctValid = false
			}
			seen[k] = true
		}
		want := (recordID == 0 || len(kinds) == 0) && distinctValid
		if !requireVerdict(t, fmt.Sprintf("ValidateTarget(%d, %v)", recordID, kinds), err, want, types.ErrInvalidGrant) {
			return
		}
		for _, k := range recordstypes.AllRecordKinds() {
			if got := types.CoversKind(kinds, k); got != (len(kinds) == 0 || seen[k]) {
				t.Fatalf("CoversKind(%v, %s) = %v", kinds, k, got)
			}
		}
	})
}

// FuzzValidateReason: a reason is accepted if and only if it is valid
// UTF-8, every rune is printable (no control characters, no line breaks)
// and it is at most maxLength bytes; rejections are ErrInvalidRequest.
func FuzzValidateReason(f *testing.F) {
	f.Add("cohort study 42", uint32(140))
	f.Add("", uint32(1))
	f.Add("line\nbreak", uint32(140))
	f.Add("tab\there", uint32(140))
	f.Add("\xff\xfe", uint32(140))
	f.Add("étude de cohorte", uint32(17))
	f.Add("right-to-left \u202e override", uint32(140))
	f.Add(strings.Repeat("a", 141), uint32(140))
	f.Fuzz(func(t *testing.T, reason string, maxLength uint32) {
		err := types.ValidateReason(reason, maxLength)

		printable := utf8.ValidString(reason)
		for _, r := range reason {
			if !unicode.IsPrint(r) {
				printable = false
			}
		}
		want := uint64(len(reason)) <= uint64(maxLength) && printable
		if !requireVerdict(t, fmt.Sprintf("ValidateReason(%q, %d)", reason, maxLength), err, want, types.ErrInvalidRequest) {
			return
		}
		if strings.ContainsAny(reason, "\r\n\t\x00") {
			t.Fatalf("accepted reason %q contains a control character", reason)
		}
	})
}

// FuzzValidatePublicKey: a key is accepted if and only if the algorithm is
// ML-KEM-768-X25519 and crypto/hpke parses the bytes as a public key of
// that KEM; an accepted key is 1216 bytes, serializes back to itself and
// has a 16-hex-digit key id. Rejections are ErrUnknownAlgorithm or
// ErrInvalidKey.
func FuzzValidatePublicKey(f *testing.F) {
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	pub := priv.PublicKey().Bytes()
	f.Add(int32(types.KeyAlgorithmMLKEM768X25519), pub)
	f.Add(int32(types.KeyAlgorithmUnspecified), pub)
	f.Add(int32(2), pub)
	f.Add(int32(-1), pub)
	f.Add(int32(types.KeyAlgorithmMLKEM768X25519), pub[:len(pub)-1])
	f.Add(int32(types.KeyAlgorithmMLKEM768X25519), append(bytes.Clone(pub), 0))
	f.Add(int32(types.KeyAlgorithmMLKEM768X25519), bytes.Repeat([]byte{0xff}, types.MLKEM768X25519PublicKeySize))
	f.Add(int32(types.KeyAlgorithmMLKEM768X25519), []byte{})
	f.Fuzz(func(t *testing.T, algorithm int32, key []byte) {
		a := types.KeyAlgorithm(algorithm)
		err := types.ValidatePublicKey(a, key)

		var parsed hpke.PublicKey
		if a == types.KeyAlgorithmMLKEM768X25519 {
			parsed, _ = hpke.MLKEM768X25519().NewPublicKey(key)
		}
		call := fmt.Sprintf("ValidatePublicKey(%d, %x)", algorithm, key)
		if !requireVerdict(t, call, err, parsed != nil, types.ErrUnknownAlgorithm, types.ErrInvalidKey) {
			return
		}
		if len(key) != 1216 {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
		if !bytes.Equal(parsed.Bytes(), key) {
			t.Fatalf("accepted key %x serializes to %x", key, parsed.Bytes())
		}
		if id := types.KeyID(key); len(id) != 16 || strings.ToLower(id) != id || !isHex(id) {
			t.Fatalf("key id %q is not 16 lower-case hex digits", id)
		}
	})
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
