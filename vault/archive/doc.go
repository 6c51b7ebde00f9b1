// Package archive writes a hospital's vault content as Filecoin pieces that
// a storage provider can take in an offline deal, and restores a vault from
// them.
//
// # What a piece is
//
// A piece is an FRC-0058 data-segment aggregate: every record version
// archived is one segment, a CARv1 whose single root is the version's CID
// and which holds every block of its DAG (the same bytes a vault serves at
// /ipfs/{cid}?format=car). Segments sit at power-of-two aligned offsets of
// the piece, largest first, and the data-segment index at the end of the
// piece lists each one's commitment, offset and size. Because of the index,
// a storage provider's software (Boost indexes aggregates by their index)
// finds every record, and anybody holding one record's CAR can check with
// an inclusion proof that the piece holds it, without the other records.
//
// Only ciphertext is archived: a vault holds nothing else, and every block
// is re-hashed against its CID before it enters a segment.
//
// # Commitments
//
// Each segment's piece commitment (CommP) is computed while its CAR is
// spooled, with go-fil-commp-hashhash; the piece's CommP is the root of the
// aggregate tree go-data-segment builds over the segments' commitments and
// the index, so the piece bytes are read once. The piece file is the piece
// payload before Fr32 padding, exactly what a provider pads and seals: its
// CommP, computed by any tool over the file, is the manifest's piece CID.
// Gaps between segments are holes in a sparse file, so the file takes the
// disk space of its segments.
//
// # Manifests
//
// Every run writes a manifest (JSON, and a CSV with one row a piece) naming
// each piece's CID, padded size, file size, payload root and the record
// versions it holds, with the chain height the run read. A later run skips
// every CID an earlier manifest in the same directory holds, so nothing is
// archived twice.
//
// # Restore
//
// Restore reads a piece's index from its end, then streams the piece once:
// the whole file is hashed into its CommP and compared with the manifest,
// each segment's region is hashed into its own CommP and compared with the
// index, and each segment's CAR is imported into the store, every block
// verified against its CID. Only then are the versions the chain still
// lists as live pinned.
package archive
