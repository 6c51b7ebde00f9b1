package archive

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ManifestType names the manifest format.
const ManifestType = "medchain-archive/v1"

// Manifest describes the pieces one archive run wrote.
type Manifest struct {
	Type     string    `json:"type"`
	ChainID  string    `json:"chain_id"`
	Height   int64     `json:"height"` // the chain height whose live CIDs were archived
	Hospital string    `json:"hospital,omitempty"`
	Created  time.Time `json:"created"`
	Pieces   []Piece   `json:"pieces"`
}

// Piece is one piece file: what `boost offline-deal` and Singularity's
// `prep add-piece` take, and the record versions it holds.
type Piece struct {
	PieceCID  string `json:"piece_cid"`  // CommP, fil-commitment-unsealed ("baga6ea4sea…")
	PieceSize uint64 `json:"piece_size"` // padded piece size, a power of two
	// CARSize is the size of the file, the piece payload before Fr32
	// padding (Boost's --car-size).
	CARSize int64 `json:"car_size"`
	// PayloadCID is the root of the piece's largest segment (Boost's
	// --payload-cid); every segment's root is listed in Segments.
	PayloadCID string    `json:"payload_cid"`
	File       string    `json:"file"` // the file name, in the manifest's directory
	Segments   []Segment `json:"segments"`
}

// Segment is one record version inside a piece, in index order.
type Segment struct {
	RecordID   uint64 `json:"record_id"`
	Version    uint64 `json:"version"`
	CID        string `json:"cid"`         // the version's payload CID, the segment CAR's root
	SegmentCID string `json:"segment_cid"` // the segment's own CommP
	Offset     uint64 `json:"offset"`      // padded offset in the piece
	Size       uint64 `json:"size"`        // padded size
	CARBytes   int64  `json:"car_bytes"`   // the CAR's length; zeros follow it up to Size
}

// Records lists the record versions a piece holds as "ID:VERSION" pairs.
func (p Piece) Records() []string {
	out := make([]string, len(p.Segments))
	for i, s := range p.Segments {
		out[i] = fmt.Sprintf("%d:%d", s.RecordID, s.Version)
	}
	return out
}

// Segment finds a record version's segment in the piece.
func (p Piece) Segment(recordID, version uint64) (int, bool) {
	for i, s := range p.Segments {
		if s.RecordID == recordID && s.Version == version {
			return i, true
		}
	}
	return 0, false
}

// ReadManifest reads a JSON manifest.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s is not an archive manifest: %w", path, err)
	}
	if m.Type != ManifestType {
		return nil, fmt.Errorf("%s is not an archive manifest (type %q, want %q)", path, m.Type, ManifestType)
	}
	for _, p := range m.Pieces {
		if _, err := ParsePieceCID(p.PieceCID); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := ValidPieceSize(p.PieceSize); err != nil {
			return nil, fmt.Errorf("%s: piece %s: %w", path, p.PieceCID, err)
		}
		if p.File == "" || filepath.Base(p.File) != p.File {
			return nil, fmt.Errorf("%s: piece %s: file %q must be a bare file name", path, p.PieceCID, p.File)
		}
	}
	return &m, nil
}

// manifestGlob matches the manifests a run writes.
const manifestGlob = "manifest-*.json"

// Archived lists every payload CID the manifests in dir hold.
func Archived(dir string) (map[string]bool, error) {
	paths, err := filepath.Glob(filepath.Join(dir, manifestGlob))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, path := range paths {
		m, err := ReadManifest(path)
		if err != nil {
			return nil, err
		}
		for _, p := range m.Pieces {
			for _, s := range p.Segments {
				out[s.CID] = true
			}
		}
	}
	return out, nil
}

// write writes the manifest as JSON and CSV beside each other, each under
// a temporary name first; it returns the JSON's path.
func (m *Manifest) write(dir, name string) (string, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	jsonPath := filepath.Join(dir, name+".json")
	if err := writeAtomic(jsonPath, append(data, '\n')); err != nil {
		return "", err
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"piece_cid", "piece_size", "car_size", "payload_cid", "file", "records", "height"})
	for _, p := range m.Pieces {
		_ = w.Write([]string{p.PieceCID, strconv.FormatUint(p.PieceSize, 10), strconv.FormatInt(p.CARSize, 10),
			p.PayloadCID, p.File, strings.Join(p.Records(), " "), strconv.FormatInt(m.Height, 10)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", err
	}
	if err := writeAtomic(filepath.Join(dir, name+".csv"), []byte(b.String())); err != nil {
		return "", err
	}
	return jsonPath, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".manifest-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Find finds a record version in the manifest's pieces: the given version,
// or with version 0 the latest archived.
func (m *Manifest) Find(recordID, version uint64) (Piece, Segment, bool) {
	var (
		piece Piece
		seg   Segment
		found bool
	)
	for _, p := range m.Pieces {
		for _, s := range p.Segments {
			if s.RecordID != recordID || (version != 0 && s.Version != version) {
				continue
			}
			if !found || s.Version > seg.Version {
				piece, seg, found = p, s, true
			}
		}
	}
	return piece, seg, found
}
