// Package sample holds the sample values tests and dev tools share:
// addresses named for what they stand for, and a synthetic DICOM file
// carrying every kind of identifying attribute (IdentifiedDICOM). Only
// tests and scripts import it; no production package does.
package sample

import sdk "github.com/cosmos/cosmos-sdk/types"

// Addr is a 20-byte account address spelling name, padded with '_': the
// same name always gives the same address, and a test failure shows whose
// it is.
func Addr(name string) sdk.AccAddress {
	bz := make([]byte, 20)
	copy(bz, name)
	for i := len(name); i < len(bz); i++ {
		bz[i] = '_'
	}
	return bz
}
