package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Options shape an archive run.
type Options struct {
	// Dir receives the piece files and the manifest; it may hold earlier
	// runs' manifests, whose CIDs are not archived again.
	Dir string
	// PieceSize is the largest padded piece (DefaultPieceSize if 0); the
	// last piece of a run is the smallest power of two that holds it.
	PieceSize uint64
	// TargetCARBytes is how many CAR bytes fill a piece before the next
	// starts (DefaultTargetCARBytes if 0).
	TargetCARBytes int64

	ChainID  string
	Height   int64
	Hospital string

	// Progress, if set, hears of each piece as it is written.
	Progress func(Piece)
}

// Result is what a run did.
type Result struct {
	Manifest     *Manifest
	ManifestPath string // "" when there was nothing new to archive
	Skipped      int    // items an earlier manifest already holds
	Segments     int
	CARBytes     int64
}

// Run archives items into pieces under opt.Dir, fetching each item's CAR
// with fetch, and writes the manifest. Items an earlier manifest in the
// directory holds are skipped. The manifest is rewritten after every piece,
// so a run that fails midway keeps the pieces it finished; its error says
// which record stopped it.
func Run(ctx context.Context, items []Item, fetch Fetch, opt Options) (*Result, error) {
	if opt.PieceSize == 0 {
		opt.PieceSize = DefaultPieceSize
	}
	if opt.TargetCARBytes <= 0 {
		opt.TargetCARBytes = DefaultTargetCARBytes
	}
	if err := ValidPieceSize(opt.PieceSize); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, err
	}
	done, err := Archived(opt.Dir)
	if err != nil {
		return nil, err
	}
	spoolDir, err := os.MkdirTemp(opt.Dir, ".spool-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(spoolDir)

	now := time.Now().UTC()
	res := &Result{Manifest: &Manifest{
		Type: ManifestType, ChainID: opt.ChainID, Height: opt.Height, Hospital: opt.Hospital, Created: now,
	}}
	name := fmt.Sprintf("manifest-%d-%s", opt.Height, now.Format("20060102T150405Z"))

	var (
		batch      []segment
		batchBytes int64
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		p, err := writePiece(batch, opt.PieceSize, opt.Dir)
		if err != nil {
			return err
		}
		for _, s := range batch {
			_ = os.Remove(s.path)
		}
		batch, batchBytes = nil, 0
		res.Manifest.Pieces = append(res.Manifest.Pieces, p)
		if res.ManifestPath, err = res.Manifest.write(opt.Dir, name); err != nil {
			return fmt.Errorf("writing the manifest: %w", err)
		}
		if opt.Progress != nil {
			opt.Progress(p)
		}
		return nil
	}
	seen := map[string]bool{}
	for _, it := range items {
		key := it.CID.String()
		if done[key] || seen[key] {
			res.Skipped++
			continue
		}
		seen[key] = true
		seg, err := spool(ctx, fetch, it, spoolDir)
		if err != nil {
			return res, errors.Join(err, flush())
		}
		if dealSizeFor([]uint64{seg.size}, opt.PieceSize) == 0 {
			_ = os.Remove(seg.path)
			return res, errors.Join(fmt.Errorf("record %d version %d: its CAR of %d bytes needs a piece larger than %d bytes (raise --piece-size)",
				it.RecordID, it.Version, seg.carBytes, opt.PieceSize), flush())
		}
		if len(batch) > 0 && (batchBytes+seg.carBytes > opt.TargetCARBytes ||
			dealSizeFor(append(segmentSizes(batch), seg.size), opt.PieceSize) == 0) {
			if err := flush(); err != nil {
				return res, err
			}
		}
		batch = append(batch, seg)
		batchBytes += seg.carBytes
		res.Segments++
		res.CARBytes += seg.carBytes
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, nil
}

// PiecePath is where a manifest's piece file lies, beside the manifest.
func PiecePath(manifestPath string, p Piece) string {
	return filepath.Join(filepath.Dir(manifestPath), p.File)
}
