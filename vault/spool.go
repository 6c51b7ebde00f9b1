package vault

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ipfs/boxo/ipld/merkledag"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// spool holds blocks in a temporary file with an index in memory: an
// upload between verification and storage, a download between verification
// and output, a file being chunked into a CAR. It keeps large files out of
// memory without the cost of a database. Adding is not safe for concurrent
// use; reading is, once adding is over.
type spool struct {
	file   *os.File
	size   int64
	blocks map[cid.Cid]spooled
}

type spooled struct {
	off   int64
	size  int
	links []cid.Cid
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "medchain-vault-*.blocks")
	if err != nil {
		return nil, fmt.Errorf("vault: create spool: %w", err)
	}
	return &spool{file: f, blocks: map[cid.Cid]spooled{}}, nil
}

// add appends a block the caller has verified, with its links.
func (sp *spool) add(c cid.Cid, data []byte, children []cid.Cid) error {
	if _, dup := sp.blocks[c]; dup {
		return nil
	}
	if _, err := sp.file.Write(data); err != nil {
		return fmt.Errorf("vault: write spool: %w", err)
	}
	sp.blocks[c] = spooled{off: sp.size, size: len(data), links: children}
	sp.size += int64(len(data))
	return nil
}

func (sp *spool) has(c cid.Cid) bool {
	_, ok := sp.blocks[c]
	return ok
}

func (sp *spool) block(c cid.Cid) ([]byte, error) {
	b, ok := sp.blocks[c]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, c)
	}
	data := make([]byte, b.size)
	if _, err := sp.file.ReadAt(data, b.off); err != nil {
		return nil, fmt.Errorf("vault: read spool: %w", err)
	}
	return data, nil
}

func (sp *spool) discard() {
	name := sp.file.Name()
	_ = sp.file.Close()
	_ = os.Remove(name)
}

// spoolDAG lets boxo's importer write into a spool and its UnixFS reader
// read from one.
type spoolDAG struct{ sp *spool }

var _ ipld.DAGService = spoolDAG{}

func (d spoolDAG) Add(_ context.Context, n ipld.Node) error {
	ls := n.Links()
	children := make([]cid.Cid, len(ls))
	for i, l := range ls {
		children[i] = l.Cid
	}
	return d.sp.add(n.Cid(), n.RawData(), children)
}

func (d spoolDAG) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		if err := d.Add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (d spoolDAG) Get(_ context.Context, c cid.Cid) (ipld.Node, error) {
	data, err := d.sp.block(c)
	if errors.Is(err, ErrNotFound) {
		return nil, ipld.ErrNotFound{Cid: c}
	}
	if err != nil {
		return nil, err
	}
	return decodeNode(c, data)
}

func (d spoolDAG) GetMany(ctx context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	out := make(chan *ipld.NodeOption, len(cs))
	go func() { // reads only: the index is no longer written to
		defer close(out)
		for _, c := range cs {
			n, err := d.Get(ctx, c)
			out <- &ipld.NodeOption{Node: n, Err: err}
		}
	}()
	return out
}

func (d spoolDAG) Remove(context.Context, cid.Cid) error {
	return errors.New("vault: spool blocks cannot be removed")
}

func (d spoolDAG) RemoveMany(context.Context, []cid.Cid) error {
	return errors.New("vault: spool blocks cannot be removed")
}

// decodeNode turns a block of one of the two accepted codecs into a node.
func decodeNode(c cid.Cid, data []byte) (ipld.Node, error) {
	blk, err := blocks.NewBlockWithCid(data, c)
	if err != nil {
		return nil, err
	}
	if c.Prefix().Codec == cid.Raw {
		return merkledag.DecodeRawBlock(blk)
	}
	n, err := merkledag.DecodeProtobufBlock(blk)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s is not valid dag-pb: %v", ErrBadCAR, c, err)
	}
	return n, nil
}
