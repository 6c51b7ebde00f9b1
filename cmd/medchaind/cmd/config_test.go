package cmd

import (
	"strings"
	"testing"

	pruningtypes "cosmossdk.io/store/pruning/types"
)

// A node that medchaind init sets up takes state sync snapshots, so that a
// new hospital can join from it, and its default pruning accepts them.
func TestInitTurnsStateSyncSnapshotsOn(t *testing.T) {
	template, cfg := initAppConfig()
	c := cfg.(appConfig).Config
	if c.StateSync.SnapshotInterval != 1000 || c.StateSync.SnapshotKeepRecent != 2 {
		t.Fatalf("[state-sync] snapshot-interval %d, snapshot-keep-recent %d; want 1000 and 2",
			c.StateSync.SnapshotInterval, c.StateSync.SnapshotKeepRecent)
	}
	if !strings.Contains(template, "snapshot-interval = {{ .StateSync.SnapshotInterval }}") {
		t.Fatal("the app.toml template does not write snapshot-interval")
	}
	if c.Pruning != pruningtypes.PruningOptionDefault {
		t.Fatalf("pruning %q, want %q", c.Pruning, pruningtypes.PruningOptionDefault)
	}
	if err := c.ValidateBasic(); err != nil {
		t.Fatalf("the default app.toml is refused: %v", err)
	}
	// "everything" cannot keep a snapshot's height: the node refuses it.
	c.Pruning = pruningtypes.PruningOptionEverything
	if err := c.ValidateBasic(); err == nil {
		t.Fatal("pruning everything with snapshots on was accepted")
	}
}
