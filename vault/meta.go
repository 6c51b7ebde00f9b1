package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
)

// metaPrefix holds small named values of the vault's own, such as the
// chain height its pin follower has reached.
var metaPrefix = ds.NewKey("/vault/meta")

// Meta returns the value stored under name, and whether there is one.
func (s *Store) Meta(ctx context.Context, name string) ([]byte, bool, error) {
	v, err := s.ds.Get(ctx, metaPrefix.ChildString(name))
	if errors.Is(err, ds.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("vault: read %s: %w", name, err)
	}
	return v, true, nil
}

// SetMeta stores value under name, durably.
func (s *Store) SetMeta(ctx context.Context, name string, value []byte) error {
	k := metaPrefix.ChildString(name)
	if err := s.ds.Put(ctx, k, value); err != nil {
		return fmt.Errorf("vault: write %s: %w", name, err)
	}
	return s.ds.Sync(ctx, k)
}

// PinInfo returns what the vault knows of root's pin, and whether it has a
// record of it at all.
func (s *Store) PinInfo(ctx context.Context, root cid.Cid) (PinInfo, bool, error) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	return s.pinRecord(ctx, root)
}
