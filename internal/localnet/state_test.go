package localnet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResetGuard(t *testing.T) {
	root := t.TempDir()

	// Missing directory: nothing to do.
	if err := Reset(filepath.Join(root, "missing")); err != nil {
		t.Errorf("missing dir: %v", err)
	}

	// A directory the driver made is removed.
	ours := filepath.Join(root, "ours")
	mustMkdir(t, filepath.Join(ours, "st-mary", "config"))
	mustWrite(t, filepath.Join(ours, markerFile), "x")
	if err := Reset(ours); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ours); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("localnet dir not removed: %v", err)
	}

	// Anything else is refused and left alone.
	foreign := filepath.Join(root, "project")
	mustMkdir(t, foreign)
	mustWrite(t, filepath.Join(foreign, "go.mod"), "module x\n")
	err := Reset(foreign)
	if err == nil || !strings.Contains(err.Error(), "refusing to reset") || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("foreign dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "go.mod")); err != nil {
		t.Error("foreign dir was touched")
	}

	// A file is refused.
	file := filepath.Join(root, "file")
	mustWrite(t, file, "x")
	if err := Reset(file); err == nil {
		t.Error("file accepted")
	}

	// An empty directory may go.
	empty := filepath.Join(root, "empty")
	mustMkdir(t, empty)
	if err := Reset(empty); err != nil {
		t.Error(err)
	}

	// The home directory and / are never removed.
	if home, err := os.UserHomeDir(); err == nil {
		if err := Reset(home); err == nil {
			t.Error("home accepted")
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadState(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want not-exist, got %v", err)
	}
	st := &State{ChainID: "c", BondDenom: "umed", PortBase: 27000, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Nodes:    []Node{{Name: "a", Home: "/h/a", NodeID: "id", Ports: NodePorts(27000, 0)}},
		Accounts: []AccountInfo{{Name: "a", Address: "med1x", Key: true}}}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Nodes[0].Ports.RPC != 27001 || got.Accounts[0].Address != "med1x" || !got.CreatedAt.Equal(st.CreatedAt) {
		t.Errorf("got %+v", got)
	}
	mustWrite(t, filepath.Join(dir, stateFile), "{")
	if _, err := ReadState(dir); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt state: %v", err)
	}
}

func TestNodePorts(t *testing.T) {
	seen := map[int]string{}
	for i := 0; i < 4; i++ {
		for _, p := range NodePorts(DefaultPortBase, i).list() {
			if prev, dup := seen[p.port]; dup {
				t.Errorf("port %d used by %s and node %d %s", p.port, prev, i, p.name)
			}
			seen[p.port] = p.name
			if p.port >= DefaultPortBase+portStride*(i+1) || p.port < DefaultPortBase+portStride*i {
				t.Errorf("node %d %s port %d outside its block", i, p.name, p.port)
			}
		}
	}
	if p := NodePorts(27000, 3); p.RPC != 27031 || p.P2P != 27030 || p.Vault != 27035 {
		t.Errorf("node 3 ports %+v", p)
	}
	if err := checkPortBase(65500, 4); err == nil {
		t.Error("ports above 65535 accepted")
	}
	if err := checkPortBase(80, 1); err == nil {
		t.Error("privileged ports accepted")
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
