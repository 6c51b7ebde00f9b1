//go:build e2e

package localnet

import (
	"github.com/medchain/medchain/testutil/system"

	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplicationSurvivesTheLossOfAHospital runs the four-hospital network
// of config.yml with every vault's access gate on: records uploaded through
// st-mary's vault reach the three vaults placement names for each (each
// fetch signed by the fetching hospital's key); st-mary's node and vault are stopped
// and its vault directory deleted; alice downloads every record
// byte-identical with no --vault while the other three hospitals keep
// producing blocks; st-mary restarts with the empty vault and refills
// every CID placed on it.
func TestReplicationSurvivesTheLossOfAHospital(t *testing.T) {
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every vault gates reads (the default): downloads need the reader's
	// ticket and replica fetches the hospital's.
	network := startConsortium(t, bin, cfg, 22000, 5*time.Minute)
	ctx, dir, run, st := network.ctx, network.dir, network.run, network.ready.State
	stMary, charite := st.Nodes[0], st.Nodes[1]
	vaultURL := func(n Node) string { return "http://" + hostPort(n.Ports.Vault) }
	cli := func(node Node, args ...string) (string, error) {
		all := append(args, "--home", st.ClientHome, "--keyring-backend", "test", "--chain-id", st.ChainID,
			"--node", "tcp://"+hostPort(node.Ports.RPC))
		cmd := exec.CommandContext(ctx, bin, all...)
		for _, kv := range os.Environ() { // no default vault: placement decides
			if !strings.HasPrefix(kv, "MEDCHAIN_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			return out.String(), fmt.Errorf("medchaind %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String(), nil
	}
	mustCLI := func(node Node, args ...string) string {
		t.Helper()
		out, err := cli(node, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	mustCLI(stMary, "tx", "access", "register-key", "--from", "alice", "--yes")
	time.Sleep(3 * time.Second)
	type rec struct {
		id   string
		cid  string
		data []byte
	}
	var recs []rec
	work := t.TempDir()
	for i, size := range []int{4<<20 + 7, 200 << 10, 300 << 10, 50 << 10} {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		path := filepath.Join(work, fmt.Sprintf("f%d.bin", i))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out := mustCLI(stMary, "tx", "records", "upload", path, "--from", "alice", "--yes", "-o", "json", "--vault", vaultURL(stMary))
		var up struct {
			RecordID uint64 `json:"record_id"`
			CID      string `json:"cid"`
		}
		if err := json.Unmarshal([]byte(out), &up); err != nil {
			t.Fatalf("upload printed %q: %v", out, err)
		}
		recs = append(recs, rec{fmt.Sprint(up.RecordID), up.CID, data})
	}

	type replicas struct {
		ReplicationFactor int `json:"replication_factor"`
		Replicas          []struct {
			Hospital string `json:"hospital"`
			VaultURL string `json:"vault_url"`
			Holds    bool   `json:"holds"`
		} `json:"replicas"`
	}
	placed := map[string][]string{} // CID -> vault URLs
	start := time.Now()
	for _, r := range recs {
		for {
			var rs replicas
			if err := json.Unmarshal([]byte(mustCLI(charite, "query", "records", "replicas", r.id, "--from", "alice")), &rs); err != nil {
				t.Fatal(err)
			}
			held := 0
			placed[r.cid] = nil
			for _, p := range rs.Replicas {
				placed[r.cid] = append(placed[r.cid], p.VaultURL)
				if p.Holds {
					held++
				}
			}
			if rs.ReplicationFactor != 3 || len(rs.Replicas) != 3 {
				t.Fatalf("record %s is placed on %d vaults (factor %d), want 3 of the 4", r.id, len(rs.Replicas), rs.ReplicationFactor)
			}
			if held == 3 {
				break
			}
			if time.Since(start) > 60*time.Second {
				t.Fatalf("record %s: %d of 3 placed vaults hold it after a minute: %+v", r.id, held, rs)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	t.Logf("every record held by its 3 placed vaults %s after the last upload", time.Since(start).Round(100*time.Millisecond))

	// St Mary's goes down and loses its disk.
	if err := syscall.Kill(network.ready.PIDs[stMary.Name], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitGone(t, network.ready.PIDs[stMary.Name])
	if err := os.RemoveAll(filepath.Join(stMary.Home, "data", "vault")); err != nil {
		t.Fatal(err)
	}
	h0, err := nodeHeight(ctx, charite, st.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		out := filepath.Join(work, "dl-"+r.id)
		mustCLI(charite, "query", "records", "download", r.id, "-o", out, "--from", "alice")
		got, err := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, r.data) {
			t.Fatalf("record %s downloaded without st-mary: %d bytes, want the %d uploaded (%v)", r.id, len(got), len(r.data), err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := nodeHeight(ctx, charite, st.ChainID)
		if err == nil && h >= h0+3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the three remaining hospitals did not commit 3 blocks past %d", h0)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// St Mary's comes back with an empty vault and refills itself.
	restart := exec.Command(bin, "start", "--home", stMary.Home)
	logFile, err := os.OpenFile(stMary.LogFile(dir), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	restart.Stdout, restart.Stderr = logFile, logFile
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = restart.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = restart.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = restart.Process.Kill()
		}
	})
	mine := 0
	for _, urls := range placed {
		for _, u := range urls {
			if u == vaultURL(stMary) {
				mine++
			}
		}
	}
	if mine == 0 {
		t.Fatal("no record is placed on st-mary; the test proves nothing about refilling")
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		holds := 0
		for _, r := range recs {
			var rs replicas
			out, err := cli(charite, "query", "records", "replicas", r.id, "--from", "alice")
			if err == nil && json.Unmarshal([]byte(out), &rs) == nil {
				for _, p := range rs.Replicas {
					if p.VaultURL == vaultURL(stMary) && p.Holds {
						holds++
					}
				}
			}
		}
		if holds == mine && metricOf(vaultURL(stMary), "vault_under_replicated") == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("st-mary refilled %d of the %d CIDs placed on it within 90s (under-replicated: %q)", holds, mine,
				metricOf(vaultURL(stMary), "vault_under_replicated"))
		}
		time.Sleep(time.Second)
	}
	t.Logf("st-mary refilled the %d CIDs placed on it (%s bytes fetched)", mine, metricOf(vaultURL(stMary), "vault_repair_bytes_total"))
	_ = run.stop()
}

// metricOf reads an unlabelled metric from a vault's /metrics ("" if absent).
func metricOf(vaultURL, name string) string {
	resp, err := http.Get(vaultURL + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not exit within 30s of SIGTERM", pid)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
