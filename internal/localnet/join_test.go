package localnet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckSnapshotsOnRefusesNodesWithoutSnapshots(t *testing.T) {
	node := func(name string, interval int) Node {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
			t.Fatal(err)
		}
		toml := fmt.Sprintf("minimum-gas-prices = \"0umed\"\n\n[state-sync]\nsnapshot-interval = %d\nsnapshot-keep-recent = 2\n", interval)
		if err := os.WriteFile(filepath.Join(home, "config", "app.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		return Node{Name: name, Home: home}
	}
	if err := checkSnapshotsOn([]Node{node("a", 20), node("b", 1000)}); err != nil {
		t.Fatalf("nodes taking snapshots refused: %v", err)
	}
	err := checkSnapshotsOn([]Node{node("a", 20), node("old", 0)})
	if err == nil || !strings.Contains(err.Error(), "old takes no state sync snapshots") || !strings.Contains(err.Error(), "-replay") {
		t.Fatalf("a node without snapshots: %v, want a refusal that names it and the ways out", err)
	}
}

// fakeRPC answers /status and /commit for a chain whose block at every
// height has the hash hashAt(height).
func fakeRPC(t *testing.T, height int64, hashAt func(int64) string) Node {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			fmt.Fprintf(w, `{"result":{"node_info":{"network":"medchain-local-1"},"sync_info":{"latest_block_height":"%d"}}}`, height)
		case "/commit":
			h, _ := strconv.ParseInt(r.URL.Query().Get("height"), 10, 64)
			fmt.Fprintf(w, `{"result":{"signed_header":{"header":{"height":"%d"},"commit":{"block_id":{"hash":"%s"}}}}}`, h, hashAt(h))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	p, _ := strconv.Atoi(port)
	return Node{Name: srv.URL, Ports: Ports{RPC: p}}
}

func TestTrustPointRefusesNodesThatDisagree(t *testing.T) {
	honest := func(h int64) string { return fmt.Sprintf("%064X", h) }
	liar := func(h int64) string { return fmt.Sprintf("%064X", h+1) }
	c := &netCLI{st: &State{ChainID: "medchain-local-1"}, node: fakeRPC(t, 100, honest), witness: fakeRPC(t, 100, liar)}
	_, err := c.trustPoint(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disagree on block 99") {
		t.Fatalf("two nodes with different blocks at the trust height: %v, want a refusal", err)
	}
}

func TestWaitVaultFilledWaitsForAPassAfterTheRegistration(t *testing.T) {
	registered := time.Now()
	var lastPass atomic.Int64
	lastPass.Store(registered.Unix() - 5) // a pass from before: says nothing yet
	var missing atomic.Int64
	missing.Store(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			fmt.Fprintf(w, "# HELP vault_missing_live_cids ...\nvault_missing_live_cids %d\nvault_under_replicated %d\nvault_live_cids 8\n"+
				"vault_repair_bytes_total 2.5e+06\nvault_reconcile_last_success_timestamp_seconds %d\nvault_uploads_total{reason=\"ok\"} 3\n",
				missing.Load(), missing.Load(), lastPass.Load())
		case "/api/v1/status":
			fmt.Fprint(w, `{"pinned_roots":4}`)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	missing.Store(0)
	if _, err := waitVaultFilled(ctx, srv.URL, registered); err == nil {
		t.Fatal("done on a reconciliation that ended before the vault was registered")
	}

	lastPass.Store(registered.Unix() + 3)
	missing.Store(2)
	ctx, cancel = context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, err := waitVaultFilled(ctx, srv.URL, registered); err == nil || !strings.Contains(err.Error(), "missing 2") {
		t.Fatalf("done while 2 are missing: %v", err)
	}

	missing.Store(0)
	held, err := waitVaultFilled(context.Background(), srv.URL, registered)
	if err != nil || !strings.Contains(held, "holds 4 of the 8 live CIDs") {
		t.Fatalf("a filled vault: %q, %v", held, err)
	}
}
