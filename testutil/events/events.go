// Package events holds the assertions keeper tests make about the typed
// events a handler emits (sdk.EventManager.EmitTypedEvent), and a context
// with an empty event manager to run a handler on.
package events

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Fresh returns ctx with an empty event manager, so that what a handler
// emits can be told from what came before.
func Fresh(ctx sdk.Context) sdk.Context { return ctx.WithEventManager(sdk.NewEventManager()) }

// Equal asserts that event is the typed event want, field by field.
func Equal(t testing.TB, event sdk.Event, want gogoproto.Message) {
	t.Helper()
	require.Equal(t, gogoproto.MessageName(want), event.Type)
	got, err := sdk.ParseTypedEvent(abci.Event(event))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// RequireSingle asserts that ctx emitted exactly one event, want.
func RequireSingle(t testing.TB, ctx sdk.Context, want gogoproto.Message) {
	t.Helper()
	events := ctx.EventManager().Events()
	require.Len(t, events, 1, "events: %v", events)
	Equal(t, events[0], want)
}

// Require asserts that ctx emitted want among its events.
func Require(t testing.TB, ctx sdk.Context, want gogoproto.Message) {
	t.Helper()
	for _, e := range ctx.EventManager().Events() {
		if e.Type != gogoproto.MessageName(want) {
			continue
		}
		got, err := sdk.ParseTypedEvent(abci.Event(e))
		require.NoError(t, err)
		if gogoproto.Equal(got, want) {
			return
		}
	}
	t.Fatalf("no event %v among %v", want, ctx.EventManager().Events())
}

// RequireNone asserts that ctx emitted nothing: a refused message
// announces nothing.
func RequireNone(t testing.TB, ctx sdk.Context) {
	t.Helper()
	require.Empty(t, ctx.EventManager().Events(), "no event on failure")
}
