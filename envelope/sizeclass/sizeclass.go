// Package sizeclass rounds sizes up to Padmé size classes (Nikitin et al.,
// "Reducing Metadata Leakage from Encrypted Files and Communication with
// PURBs", PETS 2019): a size whose bits below its top
// floor(log2(floor(log2 n)))+1 are zero. Rounding costs at most 12 %
// (less for small sizes) and leaves O(log log n) bits of a size visible
// instead of O(log n). Client code pads payloads to a class before
// encrypting them; the chain accepts only encrypted sizes that are a class.
package sizeclass

import "math/bits"

// Padme returns the smallest Padmé size class at least n.
func Padme(n uint64) uint64 {
	if n < 2 {
		return n
	}
	e := bits.Len64(n) - 1     // floor(log2 n)
	s := bits.Len64(uint64(e)) // floor(log2 e) + 1
	if last := e - s; last > 0 {
		mask := uint64(1)<<last - 1
		return (n + mask) &^ mask
	}
	return n
}

// IsClass reports whether n is a (non-zero) Padmé size class.
func IsClass(n uint64) bool { return n > 0 && Padme(n) == n }
