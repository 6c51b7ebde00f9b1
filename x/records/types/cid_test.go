package types_test

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-multihash"

	"github.com/medchain/medchain/x/records/types"
)

func sha256CID(t testing.TB, codec uint64, data string) cid.Cid {
	t.Helper()
	h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(codec, h)
}

func TestValidateCIDAcceptsWhatVaultsProduce(t *testing.T) {
	dagPB := sha256CID(t, cid.DagProtobuf, "a UnixFS root")
	raw := sha256CID(t, cid.Raw, "one small encrypted block")
	base58, err := raw.StringOfBase(multibase.Base58BTC)
	if err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		in   string
		want cid.Cid
	}{
		"dag-pb root":              {dagPB.String(), dagPB},
		"raw leaf":                 {raw.String(), raw},
		"CIDv1 written in base58":  {base58, raw},
		"Kubo's CIDv1 of a folder": {"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", cid.MustParse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := types.ValidateCID(tc.in)
			if err != nil {
				t.Fatalf("ValidateCID(%q): %v", tc.in, err)
			}
			if !got.Equals(tc.want) {
				t.Fatalf("ValidateCID(%q) = %s, want %s", tc.in, got, tc.want)
			}
			if !strings.HasPrefix(got.String(), "b") {
				t.Fatalf("canonical form %s is not base32", got)
			}
		})
	}
}

func TestValidateCIDRejectsWithAReason(t *testing.T) {
	sha512, err := multihash.Sum([]byte("x"), multihash.SHA2_512, -1)
	if err != nil {
		t.Fatal(err)
	}
	identity, err := multihash.Sum([]byte("x"), multihash.IDENTITY, -1)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("x"))
	truncated, err := multihash.Encode(digest[:20], multihash.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		in      string
		because string
	}{
		"empty":            {"", "empty"},
		"garbage":          {"not-a-cid", "is not a CID"},
		"CIDv0":            {"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "CIDv0"},
		"dag-cbor codec":   {sha256CID(t, cid.DagCBOR, "x").String(), "dag-cbor"},
		"sha2-512 hash":    {cid.NewCidV1(cid.Raw, sha512).String(), "sha2-512"},
		"identity hash":    {cid.NewCidV1(cid.Raw, identity).String(), "identity"},
		"truncated digest": {cid.NewCidV1(cid.Raw, truncated).String(), "20 bytes"},
		"too long":         {"b" + strings.Repeat("a", types.MaxCIDLength), "characters long"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := types.ValidateCID(tc.in)
			if err == nil {
				t.Fatalf("ValidateCID(%q) accepted it", tc.in)
			}
			if !types.ErrInvalidCID.Is(err) {
				t.Fatalf("error %v is not ErrInvalidCID", err)
			}
			if !strings.Contains(err.Error(), tc.because) {
				t.Fatalf("error %q does not say %q", err, tc.because)
			}
		})
	}
}

// FuzzValidateCID checks that no input makes ValidateCID panic, and that
// whatever it accepts is exactly what a record may point at and has one
// canonical spelling. Seeds live in testdata/fuzz/FuzzValidateCID; run
// `go test -fuzz=FuzzValidateCID ./x/records/types/` to search further.
func FuzzValidateCID(f *testing.F) {
	f.Add("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")
	f.Add("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := types.ValidateCID(s)
		if err != nil {
			if !types.ErrInvalidCID.Is(err) {
				t.Fatalf("ValidateCID(%q) failed with an unregistered error: %v", s, err)
			}
			return
		}
		if c.Version() != 1 || (c.Type() != cid.DagProtobuf && c.Type() != cid.Raw) {
			t.Fatalf("accepted %q: version %d codec 0x%x", s, c.Version(), c.Type())
		}
		decoded, err := multihash.Decode(c.Hash())
		if err != nil || decoded.Code != multihash.SHA2_256 || len(decoded.Digest) != 32 {
			t.Fatalf("accepted %q with hash %+v (%v)", s, decoded, err)
		}
		again, err := types.ValidateCID(c.String())
		if err != nil || !again.Equals(c) || again.String() != c.String() {
			t.Fatalf("canonical form of %q, %s, does not validate to itself: %v", s, c, err)
		}
	})
}
