package dagfile

import (
	"bufio"
	"bytes"
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	unixfspb "github.com/ipfs/boxo/ipld/unixfs/pb"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/multiformats/go-multihash"
)

// Errors that callers tell apart with errors.Is. Every error ReadOrdered
// returns because of what the CAR holds wraps one of them, with the block
// and the position concerned.
var (
	// ErrTooLarge: the CAR is longer than the limit the caller set.
	ErrTooLarge = errors.New("CAR too large")
	// ErrBadCAR: the CAR is malformed, truncated, out of order, or holds
	// blocks that are not the file's.
	ErrBadCAR = errors.New("dagfile: malformed CAR")
	// ErrBlockMismatch: a block's bytes do not hash to its CID.
	ErrBlockMismatch = errors.New("dagfile: block does not match its CID")
	// ErrUnsupportedCID: a CID is not CIDv1 with sha2-256 and codec raw or
	// dag-pb, the only kind Build produces and a vault accepts.
	ErrUnsupportedCID = errors.New("unsupported CID")
	// ErrNotFile: a dag-pb block is not a UnixFS file node (a directory,
	// a symlink, a HAMT shard...), or not UnixFS at all.
	ErrNotFile = errors.New("dagfile: not a UnixFS file")
)

const (
	// maxCARHeader bounds the CAR header: one root is about 60 bytes.
	maxCARHeader = 64 << 10
	// replayBudget bounds the blocks ReadOrdered keeps to replay a block
	// that occurs more than once in the DAG (identical chunks, such as
	// runs of zeros), which a CAR with dups=n sends only the first time.
	replayBudget = 4 << 20
)

// CheckCID accepts exactly the CIDs that Build produces and a vault
// accepts: CIDv1, a full 32-byte sha2-256 digest, codec raw (leaves) or
// dag-pb (UnixFS nodes).
func CheckCID(c cid.Cid) error {
	if !c.Defined() {
		return fmt.Errorf("%w: empty CID", ErrUnsupportedCID)
	}
	if c.Version() != 1 {
		return fmt.Errorf("%w: %s is CIDv%d; only CIDv1 is accepted", ErrUnsupportedCID, c, c.Version())
	}
	p := c.Prefix()
	if p.MhType != multihash.SHA2_256 {
		name := multihash.Codes[p.MhType]
		if name == "" {
			name = fmt.Sprintf("0x%x", p.MhType)
		}
		return fmt.Errorf("%w: %s uses hash %s; only sha2-256 is accepted", ErrUnsupportedCID, c, name)
	}
	if p.MhLength != 32 {
		return fmt.Errorf("%w: %s has a truncated sha2-256 digest of %d bytes", ErrUnsupportedCID, c, p.MhLength)
	}
	if p.Codec != cid.Raw && p.Codec != cid.DagProtobuf {
		return fmt.Errorf("%w: %s has codec 0x%x; only raw and dag-pb are accepted", ErrUnsupportedCID, c, p.Codec)
	}
	return nil
}

// ReadOrdered reads a CARv1 carrying the UnixFS file whose root is root and
// writes the file's bytes to dst as it goes, returning how many it wrote.
//
// The blocks must come in depth-first pre-order (a block before its
// children, children in link order), each once: what a vault's
// Store.WriteCAR and a trustless gateway's `order=dfs; dups=n` send. A block
// that occurs again in the DAG may also be sent again (dups=y). The
// header's roots are ignored: root is what counts. Each block must be the
// one expected next, hash to its CID (CheckCID's kinds only) and be at most
// MaxBlockSize; a dag-pb block must be a UnixFS file node, and the bytes
// written must add up to the size the root declares. Nothing may follow
// the file's last block, and with maxBytes > 0 the CAR may be at most
// maxBytes long.
//
// Memory stays at about one block plus the links still to visit, a few
// dozen bytes per block read (a 1 MiB leaf), and up to 4 MiB of recent
// blocks kept to replay the ones a dups=n CAR sends only once (a DAG
// repeats a block only for identical chunks, such as runs of zeros; a file
// whose repeats lie further apart needs a dups=y CAR).
//
// A failure is an error wrapping ErrTooLarge, ErrBadCAR, ErrBlockMismatch,
// ErrUnsupportedCID or ErrNotFile, an error reading r, or one writing to
// dst. The bytes written before a failure came from verified blocks, but
// may be a prefix of the file only: a caller must not use them unless
// ReadOrdered returns nil.
func ReadOrdered(ctx context.Context, r io.Reader, root cid.Cid, maxBytes int64, dst io.Writer) (int64, error) {
	if err := CheckCID(root); err != nil {
		return 0, fmt.Errorf("root: %w", err)
	}
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64
	}
	o := &orderedReader{
		ctx:   ctx,
		lr:    &LimitedReader{R: r, Left: maxBytes},
		limit: maxBytes,
		dst:   dst,
		root:  root,
		cache: newReplayCache(replayBudget),
		seen:  map[uint64]struct{}{},
	}
	// The CAR parser reads its varints a byte at a time.
	buf := bufio.NewReaderSize(o.lr, 64<<10)
	// A CARv2 would make the parser skip ahead to its payload before we
	// could refuse it.
	if head, _ := buf.Peek(len(car.Pragma)); bytes.Equal(head, car.Pragma) {
		return 0, fmt.Errorf("%w: a CARv2; a CARv1 is expected", ErrBadCAR)
	}
	br, err := car.NewBlockReader(buf, car.WithTrustedCAR(true), car.MaxAllowedHeaderSize(maxCARHeader))
	if err != nil {
		return 0, o.explain(fmt.Errorf("%w: header: %v", ErrBadCAR, err))
	}
	if br.Version != 1 {
		return 0, fmt.Errorf("%w: CARv%d; a CARv1 is expected", ErrBadCAR, br.Version)
	}
	o.br, o.buf = br, buf
	err = o.run()
	return o.written, err
}

// orderedReader is the state of one ReadOrdered.
type orderedReader struct {
	ctx   context.Context
	lr    *LimitedReader
	limit int64
	br    *car.BlockReader
	buf   *bufio.Reader // what br reads
	dst   io.Writer
	root  cid.Cid

	stack   []cid.Cid // blocks still to come, the next one last
	next    section   // the section read ahead, if any
	blocks  int       // sections read
	written int64

	declared int64 // the file size the root declares, or -1
	cache    *replayCache
	// seen holds a 64-bit prefix of the digest of every block read, to
	// tell a repeated block no longer held from a block that is missing.
	seen map[uint64]struct{}
}

// section is the head of a CAR section read ahead: its CID and the reader
// of its data.
type section struct {
	ok     bool // read, not yet consumed
	eof    bool // the CAR ended instead
	c      cid.Cid
	length uint64
	data   io.Reader
}

func (o *orderedReader) run() error {
	o.declared = -1
	o.stack = []cid.Cid{o.root}
	for len(o.stack) > 0 {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		want := o.stack[len(o.stack)-1]
		o.stack = o.stack[:len(o.stack)-1]
		next, err := o.peek()
		if err != nil {
			return err
		}
		if !next.eof && next.c == want {
			data, err := o.take()
			if err != nil {
				return err
			}
			if err := o.visit(want, data); err != nil {
				return err
			}
			continue
		}
		// Not sent here: a dups=n CAR sends a repeated block only once.
		if b, ok := o.cache.get(want); ok {
			if err := o.replay(b); err != nil {
				return err
			}
			continue
		}
		if _, again := o.seen[digestPrefix(want)]; again {
			return fmt.Errorf("%w: block %s occurs again in the DAG of %s, but the CAR sent it only once (dups=n) "+
				"and it is no longer held to replay (at most %d MiB of recent blocks are); fetch the CAR with dups=y",
				ErrBadCAR, want, o.root, replayBudget>>20)
		}
		if next.eof {
			return fmt.Errorf("%w: truncated: the CAR ends after %d blocks, but block %s and %d more of the file %s are missing",
				ErrBadCAR, o.blocks, want, len(o.stack), o.root)
		}
		if o.blocks == 0 {
			return fmt.Errorf("%w: the first block is %s, but the root %s was expected (a CAR of another file?)",
				ErrBadCAR, next.c, want)
		}
		return fmt.Errorf("%w: block %d of the CAR is %s, but %s was expected next; "+
			"the blocks of %s must come in depth-first order (order=dfs), each block of the DAG once or at each occurrence",
			ErrBadCAR, o.blocks+1, next.c, want, o.root)
	}
	next, err := o.peek()
	if err != nil {
		return err
	}
	if !next.eof {
		return fmt.Errorf("%w: an extra block %s follows the last block of the file %s (block %d of the CAR)",
			ErrBadCAR, next.c, o.root, o.blocks+1)
	}
	if o.declared >= 0 && o.written != o.declared {
		return fmt.Errorf("%w: the root %s declares a file of %d bytes, but its leaves hold %d",
			ErrBadCAR, o.root, o.declared, o.written)
	}
	return nil
}

// peek reads the head of the next section unless it is read already.
func (o *orderedReader) peek() (section, error) {
	if o.next.ok {
		return o.next, nil
	}
	// The CAR ends cleanly only before a section: the parser reports an
	// end within a section's CID as io.EOF too.
	if _, err := o.buf.Peek(1); err == io.EOF {
		o.next = section{ok: true, eof: true}
		return o.next, nil
	} else if err != nil {
		return section{}, o.explain(fmt.Errorf("%w: section %d: %v", ErrBadCAR, o.blocks+1, err))
	}
	c, data, length, err := o.br.NextReader()
	switch {
	case err != nil:
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: truncated in the head of section %d", ErrBadCAR, o.blocks+1)
		} else {
			err = fmt.Errorf("%w: section %d: %v", ErrBadCAR, o.blocks+1, err)
		}
		return section{}, o.explain(err)
	default:
		o.next = section{ok: true, c: c, length: length, data: data}
	}
	return o.next, nil
}

// take reads the data of the section peeked at and checks it against its
// CID.
func (o *orderedReader) take() ([]byte, error) {
	s := o.next
	o.next = section{}
	o.blocks++
	if s.length > uint64(MaxBlockSize) {
		return nil, fmt.Errorf("%w: block %s is %d bytes; a block may be at most %d", ErrBadCAR, s.c, s.length, MaxBlockSize)
	}
	data := make([]byte, s.length)
	if n, err := io.ReadFull(s.data, data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: truncated: the CAR ends within block %s, after %d of its %d bytes", ErrBadCAR, s.c, n, s.length)
		}
		return nil, o.explain(err)
	}
	sum, err := s.c.Prefix().Sum(data)
	if err != nil {
		return nil, fmt.Errorf("%w: hash block %s: %v", ErrBlockMismatch, s.c, err)
	}
	if !sum.Equals(s.c) {
		return nil, fmt.Errorf("%w: block %s (block %d of the CAR) hashes to %s", ErrBlockMismatch, s.c, o.blocks, sum)
	}
	return data, nil
}

// visit takes a block read from the CAR: it writes a leaf's bytes, or
// schedules a node's children.
func (o *orderedReader) visit(c cid.Cid, data []byte) error {
	o.seen[digestPrefix(c)] = struct{}{}
	b := &cachedBlock{c: c}
	if c.Prefix().Codec == cid.Raw {
		b.data = data
		if o.declared < 0 && c == o.root {
			o.declared = int64(len(data))
		}
	} else {
		pn, err := merkledag.DecodeProtobuf(data)
		if err != nil {
			return fmt.Errorf("%w: block %s is not valid dag-pb: %v", ErrNotFile, c, err)
		}
		fs, err := unixfs.FSNodeFromBytes(pn.Data())
		if err != nil {
			return fmt.Errorf("%w: block %s is not a UnixFS node: %v", ErrNotFile, c, err)
		}
		switch fs.Type() {
		case unixfspb.Data_File, unixfspb.Data_Raw:
		default:
			return fmt.Errorf("%w: block %s is a UnixFS %s, not a file", ErrNotFile, c, fs.Type())
		}
		if o.declared < 0 && c == o.root {
			o.declared = int64(min(fs.FileSize(), math.MaxInt64))
		}
		b.data = fs.Data() // bytes a node may hold before its children's
		for _, l := range pn.Links() {
			if err := CheckCID(l.Cid); err != nil {
				return fmt.Errorf("block %s links to an unsupported CID: %w", c, err)
			}
			b.links = append(b.links, l.Cid)
		}
	}
	o.cache.put(b)
	return o.replay(b)
}

// replay writes a block's bytes and schedules its children.
func (o *orderedReader) replay(b *cachedBlock) error {
	if len(b.data) > 0 {
		if o.declared >= 0 && o.written+int64(len(b.data)) > o.declared {
			return fmt.Errorf("%w: the root %s declares a file of %d bytes, but its leaves hold more",
				ErrBadCAR, o.root, o.declared)
		}
		n, err := o.dst.Write(b.data)
		o.written += int64(n)
		if err != nil {
			return fmt.Errorf("dagfile: write the file's bytes: %w", err)
		}
	}
	for i := len(b.links) - 1; i >= 0; i-- {
		o.stack = append(o.stack, b.links[i])
	}
	return nil
}

// digestPrefix is the first 8 bytes of c's digest (CheckCID made sure it
// has 32).
func digestPrefix(c cid.Cid) uint64 {
	h := c.Hash()
	return binary.BigEndian.Uint64(h[len(h)-32:])
}

// explain turns what the CAR parser made of a failed read into the real
// cause: the limit, the source, or the context.
func (o *orderedReader) explain(err error) error {
	switch {
	case o.lr.Exceeded:
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, o.limit)
	case o.lr.SrcErr != nil:
		return fmt.Errorf("dagfile: reading the CAR: %w", o.lr.SrcErr)
	case o.ctx.Err() != nil:
		return o.ctx.Err()
	}
	return err
}

// LimitedReader reads at most Left bytes of R: one more fails with
// ErrTooLarge and sets Exceeded. It remembers the first error of R itself
// (not io.EOF) in SrcErr, so that a reader that broke is not mistaken for
// a malformed CAR. The vault's upload reader is one too.
type LimitedReader struct {
	R        io.Reader
	Left     int64
	Exceeded bool
	SrcErr   error
}

func (l *LimitedReader) Read(p []byte) (int, error) {
	if l.Exceeded {
		return 0, ErrTooLarge
	}
	if l.Left <= 0 {
		// At the limit: one more byte means the input is too large.
		var probe [1]byte
		n, err := l.R.Read(probe[:])
		if n > 0 {
			l.Exceeded = true
			return 0, ErrTooLarge
		}
		return 0, l.note(err)
	}
	if int64(len(p)) > l.Left {
		p = p[:l.Left]
	}
	n, err := l.R.Read(p)
	l.Left -= int64(n)
	return n, l.note(err)
}

func (l *LimitedReader) note(err error) error {
	if err != nil && !errors.Is(err, io.EOF) && l.SrcErr == nil {
		l.SrcErr = err
	}
	return err
}

// cachedBlock is what replaying a block takes: a leaf's bytes, or a node's
// inline bytes and links.
type cachedBlock struct {
	c     cid.Cid
	data  []byte
	links []cid.Cid
}

func (b *cachedBlock) cost() int { return len(b.data) + 64*len(b.links) + 64 }

// replayCache keeps the most recently used blocks up to a budget.
type replayCache struct {
	budget, used int
	order        *list.List // of *cachedBlock, most recent first
	byCID        map[cid.Cid]*list.Element
}

func newReplayCache(budget int) *replayCache {
	return &replayCache{budget: budget, order: list.New(), byCID: map[cid.Cid]*list.Element{}}
}

func (rc *replayCache) get(c cid.Cid) (*cachedBlock, bool) {
	e, ok := rc.byCID[c]
	if !ok {
		return nil, false
	}
	rc.order.MoveToFront(e)
	return e.Value.(*cachedBlock), true
}

func (rc *replayCache) put(b *cachedBlock) {
	if _, ok := rc.byCID[b.c]; ok || b.cost() > rc.budget {
		return
	}
	for rc.used+b.cost() > rc.budget {
		e := rc.order.Back()
		old := e.Value.(*cachedBlock)
		rc.order.Remove(e)
		delete(rc.byCID, old.c)
		rc.used -= old.cost()
	}
	rc.byCID[b.c] = rc.order.PushFront(b)
	rc.used += b.cost()
}
