package vault

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

func TestRoundTripThroughCAR(t *testing.T) {
	input := randomBytes(1, 3<<20)
	src, dst := openStore(t), openStore(t)

	root := mustImport(t, src, input)
	carBytes := mustCAR(t, src, root)

	got, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), int64(len(carBytes)))
	if err != nil {
		t.Fatalf("ImportCAR: %v", err)
	}
	if !got.Equals(root) {
		t.Fatalf("ImportCAR root %s, want %s", got, root)
	}
	if out := cat(t, dst, root); !bytes.Equal(out, input) {
		t.Fatalf("Cat after round trip: %d bytes differ from the %d-byte input", len(out), len(input))
	}
	if size, err := dst.Stat(t.Context(), root); err != nil || size != int64(len(input)) {
		t.Fatalf("Stat = %d, %v; want %d", size, err, len(input))
	}
	// 3 leaves and their parent.
	if n := blockCount(t, dst); n != 4 {
		t.Fatalf("destination holds %d blocks, want 4", n)
	}
}

func TestWriteCAROrderAndDedup(t *testing.T) {
	s := openStore(t)
	// Three identical chunks: one leaf block linked three times.
	root := mustImport(t, s, make([]byte, 3<<20))
	roots, blocks := readCAR(t, mustCAR(t, s, root))
	if len(roots) != 1 || !roots[0].Equals(root) {
		t.Fatalf("CAR roots %v, want [%s]", roots, root)
	}
	if len(blocks) != 2 {
		t.Fatalf("CAR has %d blocks, want 2 (root and the one distinct leaf)", len(blocks))
	}
	if !blocks[0].c.Equals(root) {
		t.Fatalf("first CAR block %s, want the root %s", blocks[0].c, root)
	}
}

func TestSeekThroughCat(t *testing.T) {
	input := randomBytes(2, 2<<20+123)
	s := openStore(t)
	root := mustImport(t, s, input)
	r, err := s.Cat(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const off = 1<<20 + 17
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1000)
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, input[off:off+1000]) {
		t.Fatal("bytes read after Seek differ from the input")
	}
}

// tamperedCAR is a 3 MiB file's CAR with one byte of its second leaf
// flipped, and that leaf's CID.
func tamperedCAR(t *testing.T) ([]byte, cid.Cid) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(3, 3<<20))
	roots, blocks := readCAR(t, mustCAR(t, src, root))
	leaf := blocks[2]
	leaf.data = bytes.Clone(leaf.data)
	leaf.data[100] ^= 0x01
	blocks[2] = leaf
	return rawCAR(t, roots, blocks), leaf.c
}

func TestImportCARRejectsTamperedBlock(t *testing.T) {
	carBytes, leaf := tamperedCAR(t)
	mustReject(t, carBytes, ErrBlockMismatch, leaf)
}

func TestImportCARRejectsIncompleteDAG(t *testing.T) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(4, 3<<20))
	roots, blocks := readCAR(t, mustCAR(t, src, root))
	for name, drop := range map[string]int{"missing root": 0, "missing first leaf": 1, "missing last leaf": 3} {
		t.Run(name, func(t *testing.T) {
			rest := append(append([]carBlock(nil), blocks[:drop]...), blocks[drop+1:]...)
			mustReject(t, rawCAR(t, roots, rest), ErrIncompleteDAG, blocks[drop].c)
		})
	}
}

// A replica need not bring a block the vault already holds: a CAR that
// leaves out a chunk shared with a stored file is complete. A user upload
// must carry every block of its DAG (TestUploadMustCarryEveryBlockOfItsDAG).
func TestImportReplicaCompletesFromStore(t *testing.T) {
	shared := randomBytes(6, 1<<20)
	first := append(bytes.Clone(shared), randomBytes(7, 1<<20)...)
	second := append(bytes.Clone(shared), randomBytes(8, 1<<20)...)

	dst := openStore(t)
	mustImport(t, dst, first)
	src := openStore(t)
	root := mustImport(t, src, second)
	roots, blocks := readCAR(t, mustCAR(t, src, root))
	sharedLeaf := blocks[1].c
	if has, _ := dst.Has(t.Context(), sharedLeaf); !has {
		t.Fatalf("test setup: %s should be the shared leaf", sharedLeaf)
	}
	carBytes := rawCAR(t, roots, []carBlock{blocks[0], blocks[2]})
	if _, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), 0); !errors.Is(err, ErrIncompleteDAG) {
		t.Fatalf("ImportCAR of a CAR without a held block: %v, want ErrIncompleteDAG", err)
	}
	if _, err := dst.ImportReplica(t.Context(), bytes.NewReader(carBytes), 0, root); err != nil {
		t.Fatalf("ImportReplica: %v", err)
	}
	if !bytes.Equal(cat(t, dst, root), second) {
		t.Fatal("Cat differs from the input")
	}
}

func TestImportCARDropsUnreachableBlocks(t *testing.T) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(9, 10))
	stray := mustImport(t, src, randomBytes(10, MinLeafSize))
	strayData, err := src.Block(t.Context(), stray)
	if err != nil {
		t.Fatal(err)
	}
	rootData, err := src.Block(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	carBytes := rawCAR(t, []cid.Cid{root}, []carBlock{{root, rootData}, {stray, strayData}})
	if _, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), 0); err != nil {
		t.Fatal(err)
	}
	if has, _ := dst.Has(t.Context(), stray); has {
		t.Fatal("a block the root does not reach was stored")
	}
}

func TestImportCARRejectsUnsupportedCIDs(t *testing.T) {
	data := []byte("ciphertext")
	sha512, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.SHA2_512}.Sum(data)
	if err != nil {
		t.Fatal(err)
	}
	cbor, err := cid.V1Builder{Codec: cid.DagCBOR, MhType: multihash.SHA2_256}.Sum(data)
	if err != nil {
		t.Fatal(err)
	}
	v0node := merkledag.NodeWithData([]byte{0x08, 0x02}) // a UnixFS file node
	v0node.SetCidBuilder(cid.V0Builder{})
	v1raw, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.SHA2_256}.Sum(data)
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		roots  []cid.Cid
		blocks []carBlock
		named  cid.Cid
	}{
		"CIDv0 root":     {[]cid.Cid{v0node.Cid()}, []carBlock{{v0node.Cid(), v0node.RawData()}}, v0node.Cid()},
		"sha2-512 root":  {[]cid.Cid{sha512}, []carBlock{{sha512, data}}, sha512},
		"dag-cbor root":  {[]cid.Cid{cbor}, []carBlock{{cbor, data}}, cbor},
		"sha2-512 block": {[]cid.Cid{v1raw}, []carBlock{{v1raw, data}, {sha512, data}}, sha512},
		"CIDv0 block":    {[]cid.Cid{v1raw}, []carBlock{{v1raw, data}, {v0node.Cid(), v0node.RawData()}}, v0node.Cid()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mustReject(t, rawCAR(t, tc.roots, tc.blocks), ErrUnsupportedCID, tc.named)
		})
	}
}

func TestImportCARSizeLimit(t *testing.T) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(11, 2<<20+5))
	carBytes := mustCAR(t, src, root)

	dst := openStore(t)
	_, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), int64(len(carBytes))-1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ImportCAR one byte over the limit: %v, want ErrTooLarge", err)
	}
	assertEmpty(t, dst)

	if _, err := dst.ImportCAR(t.Context(), bytes.NewReader(carBytes), int64(len(carBytes))); err != nil {
		t.Fatalf("ImportCAR exactly at the limit: %v", err)
	}
}

func TestImportCARRejectsMalformed(t *testing.T) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(12, 2<<20))
	good := mustCAR(t, src, root)
	roots, blocks := readCAR(t, good)
	other := mustImport(t, src, randomBytes(13, 10))

	cases := map[string][]byte{
		"empty":       nil,
		"not a CAR":   []byte("this is not a CAR file at all"),
		"truncated":   good[:len(good)-1000],
		"no root":     rawCAR(t, nil, blocks),
		"two roots":   rawCAR(t, []cid.Cid{roots[0], other}, blocks),
		"dag-pb junk": rawCAR(t, []cid.Cid{junkDagPB(t)}, []carBlock{{junkDagPB(t), []byte{0xff, 0xff, 0xff}}}),
	}
	for name, carBytes := range cases {
		t.Run(name, func(t *testing.T) {
			mustReject(t, carBytes, ErrBadCAR, cid.Undef)
		})
	}
}

// junkDagPB is a CID claiming dag-pb for bytes that do not decode as such.
func junkDagPB(t *testing.T) cid.Cid {
	c, err := cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256}.Sum([]byte{0xff, 0xff, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCorruptBlockOnDiskIsDetected(t *testing.T) {
	s := openStore(t)
	input := randomBytes(14, 2<<20)
	root := mustImport(t, s, input)
	_, blocks := readCAR(t, mustCAR(t, s, root))
	leaf := blocks[1].c
	// Overwrite the leaf's bytes behind the blockstore's back.
	key := blockstore.BlockPrefix.Child(dshelp.MultihashToDsKey(leaf.Hash()))
	if err := s.ds.Put(t.Context(), key, bytes.Repeat([]byte{0}, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Block(t.Context(), leaf); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Block of a corrupted leaf: %v, want ErrCorrupt", err)
	}
	r, err := s.Cat(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); err == nil {
		t.Fatal("Cat read a corrupted file without error")
	}
	if err := s.WriteCAR(t.Context(), root, io.Discard); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("WriteCAR over a corrupted leaf: %v, want ErrCorrupt", err)
	}
}

func TestNotFound(t *testing.T) {
	s := openStore(t)
	other := openStore(t)
	root := mustImport(t, other, []byte("elsewhere"))
	if _, err := s.Block(t.Context(), root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Block: %v, want ErrNotFound", err)
	}
	if _, err := s.Cat(t.Context(), root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Cat: %v, want ErrNotFound", err)
	}
	if err := s.WriteCAR(t.Context(), root, io.Discard); !errors.Is(err, ErrNotFound) {
		t.Fatalf("WriteCAR: %v, want ErrNotFound", err)
	}
	if err := s.Pin(t.Context(), root, "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Pin: %v, want ErrNotFound", err)
	}
}

func TestStoreIsExclusiveAndPersistent(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrStoreInUse) || !strings.Contains(err.Error(), "stop that vault first") {
		t.Fatalf("a second Open of the same directory: %v, want ErrStoreInUse saying what to do", err)
	}
	input := randomBytes(15, 1<<20+1)
	root := mustImport(t, s, input)
	if err := s.Pin(t.Context(), root, "record 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !bytes.Equal(cat(t, s, root), input) {
		t.Fatal("content changed across reopen")
	}
	if n := s.PinnedCount(); n != 1 {
		t.Fatalf("PinnedCount after reopen = %d, want 1", n)
	}
}
