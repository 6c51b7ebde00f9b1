package state_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/state"
)

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any)  { r.Errorf(format, a...); r.FailNow() }
func (r *recorder) FailNow()                        { runtime.Goexit() }
func (r *recorder) Failed() bool                    { return len(r.failures) > 0 }
func (r *recorder) Name() string                    { return "recorder" }
func (r *recorder) Logf(format string, args ...any) {}

// run calls f with a recorder on its own goroutine (FailNow ends it) and
// returns what failed.
func run(f func(t testing.TB)) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failures
}

var errRefused = errors.New("refused")

func newCtx() (sdk.Context, []storetypes.StoreKey) {
	a, b := storetypes.NewKVStoreKey("a"), storetypes.NewKVStoreKey("b")
	ctx := testutil.DefaultContextWithKeys(map[string]*storetypes.KVStoreKey{"a": a, "b": b}, nil, nil)
	ctx.KVStore(a).Set([]byte("record/1"), []byte("v1"))
	return ctx, []storetypes.StoreKey{a, b}
}

// TestRequireRejectedSeesEveryWrite: a refusal that leaves an index entry,
// changes a value, deletes a key or emits an event is caught, and named;
// a clean refusal passes.
func TestRequireRejectedSeesEveryWrite(t *testing.T) {
	cases := []struct {
		name string
		call func(ctx sdk.Context, keys []storetypes.StoreKey) error
		want string // in the failure; "" for none
	}{
		{"clean refusal", func(sdk.Context, []storetypes.StoreKey) error { return errRefused }, ""},
		{"an index entry in another store", func(ctx sdk.Context, k []storetypes.StoreKey) error {
			ctx.KVStore(k[1]).Set([]byte{0x07, 1}, []byte{})
			return errRefused
		}, "b: added 0701"},
		{"a changed value", func(ctx sdk.Context, k []storetypes.StoreKey) error {
			ctx.KVStore(k[0]).Set([]byte("record/1"), []byte("v2"))
			return errRefused
		}, "a: changed 7265636f72642f31 from 7631 to 7632"},
		{"a deleted key", func(ctx sdk.Context, k []storetypes.StoreKey) error {
			ctx.KVStore(k[0]).Delete([]byte("record/1"))
			return errRefused
		}, "a: removed 7265636f72642f31"},
		{"an event", func(ctx sdk.Context, _ []storetypes.StoreKey) error {
			ctx.EventManager().EmitEvent(sdk.NewEvent("medchain.test"))
			return errRefused
		}, "medchain.test"},
		{"another error", func(sdk.Context, []storetypes.StoreKey) error { return errors.New("other") }, "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, keys := newCtx()
			failures := run(func(r testing.TB) {
				state.RequireRejected(r, ctx, keys, errRefused, "", func(ctx sdk.Context) error { return tc.call(ctx, keys) })
			})
			if tc.want == "" {
				require.Empty(t, failures)
				return
			}
			require.NotEmpty(t, failures)
			require.Contains(t, strings.Join(failures, "\n"), tc.want)
		})
	}
}

// TestSnapshotDiff: a write put back as it was is no change.
func TestSnapshotDiff(t *testing.T) {
	ctx, keys := newCtx()
	before := state.Take(ctx, keys...)
	ctx.KVStore(keys[0]).Set([]byte("record/1"), []byte("v2"))
	require.Len(t, before.Diff(state.Take(ctx, keys...)), 1)
	ctx.KVStore(keys[0]).Set([]byte("record/1"), []byte("v1"))
	require.Empty(t, before.Diff(state.Take(ctx, keys...)))
}
