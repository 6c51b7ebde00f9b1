//go:build e2e

package system

import (
	"fmt"
	"os"
	"testing"

	"github.com/medchain/medchain/testutil/system"
)

// TestMain points HOME at a temporary directory for every medchaind the
// tests start, so that nothing reads or writes the real ~/.medchain.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "medchain-system-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// node is a test chain (testutil/system) with the record, access and
// governance steps these tests share as methods.
type node struct{ *system.Node }

// newNode initialises a one-validator chain (system.NewNode).
func newNode(t *testing.T) *node {
	t.Helper()
	return &node{system.NewNode(t)}
}

// newNodeWith is newNode with options.
func newNodeWith(t *testing.T, opts system.NodeOptions) *node {
	t.Helper()
	return &node{system.NewNodeWith(t, opts)}
}
