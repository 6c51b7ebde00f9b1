package vault

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault/dagfile"
)

// A streamed upload is a CARv1 whose blocks come in the order the importer
// makes them, leaves first and the root last, so that a client can send a
// file while it is still encrypting and chunking it instead of spooling the
// whole DAG to learn the root first. Its header carries RootLastPlaceholder
// (a CAR must name a root before its blocks), and the upload is sent to
// POST /api/v1/upload?root=last: the vault then takes the CAR's last block
// as the root and checks it exactly as it checks a header root. The CAR is
// made by dagfile.StreamCAR, which a browser can run too.

// RootLastPlaceholder is the header root of a streamed upload: the identity
// CID of nothing, which no real DAG has as its root.
var RootLastPlaceholder = dagfile.RootLastPlaceholder

// StreamCAR chunks r exactly as Import does (so the root is the CID Kubo
// computes) and writes each block to w as soon as it is made, in a CARv1
// whose header root is RootLastPlaceholder and whose last block is the
// root. Nothing is held back: memory stays at about one chunk. It returns
// the root and the number of bytes read from r. It is dagfile.StreamCAR.
func StreamCAR(ctx context.Context, r io.Reader, w io.Writer) (cid.Cid, int64, error) {
	return dagfile.StreamCAR(ctx, r, w)
}

// UploadFile chunks r into the DAG Kubo would build and streams it to the
// vault as it goes (a root-last upload), returning the vault's answer (the
// root it stored, and its receipt). Chunking, hashing, sending, and the vault's verifying and storing
// all overlap; neither side spools the file. The vault still answers only
// once every block is verified, the DAG complete and on disk.
func (c *Client) UploadFile(ctx context.Context, r io.Reader) (UploadResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	type built struct {
		root cid.Cid
		err  error
	}
	done := make(chan built, 1)
	go func() {
		root, _, err := StreamCAR(ctx, r, pw)
		pw.CloseWithError(err)
		done <- built{root, err}
	}()
	// A big buffer with WriteTo makes the HTTP transport send chunks of up
	// to 1 MiB instead of 32 KiB: far fewer syscalls on both sides.
	got, upErr := c.upload(ctx, bufio.NewReaderSize(pr, 1<<20), "?root=last")
	pr.CloseWithError(errors.Join(upErr, errUploadEnded))
	cancel()
	b := <-done
	switch {
	case b.err != nil && !errors.Is(b.err, errUploadEnded) && !errors.Is(b.err, context.Canceled):
		return UploadResponse{}, b.err
	case upErr != nil:
		return UploadResponse{}, upErr
	}
	if got.CID != b.root.String() {
		return UploadResponse{}, fmt.Errorf("vault: upload: the vault stored %s but the file's root is %s", got.CID, b.root)
	}
	return got, nil
}

var errUploadEnded = errors.New("vault: the upload ended")

// importCARStream stores the DAG of a CAR upload as it arrives: each block
// is verified against its CID and written in batches, so receiving,
// verifying and storing overlap and nothing is spooled. With rootLast the
// header root is ignored and the last block is the root (a streamed
// upload); else the header must name exactly one root. Once the CAR ends
// the DAG under the root must be complete and the root a UnixFS file. A
// user upload must carry every block of its DAG itself: were it allowed to
// link to blocks it did not send, a 100-byte node linking to someone
// else's root, registered as one's own record, would get their whole DAG
// served. Only a replica import may complete its DAG from blocks the vault
// holds; if anything fails, the blocks this upload
// added are deleted again, so a rejected upload leaves nothing behind (and
// GC collects what a crash might strand); blocks the root does not reach are
// dropped. GC is held off until the root is recorded.
//
// expect, if defined, makes this a replica import (ImportReplica): it is
// the root the header must name, and anything else is refused before a
// block is read.
func (s *Store) importCARStream(ctx context.Context, r io.Reader, maxBytes int64, rootLast bool, expect cid.Cid) (_ cid.Cid, _ int64, err error) {
	br, explain, err := openCAR(ctx, r, maxBytes)
	if err != nil {
		return cid.Undef, 0, err
	}
	replica := expect.Defined()
	var root cid.Cid
	if !rootLast {
		if len(br.Roots) != 1 {
			return cid.Undef, 0, fmt.Errorf("%w: %d roots in the header; exactly one is required", ErrBadCAR, len(br.Roots))
		}
		root = br.Roots[0]
		if err := dagfile.CheckCID(root); err != nil {
			return cid.Undef, 0, err
		}
		if expect.Defined() && root != expect {
			return cid.Undef, 0, fmt.Errorf("%w: the CAR's root is %s, not the %s asked for", ErrBadCAR, root, expect)
		}
	}

	holdingGC := false
	protected := s.protect()
	defer protected.release()
	w := newBlockWriter(ctx, s)
	var added []cid.Cid // blocks this upload wrote, deleted again on failure
	defer func() {
		if !w.closed {
			added, _ = w.close()
		}
		if err != nil {
			// Only what no other upload staged meanwhile: another one may
			// have skipped these blocks because this one had written them.
			_ = protected.deleteOwn(context.WithoutCancel(ctx), added)
		}
		if holdingGC {
			s.gcMu.RUnlock()
		}
	}()

	received := map[cid.Cid][]cid.Cid{} // every block of the CAR, with its links
	// Structural limits, checked as blocks arrive so that memory (the
	// bookkeeping per block) and disk (a file per block) stay bounded by
	// the upload's size, whatever its shape.
	maxBlocks := maxBlocksFor(maxBytes)
	shortLeaves := 0
	var batch []blocks.Block
	batchBytes := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.put(batch); err != nil {
			return err
		}
		batch, batchBytes = nil, 0
		return nil
	}
	var last cid.Cid
	var lastData []byte
	var heldRoot blocks.Block
	for {
		if err := ctx.Err(); err != nil {
			return cid.Undef, 0, err
		}
		blk, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return cid.Undef, 0, explain(fmt.Errorf("%w: after %d blocks: %v", ErrBadCAR, len(received), err))
		}
		c, data := blk.Cid(), blk.RawData()
		if err := verifyBlock(c, data); err != nil {
			return cid.Undef, 0, err
		}
		last, lastData = c, data
		if _, dup := received[c]; dup {
			continue
		}
		children, err := links(c, data)
		if err != nil {
			return cid.Undef, 0, err
		}
		if len(received) >= maxBlocks {
			return cid.Undef, 0, fmt.Errorf("%w: more than %d blocks for an upload of at most %d bytes", ErrDAGShape, maxBlocks, maxBytes)
		}
		if len(children) > MaxLinks {
			return cid.Undef, 0, fmt.Errorf("%w: block %s has %d links; at most %d", ErrDAGShape, c, len(children), MaxLinks)
		}
		if len(children) == 0 && len(data) < MinLeafSize {
			if shortLeaves++; shortLeaves > 1 {
				return cid.Undef, 0, fmt.Errorf("%w: a second leaf of %d bytes (%s); every leaf but the last must have at least %d bytes",
					ErrDAGShape, len(data), c, MinLeafSize)
			}
		}
		for _, child := range children {
			if err := dagfile.CheckCID(child); err != nil {
				return cid.Undef, 0, fmt.Errorf("block %s links to an unsupported CID: %w", c, err)
			}
		}
		received[c] = children
		protected.add(c) // kept by GC until the upload ends, whether new or already held
		if has, err := s.raw.Has(ctx, c); err != nil {
			return cid.Undef, 0, err
		} else if has {
			continue
		}
		if c == root {
			// A header root comes first (a gateway's CAR, a replica
			// fetch): it is written last, once the DAG under it is
			// complete, so that a root in the store always means a whole
			// DAG, even after a crash in the middle of the transfer.
			heldRoot = blk
			continue
		}
		batch = append(batch, blk)
		if batchBytes += len(data); batchBytes >= writeBatchBytes {
			if err := flush(); err != nil {
				return cid.Undef, 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return cid.Undef, 0, err
	}
	if added, err = w.close(); err != nil {
		return cid.Undef, 0, err
	}
	// From here to the recorded root GC must not run at all.
	s.gcMu.RLock()
	holdingGC = true
	if rootLast {
		if !last.Defined() {
			return cid.Undef, 0, fmt.Errorf("%w: the CAR holds no block, so it has no root", ErrBadCAR)
		}
		root = last
	}
	// Complete: every block under the root came in the CAR or, for a
	// replica, is in the vault (a sub-DAG already there is walked too, in
	// case a crash or a GC left it partial).
	reached := make(map[cid.Cid]struct{}, len(received))
	depth := map[cid.Cid]int{}
	err = walk(ctx, []cid.Cid{root}, func(c, parent cid.Cid) ([]cid.Cid, error) {
		reached[c] = struct{}{}
		if parent.Defined() {
			if depth[c] = depth[parent] + 1; depth[c] > MaxDepth {
				return nil, fmt.Errorf("%w: the DAG is deeper than %d levels", ErrDAGShape, MaxDepth)
			}
		}
		if children, ok := received[c]; ok {
			return children, nil
		}
		if !replica {
			if !parent.Defined() {
				return nil, fmt.Errorf("%w: root block %s is not in the upload", ErrIncompleteDAG, c)
			}
			return nil, fmt.Errorf("%w: block %s, linked from %s, is not in the upload; an upload must carry every block "+
				"of its DAG, even blocks this vault already holds", ErrIncompleteDAG, c, parent)
		}
		// A held block this replica completes its DAG with: protected
		// before it is read, so that an upload that wrote it and fails
		// leaves it (and if it went first, the read finds it missing).
		protected.add(c)
		data, err := s.Block(ctx, c)
		if errors.Is(err, ErrNotFound) {
			if !parent.Defined() {
				return nil, fmt.Errorf("%w: root block %s %s", ErrIncompleteDAG, c, missingFrom(s))
			}
			return nil, fmt.Errorf("%w: block %s, linked from %s, %s", ErrIncompleteDAG, c, parent, missingFrom(s))
		}
		if err != nil {
			return nil, err
		}
		return links(c, data)
	})
	if err != nil {
		return cid.Undef, 0, err
	}
	rootData := lastData
	switch {
	case heldRoot != nil:
		rootData = heldRoot.RawData()
	case root != last:
		if rootData, err = s.Block(ctx, root); err != nil {
			return cid.Undef, 0, err
		}
	}
	size, err := fileSize(root, rootData)
	if err != nil {
		return cid.Undef, 0, err
	}
	// Blocks that came along but that the root does not reach are not the
	// upload's: drop them, unless another upload staged them meanwhile.
	var unreached []cid.Cid
	for _, c := range added {
		if _, ok := reached[c]; !ok {
			unreached = append(unreached, c)
		}
	}
	if err := protected.deleteOwn(ctx, unreached); err != nil {
		return cid.Undef, 0, fmt.Errorf("vault: drop unreachable blocks: %w", err)
	}
	if heldRoot != nil {
		if err := s.raw.Put(ctx, heldRoot); err != nil {
			return cid.Undef, 0, fmt.Errorf("vault: store root %s: %w", root, err)
		}
		added = append(added, root)
	}
	if err := s.recordWritten(ctx, root); err != nil {
		return cid.Undef, 0, err
	}
	return root, size, nil
}

// maxBlocksFor bounds the blocks of an upload of at most maxBytes: its
// leaves are at least MinLeafSize but one, and its interior nodes fewer
// than its leaves.
func maxBlocksFor(maxBytes int64) int {
	if maxBytes <= 0 || maxBytes > 1<<50 {
		maxBytes = 1 << 50
	}
	return int(2*(maxBytes/MinLeafSize) + 64)
}

// ImportReplica stores the DAG of a CARv1 whose header names root (as an
// IPFS trustless gateway serves it: GET /ipfs/{root}?format=car), verifying
// every block against its CID as an upload is verified. The root block is
// written last, after the DAG under it is complete, so a transfer that
// fails or is killed midway never leaves the root without its DAG. It
// returns the file size.
func (s *Store) ImportReplica(ctx context.Context, r io.Reader, maxBytes int64, root cid.Cid) (int64, error) {
	_, size, err := s.importCARStream(ctx, r, maxBytes, false, root)
	return size, err
}

// blockWriter stores batches of blocks in a goroutine of its own, so that
// writing them to disk (and fsyncing) overlaps with receiving and verifying
// the next ones. At most two batches wait, which bounds memory.
type blockWriter struct {
	s      *Store
	ctx    context.Context
	queue  chan []blocks.Block
	done   chan struct{}
	failed atomic.Bool
	closed bool
	err    error     // the first error; read after close
	added  []cid.Cid // what was written; read after close
}

func newBlockWriter(ctx context.Context, s *Store) *blockWriter {
	w := &blockWriter{s: s, ctx: ctx, queue: make(chan []blocks.Block, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for batch := range w.queue {
			if w.err != nil {
				continue // drain, so put never blocks
			}
			s.gcMu.RLock() // GC never lists the blocks mid-write
			err := s.raw.PutMany(ctx, batch)
			s.gcMu.RUnlock()
			if err != nil {
				w.err = fmt.Errorf("vault: store blocks: %w", err)
				w.failed.Store(true)
				continue
			}
			for _, b := range batch {
				w.added = append(w.added, b.Cid())
			}
		}
	}()
	return w
}

// put queues a batch; once a write has failed it stops the writer and
// returns that failure.
func (w *blockWriter) put(batch []blocks.Block) error {
	if w.failed.Load() {
		_, err := w.close()
		return err
	}
	w.queue <- batch
	return nil
}

// close waits for the queued batches and reports what was written.
func (w *blockWriter) close() ([]cid.Cid, error) {
	w.closed = true
	close(w.queue)
	<-w.done
	return w.added, w.err
}

// protection is the set of blocks one upload or import stages: GC keeps
// them until it ends, and it may delete again only the blocks that it
// wrote and that no other upload staged meanwhile (deleteOwn).
type protection struct {
	s      *Store
	hashes []string
}

// inflightBlock is what the uploads in progress know of one block.
type inflightBlock struct {
	refs int // uploads in progress that staged it
	// shared: another upload staged it while this entry lived. That one
	// may have skipped writing it because it was held, and may have
	// finished and recorded a root over it, so the block is no longer
	// the writer's alone to delete.
	shared bool
}

func (s *Store) protect() *protection { return &protection{s: s} }

// add protects c; call it before the block is written, before the vault
// is asked whether it holds it, and before a held block is relied on.
// Call it once per block.
func (p *protection) add(c cid.Cid) {
	h := string(c.Hash())
	p.s.inflightMu.Lock()
	if p.s.inflight == nil {
		p.s.inflight = map[string]*inflightBlock{}
	}
	e := p.s.inflight[h]
	if e == nil {
		e = &inflightBlock{}
		p.s.inflight[h] = e
	}
	if e.refs++; e.refs > 1 {
		e.shared = true
	}
	p.s.inflightMu.Unlock()
	p.hashes = append(p.hashes, h)
}

// deleteOwn deletes the blocks of cs that this upload wrote (the caller
// says which) and that no other upload staged while this one was in
// progress; the others stay, for the uploads that count on them or, if
// none does, for GC. Each block is checked and deleted under the lock, so
// an upload that stages it afterwards finds it gone and writes it itself.
func (p *protection) deleteOwn(ctx context.Context, cs []cid.Cid) error {
	var first error
	for _, c := range cs {
		p.s.inflightMu.Lock()
		e := p.s.inflight[string(c.Hash())]
		if e != nil && e.refs == 1 && !e.shared {
			if err := p.s.raw.DeleteBlock(ctx, c); err != nil && first == nil {
				first = fmt.Errorf("vault: delete block %s: %w", c, err)
			}
		}
		p.s.inflightMu.Unlock()
	}
	return first
}

// release ends the protection: the root's record (or nothing, for a
// failed upload) decides from now on.
func (p *protection) release() {
	p.s.inflightMu.Lock()
	defer p.s.inflightMu.Unlock()
	for _, h := range p.hashes {
		e := p.s.inflight[h]
		if e == nil {
			continue
		}
		if e.refs--; e.refs <= 0 {
			delete(p.s.inflight, h)
		}
	}
	p.hashes = nil
}

// uploadQuery is the query string of a streamed upload.
func rootLastRequested(r *http.Request) bool { return r.URL.Query().Get("root") == "last" }
