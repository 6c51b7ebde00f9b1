//go:build e2e

package localnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
)

// TestAHospitalJoinsByStateSync runs the four hospitals of config.yml
// (vault gates on, as by default), stores records through st-mary's vault,
// and then admits a fifth hospital with Join: governance makes it an
// ACTIVE HOSPITAL, its node restores a snapshot instead of replaying the
// chain, and it becomes a validator within two minutes of its node's
// start. Its node holds no block before the snapshot, it is in the
// validator set and signs, it computes the same app hash as the others,
// its vault fetches every payload placement now puts on it (and serves
// one back whole), and the next Run starts all five nodes.
//
//	MEDCHAIND_BIN=$PWD/build/medchaind go test -tags e2e -run AHospitalJoinsByStateSync ./internal/localnet/
func TestAHospitalJoinsByStateSync(t *testing.T) {
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Five nodes' ports free, the fifth for the hospital that joins.
	from, err := FreePortBase(24000, len(cfg.Validators)+1)
	if err != nil {
		t.Fatal(err)
	}
	network := startConsortium(t, bin, cfg, from, 8*time.Minute)
	ctx, st := network.ctx, network.ready.State
	c := &chainCLI{t: t, ctx: ctx, b: binary{path: bin}, st: st}
	stMary, charite := st.Nodes[0], st.Nodes[1]

	// alice's records, uploaded to st-mary's vault; placement puts each on
	// three of the four hospitals.
	c.txWait("tx", "access", "register-key", "--from", "alice")
	var recs []uploaded
	for _, size := range []int{2<<20 + 11, 600 << 10, 300 << 10, 260 << 10, 200 << 10, 100 << 10, 60 << 10, 20 << 10} {
		recs = append(recs, c.upload("alice", "http://"+hostPort(stMary.Ports.Vault), size))
	}
	t.Logf("uploaded %d records", len(recs))

	j, err := Join(ctx, JoinOptions{Binary: bin, Dir: network.dir, Name: "royal-london", DisplayName: "Royal London Hospital",
		Out: &testWriter{t: t}, VaultTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	t.Cleanup(func() { _ = j.Stop(20 * time.Second) })
	var summary bytes.Buffer
	PrintJoined(&summary, j)
	t.Logf("join phases:\n%s", summary.String())
	if j.Validating > 2*time.Minute {
		t.Errorf("validating %s after its node started, want at most 2 minutes", j.Validating)
	}

	// It restored a snapshot: no block before it, taken at a multiple of
	// the snapshot interval.
	var s fullStatus
	if err := rpcGet(ctx, j.Node.RPC()+"/status", &s); err != nil {
		t.Fatal(err)
	}
	earliest, _ := strconv.ParseInt(s.SyncInfo.EarliestBlockHeight, 10, 64)
	if earliest <= 1 || earliest != j.EarliestHeight {
		t.Fatalf("the new node's earliest block is %d (Join saw %d): it replayed from genesis instead of restoring a snapshot", earliest, j.EarliestHeight)
	}
	if j.SnapshotHeight <= 0 || j.SnapshotHeight%SnapshotInterval != 0 {
		t.Errorf("restored the snapshot of height %d, want a multiple of %d", j.SnapshotHeight, SnapshotInterval)
	}
	t.Logf("state sync: snapshot of height %d, earliest block %d", j.SnapshotHeight, earliest)

	// In the validator set, as the others see it, and bonded.
	h, err := nodeHeight(ctx, charite, st.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	var vs struct {
		Validators []struct {
			Address     string `json:"address"`
			VotingPower string `json:"voting_power"`
		} `json:"validators"`
	}
	if err := rpcGet(ctx, fmt.Sprintf("%s/validators?height=%d", charite.RPC(), h), &vs); err != nil {
		t.Fatal(err)
	}
	inSet := false
	for _, v := range vs.Validators {
		inSet = inSet || strings.EqualFold(v.Address, j.ConsAddress)
	}
	if !inSet || len(vs.Validators) != 5 {
		t.Fatalf("validator set at height %d: %+v; want the four and %s", h, vs.Validators, j.ConsAddress)
	}
	valoper, _ := ValoperAddress(j.Address)
	var val struct {
		Validator struct {
			Status string `json:"status"`
			Jailed bool   `json:"jailed"`
		} `json:"validator"`
	}
	c.queryJSON(&val, "query", "staking", "validator", valoper)
	if val.Validator.Status != "BOND_STATUS_BONDED" || val.Validator.Jailed {
		t.Fatalf("validator %s: %+v, want bonded", valoper, val.Validator)
	}

	// The same app hash as the others, a few blocks after it joined.
	five, err := ReadState(network.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(five.Nodes) != 5 || five.Nodes[4].Name != "royal-london" {
		t.Fatalf("the network's state lists %d nodes after the join", len(five.Nodes))
	}
	at := waitHeight(ctx, t, five, h+3)
	appHash, err := compareAppHashes(ctx, five, at)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all five nodes at height %d: app hash %s", at, appHash)

	// Its vault holds what is placed on it, and serves it back whole.
	newVault := "http://" + hostPort(j.Node.Ports.Vault)
	for _, m := range []string{"vault_missing_live_cids", "vault_under_replicated"} {
		if v := metricOf(newVault, m); v != "0" {
			t.Errorf("%s of the new vault: %q, want 0", m, v)
		}
	}
	mine := 0
	for _, r := range recs {
		var rs struct {
			Replicas []struct {
				VaultURL string `json:"vault_url"`
				Holds    bool   `json:"holds"`
			} `json:"replicas"`
		}
		stdout, stderr, err := c.b.run(ctx, "", c.qflags("query", "records", "replicas", r.id, "--from", "alice", "--output", "json")...)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(stdout, &rs); err != nil {
			t.Fatalf("replicas %s: %s %s", r.id, stdout, stderr)
		}
		for _, p := range rs.Replicas {
			if p.VaultURL != newVault {
				continue
			}
			mine++
			if !p.Holds {
				t.Errorf("record %s is placed on the new vault, which does not hold it", r.id)
			}
			got, err := c.download("alice", newVault, r.id)
			if err != nil || !bytes.Equal(got, r.data) {
				t.Errorf("record %s from the new vault: %d bytes, want the %d uploaded (%v)", r.id, len(got), len(r.data), err)
			}
		}
	}
	if mine == 0 {
		t.Fatal("placement put none of the records on the new hospital; the test proves nothing about its vault")
	}
	t.Logf("the new vault holds the %d records placed on it (%s bytes fetched)", mine, metricOf(newVault, "vault_repair_bytes_total"))

	// The next Run starts all five.
	if err := j.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := network.run.stop(); err != nil {
		t.Fatal(err)
	}
	ready, run := startRun(ctx, t, Options{Binary: bin, Dir: network.dir, Out: &testWriter{t: t}, StartTimeout: 60 * time.Second})
	if len(ready.PIDs) != 5 {
		t.Fatalf("Run started %d nodes after the join, want 5", len(ready.PIDs))
	}
	if err := run.stop(); err != nil {
		t.Fatal(err)
	}
}
