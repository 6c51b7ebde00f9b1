package archive

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sort"

	"github.com/filecoin-project/go-data-segment/datasegment"
	"github.com/filecoin-project/go-state-types/abi"
)

const (
	// DefaultPieceSize is the padded size of a full piece: 32 GiB, the
	// sector size most storage providers seal.
	DefaultPieceSize = 32 << 30
	// DefaultTargetCARBytes is how many CAR bytes a piece is filled with
	// before the next one starts: 18 GiB for a 32 GiB piece, the figure data
	// preparation tools use, which leaves room for the Fr32 expansion
	// (127 → 128), the power-of-two alignment of segments and the index.
	DefaultTargetCARBytes = 18 << 30
	// MinPieceSize is the smallest piece written: the data-segment index
	// alone takes 256 bytes.
	MinPieceSize = 256
	// MaxPieceSize is Filecoin's largest piece (a 64 GiB sector).
	MaxPieceSize = 64 << 30
)

// ValidPieceSize checks a padded piece size given on the command line.
func ValidPieceSize(size uint64) error {
	if size < MinPieceSize || size > MaxPieceSize || bits.OnesCount64(size) != 1 {
		return fmt.Errorf("piece size %d is not a power of two from %d bytes to 64 GiB", size, MinPieceSize)
	}
	return nil
}

// dealSizeFor is the smallest padded piece size, at most max, that holds
// segments of these padded sizes (largest first, so that each lands
// aligned right after the one before) and the data-segment index; 0 if
// none does.
func dealSizeFor(sizes []uint64, max uint64) uint64 {
	var total uint64
	for _, s := range sizes {
		total += s
	}
	d := uint64(MinPieceSize)
	for d < total {
		d <<= 1
	}
	for ; d <= max; d <<= 1 {
		entries := uint64(datasegment.MaxIndexEntriesInDeal(abi.PaddedPieceSize(d)))
		if uint64(len(sizes)) <= entries && total+entries*datasegment.EntrySize <= d {
			return d
		}
	}
	return 0
}

// sortForPlacement orders segments largest first (then by record and
// version, so the same segments always make the same piece).
func sortForPlacement(segs []segment) {
	sort.SliceStable(segs, func(i, j int) bool {
		a, b := segs[i], segs[j]
		if a.size != b.size {
			return a.size > b.size
		}
		if a.item.RecordID != b.item.RecordID {
			return a.item.RecordID < b.item.RecordID
		}
		return a.item.Version < b.item.Version
	})
}

func segmentSizes(segs []segment) []uint64 {
	out := make([]uint64, len(segs))
	for i, s := range segs {
		out[i] = s.size
	}
	return out
}

// writePiece lays segs out as one aggregate in a piece file in dir, named
// by its piece CID, and describes it. The file is written under a
// temporary name and renamed when complete.
func writePiece(segs []segment, max uint64, dir string) (Piece, error) {
	sortForPlacement(segs)
	size := dealSizeFor(segmentSizes(segs), max)
	if size == 0 {
		return Piece{}, fmt.Errorf("%d segments do not fit a piece of %d bytes", len(segs), max)
	}
	subdeals := make([]abi.PieceInfo, len(segs))
	for i, s := range segs {
		subdeals[i] = abi.PieceInfo{Size: abi.PaddedPieceSize(s.size), PieceCID: s.commP}
	}
	agg, err := datasegment.NewAggregate(abi.PaddedPieceSize(size), subdeals)
	if err != nil {
		return Piece{}, fmt.Errorf("aggregating %d segments: %w", len(segs), err)
	}
	pieceCID, err := agg.PieceCID()
	if err != nil {
		return Piece{}, err
	}
	name := pieceCID.String() + ".car"
	tmp, err := os.CreateTemp(dir, ".piece-*")
	if err != nil {
		return Piece{}, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	p := Piece{
		PieceCID:   pieceCID.String(),
		PieceSize:  size,
		CARSize:    int64(abi.PaddedPieceSize(size).Unpadded()),
		PayloadCID: segs[0].item.CID.String(),
		File:       name,
	}
	for i, e := range agg.Index.Entries {
		s := segs[i]
		if err := copyAt(tmp, int64(e.UnpaddedOffest()), s.path, s.carBytes); err != nil {
			return Piece{}, fmt.Errorf("record %d version %d: %w", s.item.RecordID, s.item.Version, err)
		}
		p.Segments = append(p.Segments, Segment{
			RecordID:   s.item.RecordID,
			Version:    s.item.Version,
			CID:        s.item.CID.String(),
			SegmentCID: s.commP.String(),
			Offset:     e.Offset,
			Size:       e.Size,
			CARBytes:   s.carBytes,
		})
	}
	index, err := agg.IndexReader()
	if err != nil {
		return Piece{}, err
	}
	start, err := agg.IndexStartPosition()
	if err != nil {
		return Piece{}, err
	}
	if _, err := tmp.Seek(int64(start), io.SeekStart); err != nil {
		return Piece{}, err
	}
	if _, err := io.Copy(tmp, index); err != nil {
		return Piece{}, fmt.Errorf("writing the data-segment index: %w", err)
	}
	// The gaps are holes; Truncate fixes the length whatever was written
	// last.
	if err := tmp.Truncate(p.CARSize); err != nil {
		return Piece{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Piece{}, err
	}
	if err := tmp.Close(); err != nil {
		return Piece{}, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return Piece{}, err
	}
	ok = true
	return p, nil
}

// copyAt copies the n bytes of the file at path into f at offset.
func copyAt(f *os.File, offset int64, path string, n int64) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	copied, err := io.Copy(f, src)
	if err != nil {
		return err
	}
	if copied != n {
		return fmt.Errorf("spool file holds %d bytes, not %d", copied, n)
	}
	return nil
}
