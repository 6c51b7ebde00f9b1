package vault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// ID is the vault's own identity: random, made on first use and kept in
// the store, so it survives restarts and differs between vaults. Tickets
// name it, so that a ticket signed for one vault is useless at another.
func (s *Store) ID(ctx context.Context) (string, error) {
	s.idOnce.Do(func() {
		v, ok, err := s.Meta(ctx, "vault-id")
		if err != nil {
			s.idErr = err
			return
		}
		if !ok {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				s.idErr = err
				return
			}
			v = []byte(hex.EncodeToString(b))
			if err := s.SetMeta(ctx, "vault-id", v); err != nil {
				s.idErr = err
				return
			}
		}
		s.id = string(v)
	})
	return s.id, s.idErr
}
