//go:build e2e

package system

import (
	"encoding/json"
	"github.com/medchain/medchain/testutil/system"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSingleNodeChainTransfersAndResumes is the smallest useful medchain:
// one validator commits blocks, a bank transfer sent from the CLI lands and
// shows in the receiver's balance, and a node stopped with SIGTERM resumes
// from its last committed block instead of starting over.
func TestSingleNodeChainTransfersAndResumes(t *testing.T) {
	n := newNode(t)
	n.Start()

	bob := n.AddKey("bob")
	out := system.MustRun(t, n.Bin, "tx", "bank", "send", "alice", bob, "12345umed",
		"--chain-id", n.ChainID, "--node", n.RPC, "--home", n.Home,
		"--keyring-backend", "test", "--yes", "--output", "json")
	var broadcast struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(out), &broadcast); err != nil {
		t.Fatalf("tx -o json printed %q: %v", out, err)
	}
	if broadcast.Code != 0 {
		t.Fatalf("bank send rejected at CheckTx: code %d: %s", broadcast.Code, broadcast.RawLog)
	}
	if code, log, _ := n.WaitForTxResult(broadcast.TxHash); code != 0 {
		t.Fatalf("bank send failed in the block: code %d: %s", code, log)
	}

	if got := balance(t, n, bob); got != "12345" {
		t.Fatalf("bob's balance after the transfer = %s umed, want 12345", got)
	}

	before := n.WaitForHeight(3, 30*time.Second)
	n.Stop()
	n.Start()
	after := n.Height()
	if after < before {
		t.Fatalf("after a restart the node reports height %d, below the %d it had committed: it did not resume", after, before)
	}
	if got := balance(t, n, bob); got != "12345" {
		t.Fatalf("bob's balance after the restart = %s umed, want 12345", got)
	}
	n.WaitForHeight(after+1, 30*time.Second)

	// An operator can export the state of a stopped node as a genesis file
	// that validates, e.g. to restart the consortium from it.
	n.Stop()
	exported := system.MustRun(t, n.Bin, "export", "--home", n.Home)
	var doc struct {
		ChainID       string                     `json:"chain_id"`
		InitialHeight int64                      `json:"initial_height"`
		AppState      map[string]json.RawMessage `json:"app_state"`
	}
	if err := json.Unmarshal([]byte(exported), &doc); err != nil {
		t.Fatalf("export did not print a JSON genesis: %v\n%s", err, system.Tail(exported, 20))
	}
	if doc.ChainID != n.ChainID || doc.InitialHeight <= after {
		t.Fatalf("exported chain %q at initial height %d, want %q above %d", doc.ChainID, doc.InitialHeight, n.ChainID, after)
	}
	for _, module := range []string{"auth", "bank", "staking", "gov", "feegrant", "authz", "nft", "issuers", "records"} {
		if _, ok := doc.AppState[module]; !ok {
			t.Errorf("exported genesis has no %s state", module)
		}
	}
	exportFile := filepath.Join(t.TempDir(), "exported.json")
	if err := os.WriteFile(exportFile, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	system.MustRun(t, n.Bin, "genesis", "validate", exportFile, "--home", n.Home)
}

func balance(t *testing.T, n *node, addr string) string {
	t.Helper()
	out := system.MustRun(t, n.Bin, "query", "bank", "balance", addr, "umed", "--node", n.RPC, "--output", "json")
	var resp struct {
		Balance struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("query bank balance -o json printed %q: %v", out, err)
	}
	if resp.Balance.Denom != "umed" {
		t.Fatalf("balance denom = %q, want umed (output %s)", resp.Balance.Denom, out)
	}
	return resp.Balance.Amount
}

// TestBadInputIsRefusedWithAClearMessage checks that an operator's mistakes
// end medchaind with a non-zero exit and a message that names the problem.
func TestBadInputIsRefusedWithAClearMessage(t *testing.T) {
	bin := system.Binary(t)

	t.Run("unknown flag", func(t *testing.T) {
		r := system.Run(t, bin, "start", "--no-such-flag")
		if r.Err == nil {
			t.Fatal("medchaind start --no-such-flag exited 0")
		}
		if !strings.Contains(r.Combined(), "unknown flag: --no-such-flag") {
			t.Fatalf("message does not name the bad flag:\n%s", r.Combined())
		}
	})

	t.Run("home without a chain", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "missing")
		r := system.Run(t, bin, "start", "--home", home)
		if r.Err == nil {
			t.Fatal("medchaind start on an empty home exited 0")
		}
		if !strings.Contains(r.Combined(), "genesis.json") {
			t.Fatalf("message does not say the genesis file is missing:\n%s", r.Combined())
		}
	})

	t.Run("malformed genesis", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "node")
		system.MustRun(t, bin, "init", "broken", "--chain-id", system.TestChainID, "--home", home)
		genesis := filepath.Join(home, "config", "genesis.json")
		if err := os.WriteFile(genesis, []byte(`{"chain_id": "x", "app_state": {`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := system.Run(t, bin, "genesis", "validate", "--home", home)
		if r.Err == nil {
			t.Fatal("genesis validate accepted a truncated genesis file")
		}
		if !strings.Contains(r.Combined(), "genesis") {
			t.Fatalf("message does not point at the genesis file:\n%s", r.Combined())
		}
		r = system.Run(t, bin, "start", "--home", home)
		if r.Err == nil {
			t.Fatal("start accepted a truncated genesis file")
		}
	})

	t.Run("home from the environment", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "client")
		out := system.MustRun(t, bin, "keys", "add", "patient", "--keyring-backend", "test", "--home", home, "--output", "json")
		var key struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal([]byte(out), &key); err != nil {
			t.Fatal(err)
		}
		r := system.RunWithEnv(t, bin, []string{"MEDCHAIN_HOME=" + home, "MEDCHAIN_KEYRING_BACKEND=test"}, "keys", "show", "patient", "-a")
		if r.Err != nil || strings.TrimSpace(r.Stdout) != key.Address {
			t.Fatalf("MEDCHAIN_HOME was not used: want %s, got %q (%v)", key.Address, r.Combined(), r.Err)
		}
	})

	t.Run("json output", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "keys")
		out := system.MustRun(t, bin, "keys", "add", "k", "--keyring-backend", "test", "--home", home, "--output", "json")
		var key struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal([]byte(out), &key); err != nil || !strings.HasPrefix(key.Address, "med1") {
			t.Fatalf("keys add -o json: want a med1… address, got %q (%v)", out, err)
		}
	})
}

// TestTestnetInitFilesWritesAValidHospitalNetwork: `medchaind testnet
// init-files` writes one home per validator whose genesis validates and
// registers every validator as an active hospital, so the network can start.
func TestTestnetInitFilesWritesAValidHospitalNetwork(t *testing.T) {
	bin := system.Binary(t)
	dir := filepath.Join(t.TempDir(), "testnet")
	system.MustRun(t, bin, "testnet", "init-files", "--v", "2", "--output-dir", dir, "--port-base", "23000")
	for _, name := range []string{"hospital-0", "hospital-1"} {
		home := filepath.Join(dir, name)
		system.MustRun(t, bin, "genesis", "validate", "--home", home)
		data, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		var genesis struct {
			AppState struct {
				Issuers struct {
					Issuers []struct {
						Kind   string `json:"kind"`
						Status string `json:"status"`
					} `json:"issuers"`
				} `json:"issuers"`
				Genutil struct {
					GenTxs []json.RawMessage `json:"gen_txs"`
				} `json:"genutil"`
			} `json:"app_state"`
		}
		if err := json.Unmarshal(data, &genesis); err != nil {
			t.Fatal(err)
		}
		if n := len(genesis.AppState.Issuers.Issuers); n != 2 {
			t.Fatalf("%s: genesis registers %d issuers, want the 2 hospitals", name, n)
		}
		for _, is := range genesis.AppState.Issuers.Issuers {
			if is.Kind != "ISSUER_KIND_HOSPITAL" || is.Status != "ISSUER_STATUS_ACTIVE" {
				t.Fatalf("%s: issuer %+v is not an active hospital", name, is)
			}
		}
		if n := len(genesis.AppState.Genutil.GenTxs); n != 2 {
			t.Fatalf("%s: genesis has %d gentxs, want 2", name, n)
		}
	}
	r := system.Run(t, bin, "testnet", "init-files", "--v", "2", "--output-dir", dir)
	if r.Err == nil || !strings.Contains(r.Combined(), "not empty") {
		t.Fatalf("init-files over an existing network: want a refusal, got %v: %s", r.Err, r.Combined())
	}
}
