package dagfile

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/multiformats/go-multihash"
)

// A streamed upload is a CARv1 whose blocks come in the order the importer
// makes them, leaves first and the root last, so that a client can send a
// file while it is still encrypting and chunking it instead of spooling the
// whole DAG to learn the root first. Its header carries RootLastPlaceholder
// (a CAR must name a root before its blocks), and a vault takes it at
// POST /api/v1/upload?root=last: the CAR's last block is the root.

// RootLastPlaceholder is the header root of a streamed upload: the identity
// CID of nothing, which no real DAG has as its root.
var RootLastPlaceholder = func() cid.Cid {
	mh, err := multihash.Sum(nil, multihash.IDENTITY, 0)
	if err != nil {
		panic(err)
	}
	return cid.NewCidV1(cid.Raw, mh)
}()

// StreamCAR chunks r exactly as Build does (so the root is the CID Kubo
// computes) and writes each block to w as soon as it is made, in a CARv1
// whose header root is RootLastPlaceholder and whose last block is the
// root. Nothing is held back: memory stays at about one chunk. It returns
// the root and the number of bytes read from r.
//
// The blocks come children first, so the CAR is not in the order
// ReadOrdered reads; a vault stores it and serves it back in that order.
func StreamCAR(ctx context.Context, r io.Reader, w io.Writer) (cid.Cid, int64, error) {
	// Hide any io.WriterAt behind a plain writer: go-car writes through
	// WriteAt from offset 0 when it can, which would ignore the position
	// of a caller's file.
	out, err := storage.NewWritable(struct{ io.Writer }{w}, []cid.Cid{RootLastPlaceholder},
		car.WriteAsCarV1(true), car.UseWholeCIDs(true))
	if err != nil {
		return cid.Undef, 0, fmt.Errorf("dagfile: write CAR header: %w", err)
	}
	return Build(ctx, r, carStreamDAG{out: out})
}

// carStreamDAG is a write-only DAGService that appends each node added to
// a CAR stream. The balanced importer adds every node after its children
// and never reads back, so the root comes last.
type carStreamDAG struct {
	out storage.WritableCar
}

func (d carStreamDAG) Add(ctx context.Context, n ipld.Node) error {
	if err := d.out.Put(ctx, n.Cid().KeyString(), n.RawData()); err != nil {
		return fmt.Errorf("dagfile: write CAR block %s: %w", n.Cid(), err)
	}
	return nil
}

func (d carStreamDAG) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		if err := d.Add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (d carStreamDAG) Get(_ context.Context, c cid.Cid) (ipld.Node, error) {
	return nil, ipld.ErrNotFound{Cid: c}
}

func (d carStreamDAG) GetMany(_ context.Context, cs []cid.Cid) <-chan *ipld.NodeOption {
	out := make(chan *ipld.NodeOption, len(cs))
	for _, c := range cs {
		out <- &ipld.NodeOption{Err: ipld.ErrNotFound{Cid: c}}
	}
	close(out)
	return out
}

func (d carStreamDAG) Remove(context.Context, cid.Cid) error {
	return errors.New("dagfile: a CAR stream cannot remove blocks")
}

func (d carStreamDAG) RemoveMany(context.Context, []cid.Cid) error {
	return errors.New("dagfile: a CAR stream cannot remove blocks")
}
