package system_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/system"
)

// recorder is a testing.TB that notes failures and cleanups instead of
// acting on them.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Cleanup(f func())    { r.mu.Lock(); r.cleanups = append(r.cleanups, f); r.mu.Unlock() }
func (r *recorder) Fatal(a ...any)      { r.Fatalf("%s", fmt.Sprint(a...)) }
func (r *recorder) FailNow()            { runtime.Goexit() }
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	r.failures = append(r.failures, fmt.Sprintf(f, a...))
	r.mu.Unlock()
}
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); r.FailNow() }

// within runs f on its own goroutine (FailNow ends it) and fails t if it
// has not returned after d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

// TestStartOfANodeThatExits: a node that exits while starting fails its
// test with the node's log, and the cleanup that kills it returns at once
// rather than waiting for an exit that was already seen (which once hung
// a system test until the 20-minute timeout).
func TestStartOfANodeThatExits(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "medchaind")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho 'error: gate-trust-hash is not a block hash' >&2\nexit 1\n"), 0o755))
	r := &recorder{TB: t}
	n := &system.Node{T: r, Bin: bin, Home: dir, RPC: "tcp://127.0.0.1:1", LogPath: filepath.Join(dir, "node.log")}

	within(t, 30*time.Second, "Start", n.Start)
	require.Len(t, r.failures, 1)
	require.Contains(t, r.failures[0], "medchaind exited early")
	require.Contains(t, r.failures[0], "gate-trust-hash is not a block hash", "the failure shows the node's log")

	require.Len(t, r.cleanups, 1)
	within(t, 5*time.Second, "the cleanup", r.cleanups[0])
	within(t, 5*time.Second, "a second Kill", n.Kill)
}
