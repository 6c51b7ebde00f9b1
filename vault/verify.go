package vault

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
)

// Verified is what VerifyCAR found in a CAR.
type Verified struct {
	Root   cid.Cid
	Blocks int   // distinct blocks under the root
	Size   int64 // the UnixFS file's content size
}

// VerifyCAR checks a CAR the way Client.Fetch does before it writes
// anything: every block hashes to its CID, only the CIDs a vault accepts,
// the whole DAG under root present, and root a UnixFS file. It is how an
// operator or an auditor checks what a gateway served (`medchaind vault
// verify-car`). A CID of Undef takes the CAR's single header root. The
// blocks wait in a spool file in tmpDir ("" for os.TempDir()).
func VerifyCAR(ctx context.Context, r io.Reader, root cid.Cid, tmpDir string) (Verified, error) {
	st, err := stageCAR(ctx, r, 0, tmpDir, root)
	if err != nil {
		return Verified{}, err
	}
	defer st.discard()
	order, err := st.plan(ctx, nil)
	if err != nil {
		return Verified{}, err
	}
	size, err := st.fileSize(ctx, nil)
	if err != nil {
		return Verified{}, fmt.Errorf("root %s: %w", st.root, err)
	}
	return Verified{Root: st.root, Blocks: len(order), Size: size}, nil
}

// BlockCount is the number of blocks the vault holds, pinned or not. It
// walks the block directory, so it costs a directory listing.
func (s *Store) BlockCount(ctx context.Context) (int, error) {
	keys, err := s.raw.AllKeysChan(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for range keys {
		n++
	}
	return n, ctx.Err()
}
