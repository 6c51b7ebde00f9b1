package types

import (
	"crypto/sha256"
	"fmt"
	"slices"

	errorsmod "cosmossdk.io/errors"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multicodec"
	"github.com/multiformats/go-multihash"
)

// MaxCIDLength bounds the text of a CID before it is parsed. A valid record
// CID (CIDv1, sha2-256) is 59 characters in base32 and shorter in the other
// bases, so this only keeps oversized input from costing work.
const MaxCIDLength = 128

// sha256DigestLength is the size of a sha2-256 digest in bytes.
const sha256DigestLength = 32

// AcceptedCodecs are the codecs a record's CID may have: dag-pb (a UnixFS
// DAG) and raw (a payload of one block).
var AcceptedCodecs = []uint64{cid.DagProtobuf, cid.Raw}

// CodecTwins returns c's multihash under every other accepted codec. A vault
// keys blocks by multihash, so a twin names the very bytes c names: a record
// that claimed a twin of another record's CID would get that record's
// ciphertext served to its own readers.
func CodecTwins(c cid.Cid) []cid.Cid {
	twins := make([]cid.Cid, 0, len(AcceptedCodecs)-1)
	for _, codec := range AcceptedCodecs {
		if codec != c.Type() {
			twins = append(twins, cid.NewCidV1(codec, c.Hash()))
		}
	}
	return twins
}

// ValidateCID checks that s is a CID a record may point at, and returns it
// parsed. Accepted: CIDv1 in any multibase, codec dag-pb (a UnixFS DAG) or
// raw (a payload of one block), multihash sha2-256 with a full digest.
// Callers store the canonical form, c.String() (base32), so one payload
// always has one spelling on chain. Every rejection says what was wrong and
// how to produce a valid CID.
func ValidateCID(s string) (cid.Cid, error) {
	if s == "" {
		return cid.Undef, errorsmod.Wrap(ErrInvalidCID,
			"the CID is empty: upload the encrypted payload to a vault first and use the root CID it returns")
	}
	if len(s) > MaxCIDLength {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID,
			"the CID is %d characters long, more than any CIDv1 with a sha2-256 hash (at most %d)", len(s), MaxCIDLength)
	}
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID, "%q is not a CID: %v", s, err)
	}
	if c.Version() != 1 {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID,
			"%s is a CIDv0; records use CIDv1 with raw leaves, as `ipfs add --cid-version 1 --raw-leaves` computes", s)
	}
	if !slices.Contains(AcceptedCodecs, c.Type()) {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID,
			"%s has codec %s; a record's CID must be dag-pb (a UnixFS DAG) or raw (a single block)", s, codecName(c.Type()))
	}
	decoded, err := multihash.Decode(c.Hash())
	if err != nil {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID, "%s has a malformed multihash: %v", s, err)
	}
	if decoded.Code != multihash.SHA2_256 {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID,
			"%s is hashed with %s; medchain vaults address blocks by sha2-256", s, hashName(decoded.Code))
	}
	if decoded.Length != sha256DigestLength || len(decoded.Digest) != sha256DigestLength {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidCID,
			"%s has a sha2-256 digest of %d bytes; a full digest has %d", s, decoded.Length, sha256DigestLength)
	}
	return c, nil
}

func codecName(code uint64) string {
	return fmt.Sprintf("%s (0x%x)", multicodec.Code(code), code)
}

func hashName(code uint64) string {
	if name, ok := multihash.Codes[code]; ok {
		return fmt.Sprintf("%s (0x%x)", name, code)
	}
	return fmt.Sprintf("hash function 0x%x", code)
}

// CIDHash is the key of a released CID's tombstone: SHA-256 of the CID's
// binary form. Hashing keeps a redacted record's CIDs out of any listing of
// state while a record that tries to reuse one is still refused.
func CIDHash(c cid.Cid) []byte {
	h := sha256.Sum256(c.Bytes())
	return h[:]
}
