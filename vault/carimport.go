package vault

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"

	"github.com/medchain/medchain/vault/dagfile"
)

const (
	// maxCARHeader bounds the CAR header: one root is about 60 bytes.
	maxCARHeader = 64 << 10
	// maxSection bounds one CAR section: a block plus its CID.
	maxSection = maxBlockSize + 256
)

// ImportCAR stores the DAG carried by a CARv1 upload, or nothing at all.
//
// The CAR must have exactly one root, a UnixFS file (a raw block or a dag-pb
// file node: the vault stores single files). Every block must have a CID
// that checkCID accepts and must hash to it, the whole input must fit in
// maxBytes (maxBytes <= 0 means no limit), and every block reachable from
// the root must be in the CAR, even one the vault already holds (only
// ImportReplica may complete a DAG from held blocks). Blocks are verified
// and written as they arrive (nothing is spooled, so a large upload streams
// through); if any check fails, the blocks the upload added are deleted
// again, so a rejected or interrupted upload leaves nothing behind. Blocks
// in the CAR that the root does not reach are dropped.
//
// Errors wrap ErrTooLarge, ErrBadCAR, ErrUnsupportedCID, ErrBlockMismatch or
// ErrIncompleteDAG and name the CID concerned. An error reading r itself is
// returned wrapped as it is (for example *http.MaxBytesError), so a server
// can tell a client that hung up from one that sent bad data.
//
// Like Import, the root is recorded as unpinned now and survives GC for one
// grace period unless pinned.
func (s *Store) ImportCAR(ctx context.Context, r io.Reader, maxBytes int64) (cid.Cid, error) {
	root, _, err := s.importCARStream(ctx, r, maxBytes, false, cid.Undef)
	return root, err
}

// openCAR starts reading a CARv1 from r, bounded to maxBytes (<= 0: no
// bound). explain turns what the CAR parser made of a failed read into the
// real cause: the limit (ErrTooLarge), the source (a *readError), or the
// context.
func openCAR(ctx context.Context, r io.Reader, maxBytes int64) (_ *car.BlockReader, explain func(error) error, _ error) {
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64
	}
	lr := &dagfile.LimitedReader{R: r, Left: maxBytes}
	explain = func(err error) error {
		switch {
		case lr.Exceeded:
			return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
		case lr.SrcErr != nil:
			return &readError{lr.SrcErr}
		case ctx.Err() != nil:
			return ctx.Err()
		}
		return err
	}
	br, err := car.NewBlockReader(lr,
		car.WithTrustedCAR(true), // we verify, and name the block
		car.MaxAllowedHeaderSize(maxCARHeader),
		car.MaxAllowedSectionSize(uint64(maxSection)))
	if err != nil {
		return nil, nil, explain(fmt.Errorf("%w: header: %v", ErrBadCAR, err))
	}
	if br.Version != 1 {
		return nil, nil, fmt.Errorf("%w: CARv%d; send a CARv1", ErrBadCAR, br.Version)
	}
	return br, explain, nil
}

// stagedCAR is an upload whose blocks have each been verified and spooled
// to a temporary file, not yet checked for completeness nor stored.
type stagedCAR struct {
	root cid.Cid
	*spool
}

func stageCAR(ctx context.Context, r io.Reader, maxBytes int64, tmpDir string, want cid.Cid) (_ *stagedCAR, err error) {
	br, explain, err := openCAR(ctx, r, maxBytes)
	if err != nil {
		return nil, err
	}
	root := want
	if !root.Defined() {
		if len(br.Roots) != 1 {
			return nil, fmt.Errorf("%w: %d roots in the header; exactly one is required", ErrBadCAR, len(br.Roots))
		}
		root = br.Roots[0]
	}
	if err := dagfile.CheckCID(root); err != nil {
		return nil, err
	}

	sp, err := newSpool(tmpDir)
	if err != nil {
		return nil, err
	}
	st := &stagedCAR{root: root, spool: sp}
	defer func() {
		if err != nil {
			st.discard()
		}
	}()

	// A gateway sends the DAG parents first (order=dfs): a block no block
	// before it links to is not the root's, and is refused rather than
	// spooled, so a hostile gateway cannot fill the disk with blocks that
	// are not the payload. The shape limits of uploads bound the rest.
	reachable := map[cid.Cid]bool{root: true}
	maxBlocks := maxBlocksFor(maxBytes)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		blk, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, explain(fmt.Errorf("%w: after %d blocks: %v", ErrBadCAR, len(st.blocks), err))
		}
		c, data := blk.Cid(), blk.RawData()
		if err := verifyBlock(c, data); err != nil {
			return nil, err
		}
		if st.has(c) {
			continue
		}
		if want.Defined() && !reachable[c] {
			return nil, fmt.Errorf("%w: block %s is not linked from the root %s by any block before it; "+
				"a DAG must come parents first (order=dfs), and nothing but the payload is taken", ErrBadCAR, c, root)
		}
		if len(st.blocks) >= maxBlocks {
			return nil, fmt.Errorf("%w: more than %d blocks for at most %d bytes", ErrDAGShape, maxBlocks, maxBytes)
		}
		children, err := links(c, data)
		if err != nil {
			return nil, err
		}
		if len(children) > MaxLinks {
			return nil, fmt.Errorf("%w: block %s has %d links; at most %d", ErrDAGShape, c, len(children), MaxLinks)
		}
		for _, child := range children {
			reachable[child] = true
		}
		for _, child := range children {
			if err := dagfile.CheckCID(child); err != nil {
				return nil, fmt.Errorf("block %s links to an unsupported CID: %w", c, err)
			}
		}
		if err := st.add(c, data, children); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// verifyBlock is the check every block coming from outside goes through:
// an accepted kind of CID, and bytes that hash to it.
func verifyBlock(c cid.Cid, data []byte) error {
	if err := dagfile.CheckCID(c); err != nil {
		return err
	}
	sum, err := c.Prefix().Sum(data)
	if err != nil {
		return fmt.Errorf("%w: hash block %s: %v", ErrBlockMismatch, c, err)
	}
	if !sum.Equals(c) {
		return fmt.Errorf("%w: block %s hashes to %s", ErrBlockMismatch, c, sum)
	}
	return nil
}

// plan walks the DAG from the root through the staged blocks and, where a
// block is not staged, through the store s (nil for none). It returns the
// staged blocks the root reaches, root first, or ErrIncompleteDAG naming the
// first missing block and the block that links to it.
func (st *stagedCAR) plan(ctx context.Context, s *Store) ([]cid.Cid, error) {
	var order []cid.Cid
	err := walk(ctx, []cid.Cid{st.root}, func(c, parent cid.Cid) ([]cid.Cid, error) {
		if b, ok := st.blocks[c]; ok {
			order = append(order, c)
			return b.links, nil
		}
		has := false
		if s != nil {
			var err error
			if has, err = s.Has(ctx, c); err != nil {
				return nil, err
			}
		}
		if !has {
			if !parent.Defined() {
				return nil, fmt.Errorf("%w: root block %s %s", ErrIncompleteDAG, c, missingFrom(s))
			}
			return nil, fmt.Errorf("%w: block %s, linked from %s, %s", ErrIncompleteDAG, c, parent, missingFrom(s))
		}
		if c.Prefix().Codec != cid.DagProtobuf {
			return nil, nil
		}
		// A block the vault already has may head a sub-DAG that a crash or
		// a GC left partial: walk it too.
		data, err := s.Block(ctx, c)
		if err != nil {
			return nil, err
		}
		return links(c, data)
	})
	if err != nil {
		return nil, err
	}
	return order, nil
}

func missingFrom(s *Store) string {
	if s == nil {
		return "is not in the CAR"
	}
	return "is neither in the CAR nor in the vault"
}

// fileSize checks that the root is a UnixFS file (the vault stores single
// files, which Cat must be able to read back) and returns its content size.
func (st *stagedCAR) fileSize(ctx context.Context, s *Store) (int64, error) {
	var data []byte
	var err error
	if st.has(st.root) {
		data, err = st.block(st.root)
	} else {
		data, err = s.Block(ctx, st.root)
	}
	if err != nil {
		return 0, err
	}
	return fileSize(st.root, data)
}

// readError is a failure of the reader an upload came from (a client that
// hung up, a body over the HTTP server's limit), as opposed to bad data.
type readError struct{ err error }

func (e *readError) Error() string { return "vault: reading upload: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }
