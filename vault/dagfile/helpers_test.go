package dagfile_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault/dagfile"
)

// randomBytes returns n bytes of a ChaCha8 stream keyed by seed.
func randomBytes(seed byte, n int) []byte {
	var key [32]byte
	key[0], key[1] = seed, 2
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// block is one CAR section.
type block struct {
	c    cid.Cid
	data []byte
}

// dag is a DAG in memory: its root and every block by CID.
type dag struct {
	root   cid.Cid
	blocks map[cid.Cid][]byte
}

// streamDAG builds data with dagfile.StreamCAR and reads the blocks back
// from the CAR: the DAG a vault stores for data.
func streamDAG(t testing.TB, data []byte) dag {
	t.Helper()
	var out bytes.Buffer
	root, n, err := dagfile.StreamCAR(t.Context(), bytes.NewReader(data), &out)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	br, err := car.NewBlockReader(&out)
	require.NoError(t, err)
	require.Equal(t, []cid.Cid{dagfile.RootLastPlaceholder}, br.Roots)
	d := dag{root: root, blocks: map[cid.Cid][]byte{}}
	var last cid.Cid
	for {
		b, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		d.blocks[b.Cid()] = b.RawData()
		last = b.Cid()
	}
	require.Equal(t, root, last, "the root is the last block of a streamed CAR")
	return d
}

// smallDAG builds data with the production settings but for the chunk size
// and the links per node, so that a few KiB make a DAG several levels deep.
func smallDAG(t testing.TB, data []byte, chunk int64, maxLinks int) dag {
	t.Helper()
	d := dag{blocks: map[cid.Cid][]byte{}}
	params := helpers.DagBuilderParams{
		Dagserv:    mapDAG(d.blocks),
		Maxlinks:   maxLinks,
		RawLeaves:  true,
		CidBuilder: dagfile.CIDBuilder,
	}
	db, err := params.New(chunker.NewSizeSplitter(bytes.NewReader(data), chunk))
	require.NoError(t, err)
	nd, err := balanced.Layout(db)
	require.NoError(t, err)
	d.root = nd.Cid()
	return d
}

// links returns the children of a block, in order.
func links(t testing.TB, c cid.Cid, data []byte) []cid.Cid {
	t.Helper()
	if c.Prefix().Codec == cid.Raw {
		return nil
	}
	pn, err := merkledag.DecodeProtobuf(data)
	require.NoError(t, err)
	var out []cid.Cid
	for _, l := range pn.Links() {
		out = append(out, l.Cid)
	}
	return out
}

// dfs lists the DAG's blocks in depth-first pre-order, each once (dups=n,
// as Store.WriteCAR) or at each occurrence (dups=y).
func (d dag) dfs(t testing.TB, dups bool) []block {
	t.Helper()
	var out []block
	seen := map[cid.Cid]bool{}
	var visit func(c cid.Cid)
	visit = func(c cid.Cid) {
		if seen[c] && !dups {
			return
		}
		seen[c] = true
		data, ok := d.blocks[c]
		require.True(t, ok, "block %s missing", c)
		out = append(out, block{c, data})
		for _, child := range links(t, c, data) {
			visit(child)
		}
	}
	visit(d.root)
	return out
}

// depth is the number of levels of the DAG.
func (d dag) depth(t testing.TB) int {
	t.Helper()
	var depth func(c cid.Cid) int
	depth = func(c cid.Cid) int {
		deepest := 0
		for _, child := range links(t, c, d.blocks[c]) {
			deepest = max(deepest, depth(child))
		}
		return deepest + 1
	}
	return depth(d.root)
}

// carOf writes a CARv1 with the given header roots and exactly the given
// sections, in order (duplicates and all).
func carOf(t testing.TB, roots []cid.Cid, blocks []block) []byte {
	t.Helper()
	var out bytes.Buffer
	_, err := storage.NewWritable(struct{ io.Writer }{&out}, roots, car.WriteAsCarV1(true))
	require.NoError(t, err)
	for _, b := range blocks {
		out.Write(section(b))
	}
	return out.Bytes()
}

// section is the bytes of one CAR section.
func section(b block) []byte {
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(b.c.Bytes())+len(b.data)))
	out = append(out, b.c.Bytes()...)
	return append(out, b.data...)
}

// readOrdered runs ReadOrdered on a CAR held in memory.
func readOrdered(t testing.TB, carBytes []byte, root cid.Cid, maxBytes int64) ([]byte, error) {
	t.Helper()
	var got bytes.Buffer
	n, err := dagfile.ReadOrdered(t.Context(), bytes.NewReader(carBytes), root, maxBytes, &got)
	require.Equal(t, int64(got.Len()), n, "the count returned is what was written")
	return got.Bytes(), err
}

// mapDAG is a DAGService over a map, for the importer.
type mapDAG map[cid.Cid][]byte

func (m mapDAG) Add(_ context.Context, n ipld.Node) error {
	m[n.Cid()] = n.RawData()
	return nil
}

func (m mapDAG) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		_ = m.Add(ctx, n)
	}
	return nil
}

func (m mapDAG) Get(_ context.Context, c cid.Cid) (ipld.Node, error) {
	return nil, ipld.ErrNotFound{Cid: c}
}

func (m mapDAG) GetMany(_ context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	out := make(chan *ipld.NodeOption, len(cs))
	for _, c := range cs {
		out <- &ipld.NodeOption{Err: ipld.ErrNotFound{Cid: c}}
	}
	close(out)
	return out
}

func (m mapDAG) Remove(_ context.Context, c cid.Cid) error {
	delete(m, c)
	return nil
}

func (m mapDAG) RemoveMany(_ context.Context, cs []cid.Cid) error {
	for _, c := range cs {
		delete(m, c)
	}
	return nil
}
