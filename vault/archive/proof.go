package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/filecoin-project/go-data-segment/datasegment"
	commp "github.com/filecoin-project/go-fil-commp-hashhash"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
)

// Proof shows that one record version's segment is inside a piece: an
// FRC-0058 inclusion proof (the segment's subtree in the piece's tree, and
// its entry in the piece's data-segment index).
type Proof struct {
	PieceCID    string `json:"piece_cid"`
	PieceSize   uint64 `json:"piece_size"`
	RecordID    uint64 `json:"record_id"`
	Version     uint64 `json:"version"`
	CID         string `json:"cid"`          // the record version's payload CID
	SegmentCID  string `json:"segment_cid"`  // CommP of the version's CAR
	SegmentSize uint64 `json:"segment_size"` // its padded size
	// Inclusion is the datasegment.InclusionProof, CBOR-encoded as
	// go-data-segment encodes it.
	Inclusion []byte `json:"inclusion"`
}

// ErrNotIncluded is wrapped by every error of a proof that does not hold.
var ErrNotIncluded = errors.New("not included in the piece")

// Prove builds the inclusion proof of a record version in piece p, from
// the manifest alone: the aggregate tree is rebuilt from the segments'
// commitments, and must give the piece's CID.
func Prove(p Piece, recordID, version uint64) (*Proof, error) {
	i, ok := p.Segment(recordID, version)
	if !ok {
		return nil, fmt.Errorf("piece %s holds no segment of record %d version %d", p.PieceCID, recordID, version)
	}
	subdeals := make([]abi.PieceInfo, len(p.Segments))
	for j, s := range p.Segments {
		c, err := ParsePieceCID(s.SegmentCID)
		if err != nil {
			return nil, err
		}
		subdeals[j] = abi.PieceInfo{Size: abi.PaddedPieceSize(s.Size), PieceCID: c}
	}
	agg, err := datasegment.NewAggregate(abi.PaddedPieceSize(p.PieceSize), subdeals)
	if err != nil {
		return nil, err
	}
	root, err := agg.PieceCID()
	if err != nil {
		return nil, err
	}
	if root.String() != p.PieceCID {
		return nil, fmt.Errorf("the manifest's segments make piece %s, not %s", root, p.PieceCID)
	}
	ip, err := agg.ProofForIndexEntry(i)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := ip.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	s := p.Segments[i]
	return &Proof{
		PieceCID: p.PieceCID, PieceSize: p.PieceSize,
		RecordID: s.RecordID, Version: s.Version, CID: s.CID,
		SegmentCID: s.SegmentCID, SegmentSize: s.Size,
		Inclusion: buf.Bytes(),
	}, nil
}

// Verify checks the proof: the segment commitment, placed where the proof
// says, gives the piece commitment, and the piece's index lists it there.
func (pr *Proof) Verify() error {
	seg, err := ParsePieceCID(pr.SegmentCID)
	if err != nil {
		return err
	}
	var ip datasegment.InclusionProof
	if err := ip.UnmarshalCBOR(bytes.NewReader(pr.Inclusion)); err != nil {
		return fmt.Errorf("%w: malformed inclusion proof: %v", ErrNotIncluded, err)
	}
	aux, err := ip.ComputeExpectedAuxData(datasegment.InclusionVerifierData{
		CommPc: seg, SizePc: abi.PaddedPieceSize(pr.SegmentSize),
	})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotIncluded, err)
	}
	if aux.CommPa.String() != pr.PieceCID || uint64(aux.SizePa) != pr.PieceSize {
		return fmt.Errorf("%w: the proof leads to piece %s (%d bytes), not %s (%d bytes)",
			ErrNotIncluded, aux.CommPa, aux.SizePa, pr.PieceCID, pr.PieceSize)
	}
	return nil
}

// VerifyCAR checks that car is the record version the proof is about: a
// complete, untampered DAG under the proof's CID whose bytes are the
// segment the proof places in the piece. Together with Verify, it proves
// that the piece holds this record's ciphertext.
func (pr *Proof) VerifyCAR(ctx context.Context, car io.Reader) error {
	root, err := cid.Decode(pr.CID)
	if err != nil {
		return err
	}
	calc := &commp.Calc{}
	var n countWriter
	tee := io.TeeReader(car, io.MultiWriter(calc, &n))
	if _, err := vault.VerifyCAR(ctx, tee, root, ""); err != nil {
		abandon(calc)
		return fmt.Errorf("the CAR is not record %d version %d: %w", pr.RecordID, pr.Version, err)
	}
	seg, err := finishSegment(Item{RecordID: pr.RecordID, Version: pr.Version, CID: root}, "", int64(n), calc)
	if err != nil {
		return err
	}
	got, size := seg.commP, seg.size
	if got.String() != pr.SegmentCID || size != pr.SegmentSize {
		return fmt.Errorf("%w: the CAR's CommP is %s (%d bytes), the proof's segment is %s (%d bytes)",
			ErrNotIncluded, got, size, pr.SegmentCID, pr.SegmentSize)
	}
	return nil
}
