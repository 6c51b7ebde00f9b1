package types_test

import (
	"strings"
	"testing"
	"time"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// ArchiveEntryView holds every field of ArchiveEntry under the same name,
// number and type, so that a field added to the entry and not to the view
// (or to View) fails here; and View copies each of them.
func TestArchiveEntryViewMirrorsTheEntry(t *testing.T) {
	descriptor := func(msg gogoproto.Message) protoreflect.MessageDescriptor {
		d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(gogoproto.MessageName(msg)))
		require.NoError(t, err)
		return d.(protoreflect.MessageDescriptor)
	}
	entry, view := descriptor(&types.ArchiveEntry{}).Fields(), descriptor(&types.ArchiveEntryView{}).Fields()
	require.Equal(t, entry.Len()+1, view.Len(), "the view is the entry and expired")
	for i := 0; i < entry.Len(); i++ {
		e := entry.Get(i)
		v := view.ByNumber(e.Number())
		require.NotNil(t, v, "field %s", e.Name())
		require.Equal(t, e.Name(), v.Name())
		require.Equal(t, e.Kind(), v.Kind(), "field %s", e.Name())
	}
	require.Equal(t, protoreflect.Name("expired"), view.ByNumber(protoreflect.FieldNumber(entry.Len()+1)).Name())

	recorded := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	shredded := recorded.Add(time.Hour)
	e := types.ArchiveEntry{
		RecordId: 1, Version: 2, PieceCid: sample.PieceCID("p"), PieceSize: 128, Hospital: sample.Bech32("hospital"),
		Provider: "f01", DealRef: "d", ExpiresAt: recorded.Add(48 * time.Hour), RecordedAt: recorded,
		Status: types.ArchiveStatusShredded, ShreddedAt: &shredded, ReleasedAt: &recorded,
	}
	bz, err := gogoproto.Marshal(&e)
	require.NoError(t, err)
	for now, expired := range map[time.Time]bool{
		recorded: false, e.ExpiresAt.Add(-time.Nanosecond): false, e.ExpiresAt: true, e.ExpiresAt.Add(time.Hour): true,
	} {
		v := e.View(now)
		require.Equal(t, expired, v.Expired, "at %s", now)
		require.Equal(t, expired, e.Expired(now))
		v.Expired = false
		vbz, err := gogoproto.Marshal(&v)
		require.NoError(t, err)
		require.Equal(t, bz, vbz, "View copies every field")
	}
}

// The piece CID must be a piece commitment: codec
// fil-commitment-unsealed, hash sha2-256-trunc254-padded, 32 bytes, top
// two bits clear.
func TestValidatePieceCID(t *testing.T) {
	good := sample.PieceCID("a piece")
	c, err := types.ValidatePieceCID(good)
	require.NoError(t, err)
	require.Equal(t, good, c.String())
	require.True(t, strings.HasPrefix(good, "baga6ea4seaq"), "the prefix every CommP has in base32")
	_, err = types.ValidatePieceCID("baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq") // a real piece
	require.NoError(t, err)

	digest := c.Hash()[len(c.Hash())-32:]
	mh := func(code uint64, d []byte) string {
		h, err := multihash.Encode(d, code)
		require.NoError(t, err)
		return cid.NewCidV1(cid.FilCommitmentUnsealed, h).String()
	}
	wide := append([]byte(nil), digest...)
	wide[31] |= 0x80
	for s, want := range map[string]string{
		mh(0x12, digest):        "sha2-256 (0x12); a piece commitment uses sha2-256-trunc254-padded",
		mh(0x1012, digest[:31]): "digest of 31 bytes",
		mh(0x1012, wide):        "wider than 254 bits",
		cid.NewCidV1(cid.FilCommitmentSealed, c.Hash()).String(): "fil-commitment-sealed (0xf102)",
		strings.Repeat("b", 129):                                 "at most 128",
	} {
		_, err := types.ValidatePieceCID(s)
		require.ErrorIs(t, err, types.ErrInvalidPieceCID, s)
		require.ErrorContains(t, err, want, s)
	}
}
