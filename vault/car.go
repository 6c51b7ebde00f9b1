package vault

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// WriteCAR writes a CARv1 with root as its only root and every block of the
// DAG under it, each once, in depth-first pre-order (root first): the
// trustless gateway's `order=dfs; dups=n`. Blocks are re-hashed as they are
// read. A block missing from the store stops the stream with an error
// naming it; what was written until then is an incomplete CAR.
func (s *Store) WriteCAR(ctx context.Context, root cid.Cid, w io.Writer) error {
	_, err := s.writeCAR(ctx, root, w, false)
	return err
}

// writeCAR is WriteCAR that can stop after the root block (dag-scope=block)
// and reports how many blocks it wrote.
func (s *Store) writeCAR(ctx context.Context, root cid.Cid, w io.Writer, rootOnly bool) (int, error) {
	if has, err := s.Has(ctx, root); err != nil {
		return 0, err
	} else if !has {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, root)
	}
	return writeCAR(ctx, root, w, rootOnly, func(c cid.Cid) ([]byte, error) { return s.Block(ctx, c) })
}

// writeCAR writes the DAG under root, reading blocks through get.
func writeCAR(ctx context.Context, root cid.Cid, w io.Writer, rootOnly bool, get func(cid.Cid) ([]byte, error)) (int, error) {
	// Hide any io.WriterAt behind a plain writer: go-car writes through
	// WriteAt from offset 0 when it can, which would ignore the position
	// of a caller's file.
	out, err := storage.NewWritable(struct{ io.Writer }{w}, []cid.Cid{root},
		car.WriteAsCarV1(true), car.UseWholeCIDs(true))
	if err != nil {
		return 0, fmt.Errorf("vault: write CAR header: %w", err)
	}
	written := 0
	err = walk(ctx, []cid.Cid{root}, func(c, _ cid.Cid) ([]cid.Cid, error) {
		data, err := get(c)
		if err != nil {
			return nil, err
		}
		if err := out.Put(ctx, c.KeyString(), data); err != nil {
			return nil, fmt.Errorf("vault: write CAR block %s: %w", c, err)
		}
		written++
		if rootOnly {
			return nil, nil
		}
		return links(c, data)
	})
	return written, err
}
