package vault

import (
	"errors"

	"github.com/medchain/medchain/vault/dagfile"
)

// Errors that callers tell apart with errors.Is. Every error the vault
// returns wraps one of them with the CID or the limit concerned, so that a
// person reading it learns which block was wrong and why.
var (
	// ErrTooLarge: the upload is larger than the limit the caller set.
	ErrTooLarge = errors.New("vault: upload too large")
	// ErrBlockMismatch: a block's bytes do not hash to its CID.
	ErrBlockMismatch = errors.New("vault: block does not match its CID")
	// ErrIncompleteDAG: a block linked from the root is not in the upload
	// (or, for a replica, neither in the CAR nor already in the vault).
	ErrIncompleteDAG = errors.New("vault: incomplete DAG")
	// ErrDAGShape: the upload's DAG is outside the shapes a file import
	// makes (too many blocks for its size, short leaves, too many links
	// in a node, too deep), which only an attack on the vault's memory or
	// disk would send.
	ErrDAGShape = errors.New("vault: DAG shape outside the vault's limits")
	// ErrStoreInUse: another process holds the store open (a store is
	// open in one process at a time).
	ErrStoreInUse = errors.New("vault: store in use")
	// ErrBadCAR: the upload is not a well-formed CARv1 with exactly one root
	// whose blocks decode.
	ErrBadCAR = errors.New("vault: malformed CAR")
	// ErrUnsupportedCID: a CID is not CIDv1 with sha2-256 and codec raw or
	// dag-pb, the only kind the vault's importer produces.
	ErrUnsupportedCID = dagfile.ErrUnsupportedCID
	// ErrNotFound: the vault does not hold the block or root asked for.
	ErrNotFound = errors.New("vault: not found")
	// ErrCorrupt: a block read back from the vault's own storage no longer
	// hashes to its CID (disk corruption or tampering).
	ErrCorrupt = errors.New("vault: stored block is corrupt")
)
