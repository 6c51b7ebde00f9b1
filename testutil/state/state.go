// Package state proves that a refused message changed nothing. A Snapshot
// copies every key and value of the stores a test names, byte for byte,
// so it sees what a module's genesis export would miss: index entries,
// counters, sequences and keys no collection declares. RequireRejected
// runs a handler and asserts the whole refusal: the error, the unchanged
// stores and no event.
package state

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
)

// Snapshot is every key and value of some stores: store name, then key
// (as raw bytes in a string), then value.
type Snapshot map[string]map[string][]byte

// Take copies every key and value of the stores keys name, as ctx sees
// them.
func Take(ctx sdk.Context, keys ...storetypes.StoreKey) Snapshot {
	s := Snapshot{}
	for _, k := range keys {
		kv := map[string][]byte{}
		it := ctx.MultiStore().GetKVStore(k).Iterator(nil, nil)
		for ; it.Valid(); it.Next() {
			kv[string(it.Key())] = bytes.Clone(it.Value())
		}
		it.Close()
		s[k.Name()] = kv
	}
	return s
}

// Diff lists, one line each, the keys that after adds, removes or changes
// against s; it is empty when the two are the same.
func (s Snapshot) Diff(after Snapshot) []string {
	var out []string
	for _, store := range sortedKeys(s, after) {
		before, now := s[store], after[store]
		for _, key := range sortedKeys(before, now) {
			b, inBefore := before[key]
			a, inAfter := now[key]
			switch {
			case !inBefore:
				out = append(out, fmt.Sprintf("%s: added %s = %x", store, hex.EncodeToString([]byte(key)), a))
			case !inAfter:
				out = append(out, fmt.Sprintf("%s: removed %s (was %x)", store, hex.EncodeToString([]byte(key)), b))
			case !bytes.Equal(a, b):
				out = append(out, fmt.Sprintf("%s: changed %s from %x to %x", store, hex.EncodeToString([]byte(key)), b, a))
			}
		}
	}
	return out
}

func sortedKeys[V any](maps ...map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// RequireSame fails t, naming every key that differs, unless the stores
// keys name hold what before holds.
func RequireSame(t testing.TB, before Snapshot, ctx sdk.Context, keys ...storetypes.StoreKey) {
	t.Helper()
	if diff := before.Diff(Take(ctx, keys...)); len(diff) > 0 {
		t.Fatalf("state must not change, but:\n  %s", strings.Join(diff, "\n  "))
	}
}

// RequireRejected runs call on ctx with a fresh event manager and asserts
// that it fails with wantErr, that the error mentions wantMsg, that no key
// of the stores keys name was written, and that nothing was emitted.
func RequireRejected(t testing.TB, ctx sdk.Context, keys []storetypes.StoreKey, wantErr error, wantMsg string, call func(ctx sdk.Context) error) {
	t.Helper()
	ctx = events.Fresh(ctx)
	before := Take(ctx, keys...)
	err := call(ctx)
	require.ErrorIs(t, err, wantErr)
	require.ErrorContains(t, err, wantMsg)
	RequireSame(t, before, ctx, keys...)
	events.RequireNone(t, ctx)
}
