// Package sample holds the sample values tests and dev tools share:
// addresses named for what they stand for, content identifiers, and a synthetic DICOM file
// carrying every kind of identifying attribute (IdentifiedDICOM). Only
// tests and scripts import it; no production package does.
package sample

import (
	"crypto/sha256"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

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

// Bech32 is Addr(name) in medchain's "med" bech32 form.
func Bech32(name string) string {
	return sdk.MustBech32ifyAddressBytes("med", Addr(name))
}

// CID is the canonical CIDv1 (sha2-256) of data with codec (cid.Raw,
// cid.DagProtobuf, ...): the same data always gives the same CID.
func CID(codec uint64, data string) string {
	h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
	if err != nil {
		panic(err) // sha2-256 of any input: cannot fail
	}
	return cid.NewCidV1(codec, h).String()
}

// PieceCID is the canonical CID of a Filecoin piece commitment named by
// data: codec fil-commitment-unsealed, multihash sha2-256-trunc254-padded
// over SHA-256 of data with the two top bits of its last byte cleared, as
// a CommP's are. It is shaped like a real piece CID; no piece has it.
func PieceCID(data string) string {
	digest := sha256.Sum256([]byte(data))
	digest[len(digest)-1] &= 0x3f
	h, err := multihash.Encode(digest[:], multihash.SHA2_256_TRUNC254_PADDED)
	if err != nil {
		panic(err) // a known code and a 32-byte digest: cannot fail
	}
	return cid.NewCidV1(cid.FilCommitmentUnsealed, h).String()
}
