package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	unixfspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/mount"
	flatfs "github.com/ipfs/go-ds-flatfs"
	leveldb "github.com/ipfs/go-ds-leveldb"
	ipld "github.com/ipfs/go-ipld-format"

	"github.com/medchain/medchain/vault/dagfile"
)

const (
	// ChunkSize is the UnixFS chunk size: 1 MiB, as Kubo's
	// `--chunker size-1048576` (see dagfile.Build).
	ChunkSize = dagfile.ChunkSize

	// maxBlockSize bounds any block the vault accepts: the bitswap limit
	// that every IPFS implementation honours (2 MiB). Our own leaves are
	// 1 MiB and our dag-pb nodes a few KiB.
	maxBlockSize = dagfile.MaxBlockSize

	// MinLeafSize is the smallest leaf (a block without links) a DAG may
	// have other than its one last, short leaf: every UnixFS importer with
	// a fixed-size chunker of at least Kubo's default 256 KiB qualifies.
	MinLeafSize = 256 << 10
	// MaxLinks bounds the links of one dag-pb node (the balanced importer
	// makes 174).
	MaxLinks = 1024
	// MaxDepth bounds the depth of a DAG (a balanced DAG of 174-link nodes
	// and 1 MiB leaves holds 26 PiB at depth 6).
	MaxDepth = 16

	// writeBatchBytes is how much block data is gathered before one
	// (fsynced) datastore batch commit.
	writeBatchBytes = 8 << 20
)

// cidBuilder is Kubo's `--cid-version 1`, as dagfile.Build uses it.
var cidBuilder = dagfile.CIDBuilder

// Store is a vault's block storage in one directory: a boxo blockstore over
// a flatfs datastore (one file per block, blocks/), the pin records that
// decide what garbage collection keeps in a LevelDB datastore (datastore/),
// both mounted as one datastore, and a spool for uploads being verified
// (tmp/). It is safe for concurrent use.
type Store struct {
	dir    string
	tmpDir string
	ds     *mount.Datastore
	raw    blockstore.Blockstore // writes and deletes
	bs     blockstore.Blockstore // reads, re-hashing every block
	dag    ipld.DAGService       // over bs

	// gcMu keeps garbage collection away from blocks that are written but
	// not yet recorded under a root: writers hold it shared from their
	// first block until their root is recorded, GC holds it exclusively.
	gcMu sync.RWMutex

	idOnce sync.Once // ID
	id     string
	idErr  error
	// pinMu serialises read-modify-write of pin records.
	pinMu sync.Mutex

	pinned atomic.Int64 // roots currently pinned, for the metrics gauge

	// gcUndecodable counts the kept blocks GC's mark could not decode
	// under their CID's codec (vault_gc_undecodable_blocks_total).
	gcUndecodable atomic.Int64

	// inflight counts, by multihash, the uploads and imports in progress
	// that staged each block (wrote it, found it held, or completed their
	// DAG with it): GC keeps them without waiting for the uploads, which
	// may take as long as their clients' connections, and an upload that
	// fails deletes only the blocks no other one staged (see protection).
	inflightMu sync.Mutex
	inflight   map[string]*inflightBlock

	log          Logger    // SetLogger; discards until then
	droppedTwins []cid.Cid // the codec twins' pins Open dropped, for SetLogger
}

// SetLogger sets where the store reports what it skips or repairs on its
// own (Open's clean-up of codec twins' pins, GC's undecodable blocks). Call
// it before the store is used concurrently.
func (s *Store) SetLogger(l Logger) {
	if l == nil {
		l = nopLogger{}
	}
	s.log = l
	if n := len(s.droppedTwins); n > 0 {
		sample := make([]string, 0, 3)
		for _, c := range s.droppedTwins[:min(n, 3)] {
			sample = append(sample, c.String())
		}
		l.Error("vault: dropped the pins of codec twins: a record named a root's multihash under another codec, "+
			"and this vault no longer serves or pins a root under any codec but its own", "dropped", n, "first", sample)
		s.droppedTwins = nil
	}
}

// Open opens (or creates) the store in dir. Only one process may hold a
// store open at a time; a second Open fails with LevelDB's lock error.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("vault: empty store directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: create store directory: %w", err)
	}
	// LevelDB first: its lock file keeps a second process out of the
	// whole store.
	meta, err := leveldb.NewDatastore(filepath.Join(dir, "datastore"), nil)
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("%w: %s is open in another process (a node's vault, or a vault serve): stop that vault first", ErrStoreInUse, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: open datastore in %s: %w", dir, err)
	}
	tmpDir := filepath.Join(dir, "tmp")
	// Spool files of uploads interrupted by a crash are useless: the upload
	// was never acknowledged, so nobody relies on them.
	if err := os.RemoveAll(tmpDir); err != nil {
		_ = meta.Close()
		return nil, fmt.Errorf("vault: clear upload spool: %w", err)
	}
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		_ = meta.Close()
		return nil, fmt.Errorf("vault: create upload spool: %w", err)
	}
	blockFiles, err := flatfs.CreateOrOpen(filepath.Join(dir, "blocks"), flatfs.NextToLast(2), true)
	if err != nil {
		_ = meta.Close()
		return nil, fmt.Errorf("vault: open block files in %s: %w", dir, err)
	}
	// Blocks, one file each, under /blocks; pin records in LevelDB. This is
	// Kubo's own layout: large immutable values are cheaper as files than
	// in an LSM tree (no compaction rewrites them), and a deleted block's
	// space, and its ciphertext, leave the disk at once.
	ds := mount.New([]mount.Mount{
		{Prefix: blockstore.BlockPrefix, Datastore: blockFiles},
		{Prefix: datastore.NewKey("/"), Datastore: meta},
	})
	raw := blockstore.NewBlockstore(ds)
	bs := &blockstore.ValidatingBlockstore{Blockstore: raw}
	s := &Store{
		log:    nopLogger{},
		dir:    dir,
		tmpDir: tmpDir,
		ds:     ds,
		raw:    raw,
		bs:     bs,
		dag:    merkledag.NewDAGService(blockservice.New(bs, nil)),
	}
	if s.droppedTwins, err = s.dropTwinPins(context.Background()); err != nil {
		_ = ds.Close()
		return nil, err
	}
	n, err := s.countPinned(context.Background())
	if err != nil {
		_ = ds.Close()
		return nil, err
	}
	s.pinned.Store(n)
	return s, nil
}

// Close closes the datastore. Readers returned by Cat must be closed first.
func (s *Store) Close() error {
	return s.ds.Close()
}

// Dir is the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Import chunks r into a UnixFS file DAG with the same settings as Kubo's
// `ipfs add --cid-version 1 --raw-leaves --chunker size-1048576` (balanced
// layout, 174 links per node), so the root CID is the one Kubo computes for
// the same bytes. It streams: blocks go to disk in batches as r is read.
// The root is recorded as unpinned at the current time, so GC leaves it alone
// for one grace period; call Pin to keep it. It returns the root and the
// number of bytes read from r. The blocks of an import that fails midway
// belong to no root, and the next GC deletes them.
func (s *Store) Import(ctx context.Context, r io.Reader) (cid.Cid, int64, error) {
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	// Staged like an upload's blocks, so that a concurrent upload that
	// wrote one of them and fails does not take it away.
	protected := s.protect()
	defer protected.release()

	batch := ipld.NewBufferedDAG(ctx, protectingDAG{s.dag, protected}, ipld.MaxSizeBatchOption(writeBatchBytes))
	root, n, err := dagfile.Build(ctx, r, batch)
	if err != nil {
		_ = batch.Commit() // let writes in flight finish while GC is held off
		return cid.Undef, n, err
	}
	if err := batch.Commit(); err != nil {
		return cid.Undef, n, fmt.Errorf("vault: import: store blocks: %w", err)
	}
	if err := s.recordWritten(ctx, root); err != nil {
		return cid.Undef, n, err
	}
	return root, n, nil
}

// protectingDAG stages every node in p before it is written.
type protectingDAG struct {
	ipld.DAGService
	p *protection
}

func (d protectingDAG) Add(ctx context.Context, nd ipld.Node) error {
	d.p.add(nd.Cid())
	return d.DAGService.Add(ctx, nd)
}

func (d protectingDAG) AddMany(ctx context.Context, nds []ipld.Node) error {
	for _, nd := range nds {
		d.p.add(nd.Cid())
	}
	return d.DAGService.AddMany(ctx, nds)
}

// buildFile chunks r into dst as every DAG the vault or its client builds
// is chunked: dagfile.Build, the one place the importer is set up.
func buildFile(ctx context.Context, r io.Reader, dst ipld.DAGService) (cid.Cid, int64, error) {
	return dagfile.Build(ctx, r, dst)
}

// Has reports whether the vault holds the block c.
//
// Blocks are stored by multihash, but a root is known by its codec and
// multihash together: the codec twin of a root (its multihash under the
// other codec, see codecTwins) is not held unless it came in as a root
// itself. Otherwise a record naming the dag-pb twin of someone else's raw
// payload would get that payload served, pinned and counted as its own.
func (s *Store) Has(ctx context.Context, c cid.Cid) (bool, error) {
	held, err := s.raw.Has(ctx, c)
	if err != nil || !held {
		return false, err
	}
	if root, err := s.isRoot(ctx, c); err != nil || root {
		return root, err
	}
	for _, tw := range codecTwins(c) {
		if root, err := s.isRoot(ctx, tw); err != nil || root {
			return false, err
		}
	}
	return true, nil
}

// HasRoot reports whether c came into the vault as the root of an upload,
// an import or a replica, under exactly c's codec, and is still held. Only
// such a CID can be pinned, and only such a CID is served behind an access
// gate: a record that names an inner block of someone else's DAG, or a
// root's codec twin, gets nothing.
func (s *Store) HasRoot(ctx context.Context, c cid.Cid) (bool, error) {
	if root, err := s.isRoot(ctx, c); err != nil || !root {
		return false, err
	}
	return s.raw.Has(ctx, c)
}

// isRoot reports whether the vault has a root record (pinned or in its
// grace period) for exactly c. Root records are made only when a root
// comes in (recordWritten), under the CID it came in with.
func (s *Store) isRoot(ctx context.Context, c cid.Cid) (bool, error) {
	ok, err := s.ds.Has(ctx, pinKey(c))
	if err != nil {
		return false, fmt.Errorf("vault: read pin of %s: %w", c, err)
	}
	return ok, nil
}

// codecTwins returns c's multihash under the other codecs the vault
// accepts (raw and dag-pb): CIDs that name the same stored block.
func codecTwins(c cid.Cid) []cid.Cid {
	switch c.Type() {
	case cid.Raw:
		return []cid.Cid{cid.NewCidV1(cid.DagProtobuf, c.Hash())}
	case cid.DagProtobuf:
		return []cid.Cid{cid.NewCidV1(cid.Raw, c.Hash())}
	}
	return nil
}

// Block returns the raw bytes of block c after checking that they still
// hash to c. It fails with ErrNotFound or ErrCorrupt.
func (s *Store) Block(ctx context.Context, c cid.Cid) ([]byte, error) {
	b, err := s.bs.Get(ctx, c)
	if err != nil {
		return nil, s.readErr(c, err)
	}
	return b.RawData(), nil
}

func (s *Store) readErr(c cid.Cid, err error) error {
	switch {
	case ipld.IsNotFound(err):
		return fmt.Errorf("%w: block %s", ErrNotFound, c)
	case errors.Is(err, blockstore.ErrHashMismatch):
		return fmt.Errorf("%w: %s", ErrCorrupt, c)
	default:
		return fmt.Errorf("vault: read block %s: %w", c, err)
	}
}

// Cat opens the UnixFS file whose root is root. Every block is re-hashed as
// it is read, so corruption on disk surfaces as a read error, never as wrong
// bytes. The caller must close the reader.
func (s *Store) Cat(ctx context.Context, root cid.Cid) (io.ReadSeekCloser, error) {
	nd, err := s.node(ctx, root)
	if err != nil {
		return nil, err
	}
	r, err := uio.NewDagReader(ctx, nd, s.dag)
	if err != nil {
		return nil, fmt.Errorf("vault: %s is not a UnixFS file: %w", root, err)
	}
	return r, nil
}

// Stat returns the content size of the UnixFS file whose root is root.
func (s *Store) Stat(ctx context.Context, root cid.Cid) (int64, error) {
	nd, err := s.node(ctx, root)
	if err != nil {
		return 0, err
	}
	return fileSize(root, nd.RawData())
}

func (s *Store) node(ctx context.Context, c cid.Cid) (ipld.Node, error) {
	nd, err := s.dag.Get(ctx, c)
	if err != nil {
		return nil, s.readErr(c, err)
	}
	return nd, nil
}

// fileSize is the content size a UnixFS file root declares: a raw root is
// its own content; a dag-pb root must be a UnixFS file.
func fileSize(c cid.Cid, data []byte) (int64, error) {
	if c.Prefix().Codec == cid.Raw {
		return int64(len(data)), nil
	}
	pn, err := merkledag.DecodeProtobuf(data)
	if err != nil {
		return 0, fmt.Errorf("%w: block %s is not valid dag-pb: %v", ErrBadCAR, c, err)
	}
	fs, err := unixfs.FSNodeFromBytes(pn.Data())
	if err != nil {
		return 0, fmt.Errorf("%w: block %s is not a UnixFS node: %v", ErrBadCAR, c, err)
	}
	switch fs.Type() {
	case unixfspb.Data_File, unixfspb.Data_Raw:
		return int64(fs.FileSize()), nil
	default:
		return 0, fmt.Errorf("%w: %s is a UnixFS %s, not a file", ErrBadCAR, c, fs.Type())
	}
}

// links returns the CIDs a block links to. Raw blocks have none; dag-pb
// blocks are decoded. It is the single place that decides what "the DAG
// under a root" means, for CAR export, upload completeness and GC alike.
func links(c cid.Cid, data []byte) ([]cid.Cid, error) {
	if c.Prefix().Codec != cid.DagProtobuf {
		return nil, nil
	}
	pn, err := merkledag.DecodeProtobuf(data)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s is not valid dag-pb: %v", ErrBadCAR, c, err)
	}
	ls := pn.Links()
	out := make([]cid.Cid, len(ls))
	for i, l := range ls {
		out[i] = l.Cid
	}
	return out, nil
}

// walk visits every block reachable from roots once, depth-first in
// pre-order (a block before its children, children in link order: the order
// of a CAR with order=dfs). visit gets the block's CID and the CID of the
// block that linked to it (undefined for a root) and returns the children
// to descend into.
func walk(ctx context.Context, roots []cid.Cid, visit func(c, parent cid.Cid) ([]cid.Cid, error)) error {
	type step struct{ c, parent cid.Cid }
	stack := make([]step, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, step{c: roots[i]})
	}
	seen := map[cid.Cid]struct{}{}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, dup := seen[cur.c]; dup {
			continue
		}
		seen[cur.c] = struct{}{}
		children, err := visit(cur.c, cur.parent)
		if err != nil {
			return err
		}
		for i := len(children) - 1; i >= 0; i-- {
			stack = append(stack, step{c: children[i], parent: cur.c})
		}
	}
	return nil
}
