package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"
)

// twinSweepKey marks, in the vault's meta values, that dropTwinPins ran.
const twinSweepKey = "twin-pins-swept"

// dropTwinPins removes, once per store, the root records that a vault
// before codec-exact roots made by pinning a root's codec twin (a record
// on chain that named the same multihash under the other codec): that
// pin alone made the twin a root, so the vault would keep serving it.
//
// A dag-pb root must decode as a UnixFS file (every upload's and replica's
// root is checked), a raw one may be any bytes. So of two records for one
// multihash the dag-pb one stays if the bytes decode as a UnixFS file and
// the raw one otherwise; a lone dag-pb record whose bytes do not decode is
// dropped too. A lone raw record is kept: a raw root may hold any bytes.
// It returns the CIDs whose records it dropped.
func (s *Store) dropTwinPins(ctx context.Context) ([]cid.Cid, error) {
	if _, done, err := s.Meta(ctx, twinSweepKey); err != nil || done {
		return nil, err
	}
	records, err := s.pinRecords(ctx)
	if err != nil {
		return nil, err
	}
	byHash := map[string][]PinInfo{}
	for _, p := range records {
		byHash[string(p.Root.Hash())] = append(byHash[string(p.Root.Hash())], p)
	}
	var dropped []cid.Cid
	for _, group := range byHash {
		if len(group) == 1 && group[0].Root.Type() != cid.DagProtobuf {
			continue
		}
		data, err := s.Block(ctx, group[0].Root)
		if errors.Is(err, ErrNotFound) {
			continue // no block: GC drops the records once their grace ends
		}
		if err != nil {
			return nil, fmt.Errorf("vault: check the roots of %s: %w", group[0].Root, err)
		}
		keep := uint64(cid.Raw)
		if _, err := fileSize(cid.NewCidV1(cid.DagProtobuf, group[0].Root.Hash()), data); err == nil {
			keep = cid.DagProtobuf
		}
		for _, p := range group {
			if p.Root.Type() == keep {
				continue
			}
			if err := s.ds.Delete(ctx, pinKey(p.Root)); err != nil {
				return nil, fmt.Errorf("vault: drop the pin of the codec twin %s: %w", p.Root, err)
			}
			dropped = append(dropped, p.Root)
		}
	}
	if err := s.SetMeta(ctx, twinSweepKey, []byte("1")); err != nil {
		return nil, err
	}
	return dropped, nil
}
