package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	commcid "github.com/filecoin-project/go-fil-commcid"
	commp "github.com/filecoin-project/go-fil-commp-hashhash"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"

	"github.com/medchain/medchain/vault"
)

// Item is one record version to archive: its CID is the payload the chain
// lists for it.
type Item struct {
	RecordID uint64
	Version  uint64
	CID      cid.Cid
}

// Fetch returns the CAR of c's DAG (a vault's /ipfs/{c}?format=car); the
// archive verifies it.
type Fetch func(ctx context.Context, c cid.Cid) (io.ReadCloser, error)

// segment is one record version's CAR spooled to a file, with its piece
// commitment.
type segment struct {
	item     Item
	path     string // the spool file
	carBytes int64
	commP    cid.Cid // fil-commitment-unsealed of the CAR, zero-padded to size
	size     uint64  // padded size: the power of two the CAR fills after Fr32
}

// spool fetches item's CAR into a file in dir, verifying every block
// against its CID and the DAG complete (vault.VerifyCAR), and computes the
// CAR's CommP in the same read.
func spool(ctx context.Context, fetch Fetch, item Item, dir string) (seg segment, err error) {
	body, err := fetch(ctx, item.CID)
	if err != nil {
		return segment{}, fmt.Errorf("fetching record %d version %d (%s): %w", item.RecordID, item.Version, item.CID, err)
	}
	defer body.Close()
	f, err := os.CreateTemp(dir, "segment-*.car")
	if err != nil {
		return segment{}, err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	calc := &commp.Calc{}
	var n countWriter
	tee := io.TeeReader(body, io.MultiWriter(f, calc, &n))
	if _, err := vault.VerifyCAR(ctx, tee, item.CID, dir); err != nil {
		abandon(calc)
		return segment{}, fmt.Errorf("record %d version %d (%s) does not verify: %w", item.RecordID, item.Version, item.CID, err)
	}
	// VerifyCAR reads sections to the end; anything after them is not the
	// DAG and has no place in an archive.
	if extra, err := io.Copy(io.Discard, tee); err != nil || extra > 0 {
		abandon(calc)
		if err == nil {
			err = fmt.Errorf("%d bytes after the last block", extra)
		}
		return segment{}, fmt.Errorf("record %d version %d (%s): %w", item.RecordID, item.Version, item.CID, err)
	}
	// The header is the one thing VerifyCAR does not hold the sender to:
	// a segment names its record version's CID as its only root.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		abandon(calc)
		return segment{}, err
	}
	br, err := car.NewBlockReader(f)
	if err != nil || len(br.Roots) != 1 || !br.Roots[0].Equals(item.CID) {
		abandon(calc)
		return segment{}, fmt.Errorf("record %d version %d: the CAR's header must name %s as its only root", item.RecordID, item.Version, item.CID)
	}
	return finishSegment(item, f.Name(), int64(n), calc)
}

// finishSegment turns a commP calculator that has read a whole CAR into a
// segment.
func finishSegment(item Item, path string, carBytes int64, calc *commp.Calc) (segment, error) {
	if uint64(carBytes) < commp.MinPiecePayload {
		abandon(calc)
		return segment{}, fmt.Errorf("record %d version %d: a CAR of %d bytes is too small for a piece (at least %d)",
			item.RecordID, item.Version, carBytes, commp.MinPiecePayload)
	}
	raw, size, err := calc.Digest()
	if err != nil {
		return segment{}, fmt.Errorf("commP of record %d version %d: %w", item.RecordID, item.Version, err)
	}
	c, err := commcid.DataCommitmentV1ToCID(raw)
	if err != nil {
		return segment{}, err
	}
	return segment{item: item, path: path, carBytes: carBytes, commP: c, size: size}, nil
}

// CommP computes the piece CID and padded piece size of r's bytes, as a
// storage provider does for a deal's payload (zero-padded to the next power
// of two after Fr32): `boostx commp` and Singularity compute the same.
func CommP(r io.Reader) (cid.Cid, uint64, error) {
	calc := &commp.Calc{}
	n, err := io.Copy(calc, r)
	if err != nil {
		abandon(calc)
		return cid.Undef, 0, err
	}
	if uint64(n) < commp.MinPiecePayload {
		abandon(calc)
		return cid.Undef, 0, fmt.Errorf("%d bytes are too few for a piece (at least %d)", n, commp.MinPiecePayload)
	}
	raw, size, err := calc.Digest()
	if err != nil {
		return cid.Undef, 0, err
	}
	c, err := commcid.DataCommitmentV1ToCID(raw)
	return c, size, err
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// errNotPiece is wrapped by every error about a piece CID that is not one.
var errNotPiece = errors.New("not a piece CID")

// ParsePieceCID parses a piece CID (fil-commitment-unsealed,
// sha2-256-trunc254-padded, "baga6ea4sea…").
func ParsePieceCID(s string) (cid.Cid, error) {
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("%w: %q: %v", errNotPiece, s, err)
	}
	if _, err := commcid.CIDToDataCommitmentV1(c); err != nil {
		return cid.Undef, fmt.Errorf("%w: %s: %v", errNotPiece, s, err)
	}
	return c, nil
}

// abandon stops a commP calculator whose result is not wanted. The
// calculator runs goroutines once written to; its Reset panics when the
// input is still too short to hash, so the input is made long enough and
// digested instead.
func abandon(c *commp.Calc) {
	_, _ = c.Write(make([]byte, commp.MinPiecePayload))
	_, _, _ = c.Digest()
}
