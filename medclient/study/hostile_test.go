package study

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// TestReadAttributesNeverPanics: every prefix of a real instance, and
// copies with bytes overwritten at random, give attributes or an error
// wrapping ErrNotDICOM or ErrInvalid: whatever arrives in a STOW-RS
// request, the bridge answers instead of crashing.
func TestReadAttributesNeverPanics(t *testing.T) {
	data := corpusFile(t, "CT_small.dcm")
	check := func(what string, b []byte) {
		t.Helper()
		_, err := ReadAttributes(b)
		if err != nil && !errors.Is(err, ErrNotDICOM) && !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: an error of another kind: %v", what, err)
		}
	}
	for n := 0; n < len(data); n += 97 {
		check("a prefix", data[:n])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		b := append([]byte(nil), data...)
		for range 1 + i%8 {
			// Mostly in the header and data set before pixel data, where
			// lengths and tags are.
			b[132+rng.IntN(min(len(b)-132, 2048))] = byte(rng.Uint32())
		}
		check("an altered copy", b)
	}
}
