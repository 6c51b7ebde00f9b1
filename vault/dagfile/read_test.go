package dagfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault/dagfile"
)

func TestReadOrderedFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		blocks int // in the DAG
	}{
		{"empty", 0, 1},
		{"one byte", 1, 1},
		{"one chunk", dagfile.ChunkSize, 1},
		{"five chunks and 3 bytes", 5*dagfile.ChunkSize + 3, 7},
		{"twenty chunks and 7 bytes", 20*dagfile.ChunkSize + 7, 22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(byte(tc.size), tc.size)
			d := streamDAG(t, data)
			order := d.dfs(t, false)
			require.Len(t, order, tc.blocks)
			carBytes := carOf(t, []cid.Cid{d.root}, order)
			if tc.size > 0 {
				require.LessOrEqual(t, int64(len(carBytes)), dagfile.CARSizeBound(int64(tc.size)))
			}

			got, err := readOrdered(t, carBytes, d.root, 0)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got), "ReadOrdered gives back other bytes")

			// The limit counts the whole CAR.
			_, err = readOrdered(t, carBytes, d.root, int64(len(carBytes)))
			require.NoError(t, err)
			_, err = readOrdered(t, carBytes, d.root, int64(len(carBytes))-1)
			require.ErrorIs(t, err, dagfile.ErrTooLarge)
			require.ErrorContains(t, err, fmt.Sprintf("more than %d bytes", len(carBytes)-1))
		})
	}
}

// The importer makes an empty file a raw block of no bytes: the CID Kubo
// gives an empty file with --raw-leaves.
func TestReadOrderedEmptyFile(t *testing.T) {
	d := streamDAG(t, nil)
	require.Equal(t, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", d.root.String())
	require.Empty(t, d.blocks[d.root])
	var got bytes.Buffer
	n, err := dagfile.ReadOrdered(t.Context(), bytes.NewReader(carOf(t, []cid.Cid{d.root}, d.dfs(t, false))), d.root, 0, &got)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Zero(t, got.Len())
}

func TestReadOrderedIgnoresHeaderRoots(t *testing.T) {
	data := randomBytes(1, 3*dagfile.ChunkSize+1)
	d := streamDAG(t, data)
	other := streamDAG(t, []byte("another file"))
	for name, roots := range map[string][]cid.Cid{
		"placeholder": {dagfile.RootLastPlaceholder},
		"another DAG": {other.root},
		"two roots":   {other.root, d.root},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readOrdered(t, carOf(t, roots, d.dfs(t, false)), d.root, 0)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got))
		})
	}
	// And the header's root is no way to read another file.
	_, err := readOrdered(t, carOf(t, []cid.Cid{d.root}, d.dfs(t, false)), other.root, 0)
	require.ErrorContains(t, err, "the first block is "+d.root.String()+", but the root "+other.root.String()+" was expected")
}

// A DAG of several levels, cheaply: the production settings with small
// chunks and four links per node.
func TestReadOrderedDeepDAG(t *testing.T) {
	data := randomBytes(2, 50_000)
	d := smallDAG(t, data, 512, 4)
	require.GreaterOrEqual(t, d.depth(t), 4)
	for _, dups := range []bool{false, true} {
		got, err := readOrdered(t, carOf(t, []cid.Cid{d.root}, d.dfs(t, dups)), d.root, 0)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got))
	}
}

// Identical chunks give a DAG with repeated blocks, which a dups=n CAR
// sends once: ReadOrdered replays them.
func TestReadOrderedRepeatedBlocks(t *testing.T) {
	zeros := make([]byte, 64<<10)
	a, b := randomBytes(3, dagfile.ChunkSize), randomBytes(4, dagfile.ChunkSize)
	for _, tc := range []struct {
		name string
		d    dag
		data []byte
	}{
		{"zeros, deep", smallDAG(t, append(slices.Clone(zeros), 1, 2, 3), 512, 4), append(slices.Clone(zeros), 1, 2, 3)},
		{"zeros, production", streamDAG(t, make([]byte, 5*dagfile.ChunkSize+3)), make([]byte, 5*dagfile.ChunkSize+3)},
		{"ABABA", streamDAG(t, slices.Concat(a, b, a, b, a)), slices.Concat(a, b, a, b, a)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			once, each := tc.d.dfs(t, false), tc.d.dfs(t, true)
			require.Less(t, len(once), len(each), "the DAG repeats blocks")
			for _, order := range [][]block{once, each} {
				got, err := readOrdered(t, carOf(t, []cid.Cid{tc.d.root}, order), tc.d.root, 0)
				require.NoError(t, err)
				require.True(t, bytes.Equal(tc.data, got))
			}
		})
	}

	// A repeat more than 4 MiB later is no longer held: dups=y it must be.
	data := slices.Concat(a, randomBytes(5, 5*dagfile.ChunkSize), a)
	d := streamDAG(t, data)
	_, err := readOrdered(t, carOf(t, []cid.Cid{d.root}, d.dfs(t, false)), d.root, 0)
	require.ErrorIs(t, err, dagfile.ErrBadCAR)
	require.ErrorContains(t, err, "occurs again in the DAG")
	require.ErrorContains(t, err, "dups=y")
	got, err := readOrdered(t, carOf(t, []cid.Cid{d.root}, d.dfs(t, true)), d.root, 0)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
}

func TestReadOrderedAttacks(t *testing.T) {
	d := streamDAG(t, randomBytes(6, 5*dagfile.ChunkSize+3))
	order := d.dfs(t, false) // root, then six leaves
	require.Len(t, order, 7)
	good := carOf(t, []cid.Cid{d.root}, order)
	other := streamDAG(t, randomBytes(7, 2*dagfile.ChunkSize))
	stranger := other.dfs(t, false)[1] // a leaf of another file

	flipped := slices.Clone(order)
	flipped[3] = block{order[3].c, slices.Clone(order[3].data)}
	flipped[3].data[1000] ^= 1

	swapped := slices.Clone(order)
	swapped[2], swapped[3] = swapped[3], swapped[2]

	for _, tc := range []struct {
		name    string
		car     []byte
		root    cid.Cid
		max     int64
		is      error
		phrases []string
	}{
		{"flipped byte in a leaf", carOf(t, []cid.Cid{d.root}, flipped), d.root, 0, dagfile.ErrBlockMismatch,
			[]string{"block " + order[3].c.String() + " (block 4 of the CAR) hashes to"}},
		{"swapped blocks", carOf(t, []cid.Cid{d.root}, swapped), d.root, 0, dagfile.ErrBadCAR,
			[]string{"block 3 of the CAR is " + order[3].c.String() + ", but " + order[2].c.String() + " was expected next"}},
		{"truncated within a block", good[:len(good)-1000], d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated: the CAR ends within block " + order[5].c.String()}},
		{"truncated within a CID", good[:len(carOf(t, []cid.Cid{d.root}, order[:2]))+5], d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated in the head of section 3"}},
		{"truncated at a block", carOf(t, []cid.Cid{d.root}, order[:5]), d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated: the CAR ends after 5 blocks, but block " + order[5].c.String() + " and 1 more"}},
		{"root only", carOf(t, []cid.Cid{d.root}, order[:1]), d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated: the CAR ends after 1 blocks"}},
		{"header only", carOf(t, []cid.Cid{d.root}, nil), d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated: the CAR ends after 0 blocks, but block " + d.root.String()}},
		{"truncated section head", good[:len(carOf(t, []cid.Cid{d.root}, order[:2]))+3], d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated in the head of section 3"}},
		{"truncated header", good[:10], d.root, 0, dagfile.ErrBadCAR, []string{"header"}},
		{"nothing", nil, d.root, 0, dagfile.ErrBadCAR, []string{"header"}},
		{"extra trailing block", carOf(t, []cid.Cid{d.root}, append(slices.Clone(order), stranger)), d.root, 0, dagfile.ErrBadCAR,
			[]string{"an extra block " + stranger.c.String() + " follows the last block of the file"}},
		{"a leaf sent twice at the end", carOf(t, []cid.Cid{d.root}, append(slices.Clone(order), order[2])), d.root, 0, dagfile.ErrBadCAR,
			[]string{"an extra block " + order[2].c.String() + " follows"}},
		{"trailing garbage", append(slices.Clone(good), 0x05, 1, 2), d.root, 0, dagfile.ErrBadCAR,
			[]string{"section 8"}},
		{"trailing section length", append(slices.Clone(good), 0x05), d.root, 0, dagfile.ErrBadCAR,
			[]string{"truncated in the head of section 8"}},
		{"block of another DAG inserted", carOf(t, []cid.Cid{d.root}, slices.Insert(slices.Clone(order), 3, stranger)), d.root, 0, dagfile.ErrBadCAR,
			[]string{"block 4 of the CAR is " + stranger.c.String() + ", but " + order[3].c.String() + " was expected next"}},
		{"wrong root", good, other.root, 0, dagfile.ErrBadCAR,
			[]string{"the first block is " + d.root.String() + ", but the root " + other.root.String() + " was expected"}},
		{"maxBytes exceeded", good, d.root, 3 * dagfile.ChunkSize, dagfile.ErrTooLarge,
			[]string{fmt.Sprintf("more than %d bytes", 3*dagfile.ChunkSize)}},
		{"CARv2", append(slices.Clone(carV2Pragma), good...), d.root, 0, dagfile.ErrBadCAR, []string{"CARv2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOrdered(t, tc.car, tc.root, tc.max)
			require.ErrorIs(t, err, tc.is)
			for _, p := range tc.phrases {
				require.ErrorContains(t, err, p)
			}
		})
	}
}

// carV2Pragma starts every CARv2.
var carV2Pragma = []byte{0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02}

// What is not a UnixFS file, or not the CIDs a vault takes, is refused.
func TestReadOrderedRefusesOtherDAGs(t *testing.T) {
	leaf := rawBlock(t, randomBytes(8, 1000))
	dir := pbNode(t, unixfs.FolderPBData(), []block{leaf})
	symlink := pbNode(t, mustBytes(unixfs.SymlinkData("/etc/passwd")), nil)
	hamt := pbNode(t, mustBytes(unixfs.NewFSNode(unixfs.THAMTShard).GetBytes()), []block{leaf})
	notPB := block{mustCID(t, cid.DagProtobuf, multihash.SHA2_256, []byte("not protobuf")), []byte("not protobuf")}
	plainPB := pbNode(t, nil, []block{leaf}) // dag-pb without UnixFS data
	dirInFile := fileNode(t, []block{dir}, []uint64{1000})
	big := rawBlock(t, make([]byte, dagfile.MaxBlockSize+1))
	v0 := block{cid.NewCidV0(leaf.c.Hash()), leaf.data}
	sha1 := block{mustCID(t, cid.Raw, multihash.SHA1, leaf.data), leaf.data}
	cbor := block{mustCID(t, cid.DagCBOR, multihash.SHA2_256, leaf.data), leaf.data}
	linksV0 := pbNodeLinks(t, unixfs.FilePBData(nil, 1000), []cid.Cid{v0.c})

	for _, tc := range []struct {
		name    string
		blocks  []block
		is      error
		phrases []string
	}{
		{"directory", []block{dir, leaf}, dagfile.ErrNotFile, []string{"block " + dir.c.String() + " is a UnixFS Directory, not a file"}},
		{"symlink", []block{symlink}, dagfile.ErrNotFile, []string{"is a UnixFS Symlink, not a file"}},
		{"HAMT shard", []block{hamt, leaf}, dagfile.ErrNotFile, []string{"is a UnixFS HAMTShard, not a file"}},
		{"directory under a file", []block{dirInFile, dir, leaf}, dagfile.ErrNotFile, []string{"block " + dir.c.String() + " is a UnixFS Directory"}},
		{"not dag-pb", []block{notPB}, dagfile.ErrNotFile, []string{"is not valid dag-pb"}},
		{"dag-pb without UnixFS", []block{plainPB, leaf}, dagfile.ErrNotFile, []string{"is not a UnixFS node"}},
		{"block too large", []block{big}, dagfile.ErrBadCAR,
			[]string{fmt.Sprintf("block %s is %d bytes; a block may be at most %d", big.c, dagfile.MaxBlockSize+1, dagfile.MaxBlockSize)}},
		{"CIDv0 root", []block{v0}, dagfile.ErrUnsupportedCID, []string{"root: ", "is CIDv0"}},
		{"sha1 root", []block{sha1}, dagfile.ErrUnsupportedCID, []string{"uses hash sha1"}},
		{"dag-cbor root", []block{cbor}, dagfile.ErrUnsupportedCID, []string{"has codec 0x71"}},
		{"link to CIDv0", []block{linksV0, v0}, dagfile.ErrUnsupportedCID,
			[]string{"block " + linksV0.c.String() + " links to an unsupported CID", "is CIDv0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := tc.blocks[0].c
			_, err := readOrdered(t, carOf(t, []cid.Cid{root}, tc.blocks), root, 0)
			require.ErrorIs(t, err, tc.is)
			for _, p := range tc.phrases {
				require.ErrorContains(t, err, p)
			}
		})
	}
}

// The root's file size must be what the leaves hold.
func TestReadOrderedChecksFileSize(t *testing.T) {
	a, b := rawBlock(t, randomBytes(9, 1000)), rawBlock(t, randomBytes(10, 500))
	for _, tc := range []struct {
		name   string
		sizes  []uint64
		phrase string
	}{
		{"right", []uint64{1000, 500}, ""},
		{"declares more", []uint64{1000, 501}, "declares a file of 1501 bytes, but its leaves hold 1500"},
		{"declares less", []uint64{1000, 499}, "declares a file of 1499 bytes, but its leaves hold more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fileNode(t, []block{a, b}, tc.sizes)
			got, err := readOrdered(t, carOf(t, []cid.Cid{root.c}, []block{root, a, b}), root.c, 0)
			if tc.phrase == "" {
				require.NoError(t, err)
				require.Equal(t, slices.Concat(a.data, b.data), got)
				return
			}
			require.ErrorIs(t, err, dagfile.ErrBadCAR)
			require.ErrorContains(t, err, tc.phrase)
		})
	}
}

// A file node may hold bytes itself (an importer without raw leaves, or
// Kubo's inline leaves): they come before its children's.
func TestReadOrderedInlineData(t *testing.T) {
	leaf := rawBlock(t, []byte("world"))
	fsn := unixfs.NewFSNode(unixfs.TFile)
	fsn.SetData([]byte("hello, "))
	fsn.AddBlockSize(uint64(len(leaf.data)))
	root := pbNode(t, mustBytes(fsn.GetBytes()), []block{leaf})
	got, err := readOrdered(t, carOf(t, []cid.Cid{root.c}, []block{root, leaf}), root.c, 0)
	require.NoError(t, err)
	require.Equal(t, "hello, world", string(got))
}

func TestReadOrderedPassesOnReadAndWriteErrors(t *testing.T) {
	data := randomBytes(11, 3*dagfile.ChunkSize)
	d := streamDAG(t, data)
	good := carOf(t, []cid.Cid{d.root}, d.dfs(t, false))

	broken := errors.New("connection reset")
	_, err := dagfile.ReadOrdered(t.Context(), io.MultiReader(bytes.NewReader(good[:len(good)/2]), errReader{broken}), d.root, 0, io.Discard)
	require.ErrorIs(t, err, broken)
	require.ErrorContains(t, err, "reading the CAR")

	full := errors.New("disk full")
	n, err := dagfile.ReadOrdered(t.Context(), bytes.NewReader(good), d.root, 0, errWriter{full})
	require.ErrorIs(t, err, full)
	require.ErrorContains(t, err, "write the file's bytes")
	require.Zero(t, n)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = dagfile.ReadOrdered(ctx, bytes.NewReader(good), d.root, 0, io.Discard)
	require.ErrorIs(t, err, context.Canceled)
}

// StreamCAR and Build make the same DAG, and StreamCAR's holds every
// block Build adds.
func TestStreamCARIsBuild(t *testing.T) {
	data := randomBytes(12, 4*dagfile.ChunkSize+9)
	streamed := streamDAG(t, data)
	built := mapDAG{}
	root, n, err := dagfile.Build(t.Context(), bytes.NewReader(data), built)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	require.Equal(t, streamed.root, root)
	require.Equal(t, map[cid.Cid][]byte(built), streamed.blocks)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func mustCID(t testing.TB, codec uint64, mh uint64, data []byte) cid.Cid {
	t.Helper()
	sum, err := multihash.Sum(data, mh, -1)
	require.NoError(t, err)
	return cid.NewCidV1(codec, sum)
}

func rawBlock(t testing.TB, data []byte) block {
	t.Helper()
	return block{mustCID(t, cid.Raw, multihash.SHA2_256, data), data}
}

// pbNode is a dag-pb node with the given Data field and links.
func pbNode(t testing.TB, data []byte, children []block) block {
	t.Helper()
	cs := make([]cid.Cid, len(children))
	for i, c := range children {
		cs[i] = c.c
	}
	return pbNodeLinks(t, data, cs)
}

func pbNodeLinks(t testing.TB, data []byte, children []cid.Cid) block {
	t.Helper()
	nd := merkledag.NodeWithData(data)
	require.NoError(t, nd.SetCidBuilder(dagfile.CIDBuilder))
	for i, c := range children {
		require.NoError(t, nd.AddRawLink(fmt.Sprint(i), &ipld.Link{Cid: c}))
	}
	return block{nd.Cid(), nd.RawData()}
}

// fileNode is a UnixFS file node over children, declaring the given block
// sizes (and so a file size of their sum).
func fileNode(t testing.TB, children []block, sizes []uint64) block {
	t.Helper()
	fsn := unixfs.NewFSNode(unixfs.TFile)
	for _, s := range sizes {
		fsn.AddBlockSize(s)
	}
	return pbNode(t, mustBytes(fsn.GetBytes()), children)
}
