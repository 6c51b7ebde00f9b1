// Package dagfile builds and reads the UnixFS file DAGs a medchain vault
// stores, with nothing but the pure-Go IPFS libraries: no datastore, no
// disk, no network. It compiles for GOOS=js GOARCH=wasm, so a browser
// running Go as WebAssembly chunks a file into exactly the DAG (and the CID)
// a vault or Kubo makes, and reads a file back from a vault's or a
// gateway's CAR, verifying every block, without holding the file in memory.
//
// Build and StreamCAR hold the importer settings, the one place they live:
// 1 MiB chunks (ChunkSize), raw leaves, the balanced layout with 174 links
// per node and CIDv1 sha2-256 (CIDBuilder), Kubo's
//
//	ipfs add --cid-version 1 --raw-leaves --chunker size-1048576
//
// ReadOrdered reads a CAR whose blocks come in depth-first pre-order, as a
// vault's Store.WriteCAR and a trustless gateway's
// application/vnd.ipld.car; order=dfs; dups=n send them, and streams the
// file's bytes out as it checks each block.
//
// The vault package uses this one; this one must never import the vault
// (which needs LevelDB and the file system).
package dagfile

import (
	"context"
	"fmt"
	"io"

	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/multiformats/go-multihash"
)

const (
	// ChunkSize is the UnixFS chunk size: 1 MiB, as Kubo's
	// `--chunker size-1048576`.
	ChunkSize = 1 << 20

	// MaxBlockSize bounds any block: the bitswap limit that every IPFS
	// implementation honours (2 MiB). Our own leaves are 1 MiB and our
	// dag-pb nodes a few KiB.
	MaxBlockSize = chunker.BlockSizeLimit
)

// CIDBuilder is Kubo's `--cid-version 1`: CIDv1, sha2-256, dag-pb for
// UnixFS nodes (leaves become raw through RawLeaves).
var CIDBuilder = cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256}

// Build chunks r into a UnixFS file DAG with the settings of Kubo's
// `ipfs add --cid-version 1 --raw-leaves --chunker size-1048576` (balanced
// layout, 174 links per node), adding every node to dst as it is made,
// children before their parent and the root last. It is the one place that
// sets the importer up: every DAG a vault or its clients build must get
// Kubo's CID. It returns the root and the number of bytes read from r, and
// stops reading once ctx is done.
func Build(ctx context.Context, r io.Reader, dst ipld.DAGService) (cid.Cid, int64, error) {
	cr := &CountingReader{Ctx: ctx, R: r}
	params := helpers.DagBuilderParams{
		Dagserv:    dst,
		Maxlinks:   helpers.DefaultLinksPerBlock,
		RawLeaves:  true,
		CidBuilder: CIDBuilder,
	}
	db, err := params.New(chunker.NewSizeSplitter(cr, ChunkSize))
	if err != nil {
		return cid.Undef, 0, fmt.Errorf("dagfile: import: %w", err)
	}
	root, err := balanced.Layout(db)
	if err != nil {
		return cid.Undef, cr.N, fmt.Errorf("dagfile: import after %d bytes: %w", cr.N, err)
	}
	return root.Cid(), cr.N, nil
}

// CountingReader counts in N what it reads from R and stops once Ctx is
// done: the importer itself takes no context.
type CountingReader struct {
	Ctx context.Context
	R   io.Reader
	N   int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
