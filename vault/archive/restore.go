package archive

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/filecoin-project/go-data-segment/datasegment"
	commcid "github.com/filecoin-project/go-fil-commcid"
	commp "github.com/filecoin-project/go-fil-commp-hashhash"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
)

// Liveness says whether the chain still lists c as a live payload, and of
// which record version.
type Liveness func(ctx context.Context, c cid.Cid) (recordID, version uint64, live bool, err error)

// RestoreReport is what a restore did.
type RestoreReport struct {
	Pieces   int // pieces whose CommP verified
	Segments int // segments whose CommP verified
	Restored []Item
	// NotLive are segments the chain no longer lists as live (a redacted
	// record, a superseded version or key epoch): not imported, since
	// nobody may read them and their keys are gone.
	NotLive []Item
	// Missing are the wanted items no piece held and the store lacks.
	Missing []Item
	Bytes   int64 // CAR bytes imported
}

// Restore imports the pieces of m found in files into store. Every piece
// is checked whole against its manifest CommP and each segment against the
// CommP its data-segment index entry names, every block against its CID;
// segments the chain no longer lists as live (live) are skipped, and a
// piece's live versions are pinned only once its CommP has verified. want
// lists what the store should hold (the live CIDs placed on its hospital);
// those neither restored nor already held are reported Missing.
func Restore(ctx context.Context, store *vault.Store, m *Manifest, files []string, live Liveness, want []Item) (*RestoreReport, error) {
	byFile := map[string]Piece{}
	for _, p := range m.Pieces {
		byFile[p.File] = p
	}
	rep := &RestoreReport{}
	for _, path := range files {
		p, ok := byFile[filepath.Base(path)]
		if !ok {
			return rep, fmt.Errorf("%s is no piece of the manifest", path)
		}
		if err := restorePiece(ctx, store, p, path, live, rep); err != nil {
			return rep, fmt.Errorf("piece %s (%s): %w", p.PieceCID, path, err)
		}
		rep.Pieces++
	}
	for _, it := range want {
		has, err := store.HasRoot(ctx, it.CID)
		if err != nil {
			return rep, err
		}
		if !has {
			rep.Missing = append(rep.Missing, it)
		}
	}
	return rep, nil
}

// ErrPieceMismatch is wrapped by every error about a piece whose bytes do
// not match its manifest or its own index.
var ErrPieceMismatch = errors.New("piece does not match")

func restorePiece(ctx context.Context, store *vault.Store, p Piece, path string, live Liveness, rep *RestoreReport) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := abi.PaddedPieceSize(p.PieceSize)
	if want := int64(size.Unpadded()); st.Size() != want {
		return fmt.Errorf("%w: the file has %d bytes, a piece of %d padded bytes has %d", ErrPieceMismatch, st.Size(), p.PieceSize, want)
	}
	entries, err := readIndex(f, size)
	if err != nil {
		return err
	}
	// Every segment of the manifest must be one the index names: the
	// index, not the manifest, is what the piece's CommP covers.
	type planned struct {
		seg   Segment
		entry datasegment.SegmentDesc
	}
	var plan []planned
	for _, s := range p.Segments {
		found := false
		for _, e := range entries {
			if e.Offset == s.Offset && e.Size == s.Size && e.PieceCID().String() == s.SegmentCID {
				plan = append(plan, planned{s, e})
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: record %d version %d is not in the piece's data-segment index", ErrPieceMismatch, s.RecordID, s.Version)
		}
		if s.CARBytes <= 0 || uint64(s.CARBytes) > plan[len(plan)-1].entry.UnpaddedLength() {
			return fmt.Errorf("%w: record %d version %d claims %d CAR bytes in a segment of %d", ErrPieceMismatch, s.RecordID, s.Version, s.CARBytes, s.Size)
		}
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].entry.Offset < plan[j].entry.Offset })

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	whole := &commp.Calc{}
	defer func() { abandon(whole) }()
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), whole)
	var pos int64
	var toPin []Item
	for _, pl := range plan {
		start := int64(pl.entry.UnpaddedOffest())
		if start < pos {
			return fmt.Errorf("%w: segments overlap at offset %d", ErrPieceMismatch, pl.entry.Offset)
		}
		if _, err := io.CopyN(io.Discard, r, start-pos); err != nil {
			return err
		}
		region := int64(pl.entry.UnpaddedLength())
		segCalc := &commp.Calc{}
		rr := io.TeeReader(io.LimitReader(r, region), segCalc)
		it, err := segmentItem(pl.seg)
		if err != nil {
			abandon(segCalc)
			return err
		}
		rid, ver, isLive, err := live(ctx, it.CID)
		if err != nil {
			abandon(segCalc)
			return fmt.Errorf("asking the chain about %s: %w", it.CID, err)
		}
		if isLive {
			it.RecordID, it.Version = rid, ver
			if _, err := store.ImportReplica(ctx, io.LimitReader(rr, pl.seg.CARBytes), pl.seg.CARBytes, it.CID); err != nil {
				abandon(segCalc)
				return fmt.Errorf("record %d version %d: %w", it.RecordID, it.Version, err)
			}
			toPin = append(toPin, it)
			rep.Bytes += pl.seg.CARBytes
		} else {
			rep.NotLive = append(rep.NotLive, it)
		}
		if _, err := io.Copy(io.Discard, rr); err != nil {
			abandon(segCalc)
			return err
		}
		raw, _, err := segCalc.Digest()
		if err != nil {
			return err
		}
		if want := pl.entry.CommDs; !bytes.Equal(raw, want[:]) {
			return fmt.Errorf("%w: record %d version %d: the segment's bytes do not hash to its index entry", ErrPieceMismatch, pl.seg.RecordID, pl.seg.Version)
		}
		rep.Segments++
		pos = start + region
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	raw, padded, err := whole.Digest()
	if err != nil {
		return err
	}
	got, err := commcid.DataCommitmentV1ToCID(raw)
	if err != nil {
		return err
	}
	if got.String() != p.PieceCID || padded != p.PieceSize {
		return fmt.Errorf("%w: its CommP is %s (%d bytes), the manifest says %s (%d bytes)", ErrPieceMismatch, got, padded, p.PieceCID, p.PieceSize)
	}
	for _, it := range toPin {
		if err := store.PinRecord(ctx, it.CID, it.RecordID, it.Version); err != nil {
			return fmt.Errorf("pinning record %d version %d: %w", it.RecordID, it.Version, err)
		}
		rep.Restored = append(rep.Restored, it)
	}
	return nil
}

// readIndex reads and validates the data-segment index at the end of a
// piece.
func readIndex(f *os.File, size abi.PaddedPieceSize) ([]datasegment.SegmentDesc, error) {
	start := int64(datasegment.DataSegmentIndexStartOffset(size))
	idx, err := datasegment.ParseDataSegmentIndex(io.NewSectionReader(f, start, int64(size.Unpadded())-start))
	if err != nil {
		return nil, fmt.Errorf("%w: reading its data-segment index: %v", ErrPieceMismatch, err)
	}
	entries, err := idx.ValidEntries()
	if err != nil {
		return nil, fmt.Errorf("%w: its data-segment index: %v", ErrPieceMismatch, err)
	}
	return entries, nil
}

func segmentItem(s Segment) (Item, error) {
	c, err := cid.Decode(s.CID)
	if err != nil {
		return Item{}, fmt.Errorf("record %d version %d: CID %q: %w", s.RecordID, s.Version, s.CID, err)
	}
	return Item{RecordID: s.RecordID, Version: s.Version, CID: c}, nil
}
