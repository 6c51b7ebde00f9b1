//go:build e2e

package system

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// txResult is the outcome of a transaction: rejected at CheckTx or executed
// in a block.
type txResult struct {
	Code   int
	RawLog string
	Height int64
}

// tx signs and broadcasts `medchaind tx ARGS` from the key `from` and waits
// for the block that executes it. Gas is fixed rather than simulated so that
// a message the chain refuses is refused by the block's execution itself,
// not merely by the client's simulation.
func (n *node) tx(from string, args ...string) txResult {
	n.t.Helper()
	full := append(args, "--from", from, "--chain-id", n.chainID, "--node", n.rpc, "--home", n.home,
		"--keyring-backend", "test", "--gas", "600000", "--yes", "--output", "json")
	r := run(n.t, n.bin, append([]string{"tx"}, full...)...)
	if r.err != nil {
		// Signing failed before anything reached the chain.
		return txResult{Code: -1, RawLog: r.combined()}
	}
	var broadcast struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &broadcast); err != nil {
		n.t.Fatalf("tx %s -o json printed %q: %v", strings.Join(args, " "), r.stdout, err)
	}
	if broadcast.Code != 0 {
		return txResult{Code: broadcast.Code, RawLog: broadcast.RawLog}
	}
	code, log, height := n.waitForTxResult(broadcast.TxHash)
	return txResult{Code: code, RawLog: log, Height: height}
}

// broadcastTogether signs and sends several `medchaind tx` commands at
// once, each given as {from, args...}, and returns their hashes as soon as
// the node has accepted them into the mempool, without waiting for a
// block: so that they usually land in the same block.
func (n *node) broadcastTogether(txs ...[]string) []string {
	n.t.Helper()
	results := make([]result, len(txs))
	var wg sync.WaitGroup
	for i, spec := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			full := append(append([]string{"tx"}, spec[1:]...), "--from", spec[0], "--chain-id", n.chainID, "--node", n.rpc,
				"--home", n.home, "--keyring-backend", "test", "--gas", "600000", "--yes", "--output", "json")
			results[i] = run(n.t, n.bin, full...)
		}()
	}
	wg.Wait()
	hashes := make([]string, len(txs))
	for i, r := range results {
		var res struct {
			Code   int    `json:"code"`
			TxHash string `json:"txhash"`
			RawLog string `json:"raw_log"`
		}
		if r.err != nil || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Code != 0 {
			n.t.Fatalf("tx %s: %v code %d: %s %s", strings.Join(txs[i], " "), r.err, res.Code, res.RawLog, r.combined())
		}
		hashes[i] = res.TxHash
	}
	return hashes
}

// mustTx is tx that fails the test unless the transaction succeeds.
func (n *node) mustTx(from string, args ...string) txResult {
	n.t.Helper()
	res := n.tx(from, args...)
	if res.Code != 0 {
		n.t.Fatalf("tx %s --from %s failed: code %d: %s", strings.Join(args, " "), from, res.Code, res.RawLog)
	}
	return res
}

func (n *node) waitForTxResult(hash string) (code int, rawLog string, height int64) {
	n.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := run(n.t, n.bin, "query", "tx", hash, "--node", n.rpc, "--output", "json")
		if r.err == nil {
			var tx struct {
				Code   int    `json:"code"`
				RawLog string `json:"raw_log"`
				Height string `json:"height"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &tx); err != nil {
				n.t.Fatalf("query tx -o json printed %q: %v", r.stdout, err)
			}
			h, _ := strconv.ParseInt(tx.Height, 10, 64)
			return tx.Code, tx.RawLog, h
		}
		time.Sleep(300 * time.Millisecond)
	}
	n.t.Fatalf("transaction %s was not included within 30s", hash)
	return 0, "", 0
}

// query runs `medchaind query ARGS -o json` and decodes the answer into out.
func (n *node) query(out any, args ...string) {
	n.t.Helper()
	stdout := mustRun(n.t, n.bin, append(append([]string{"query"}, args...), "--node", n.rpc, "--output", "json")...)
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		n.t.Fatalf("query %s -o json printed %q: %v", strings.Join(args, " "), stdout, err)
	}
}

// passProposal submits a governance proposal with `medchaind tx
// SUBMIT-ARGS` (a command that builds a proposal, such as `issuers
// register-issuer ...`), votes yes with the only validator and waits until
// the proposal has passed and so executed.
func (n *node) passProposal(title string, submitArgs ...string) {
	n.t.Helper()
	n.mustTx("val", append(submitArgs, "--title", title, "--summary", title, "--deposit", "1000000umed")...)

	var proposals struct {
		Proposals []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"proposals"`
	}
	n.query(&proposals, "gov", "proposals")
	id := ""
	for _, p := range proposals.Proposals {
		if p.Title == title {
			id = p.ID
		}
	}
	if id == "" {
		n.t.Fatalf("proposal %q not found after submission", title)
	}
	n.mustTx("val", "gov", "vote", id, "yes")

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var resp struct {
			Proposal struct {
				Status       string `json:"status"`
				FailedReason string `json:"failed_reason"`
			} `json:"proposal"`
		}
		n.query(&resp, "gov", "proposal", id)
		switch resp.Proposal.Status {
		case "PROPOSAL_STATUS_PASSED":
			return
		case "PROPOSAL_STATUS_REJECTED", "PROPOSAL_STATUS_FAILED":
			n.t.Fatalf("proposal %s %q ended %s: %s", id, title, resp.Proposal.Status, resp.Proposal.FailedReason)
		}
		time.Sleep(500 * time.Millisecond)
	}
	n.t.Fatalf("proposal %s %q did not pass within 60s", id, title)
}

// fund sends coins from alice so that a new key has an account on chain.
func (n *node) fund(addr string) {
	n.t.Helper()
	n.mustTx("alice", "bank", "send", "alice", addr, "10000000umed")
}

// consensusPubKey makes a fresh consensus key, as a new validator's node
// would have, and returns it in the JSON form create-validator takes.
func (n *node) consensusPubKey() json.RawMessage {
	n.t.Helper()
	home := filepath.Join(n.t.TempDir(), "validator")
	mustRun(n.t, n.bin, "init", "candidate", "--chain-id", n.chainID, "--home", home)
	return json.RawMessage(strings.TrimSpace(mustRun(n.t, n.bin, "comet", "show-validator", "--home", home)))
}

// validatorFile writes the create-validator JSON for a self-bond of amount.
func (n *node) validatorFile(moniker, amount string) string {
	n.t.Helper()
	v := map[string]any{
		"pubkey":                     n.consensusPubKey(),
		"amount":                     amount,
		"moniker":                    moniker,
		"commission-rate":            "0.1",
		"commission-max-rate":        "0.2",
		"commission-max-change-rate": "0.01",
		"min-self-delegation":        "1",
	}
	data, err := json.Marshal(v)
	if err != nil {
		n.t.Fatal(err)
	}
	file := filepath.Join(n.t.TempDir(), fmt.Sprintf("%s-validator.json", moniker))
	if err := os.WriteFile(file, data, 0o600); err != nil {
		n.t.Fatal(err)
	}
	return file
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func writeTemp(t interface {
	TempDir() string
	Fatal(...any)
}, name, content string) string {
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// valoperOf returns the validator operator address of an account.
func valoperOf(t interface{ Fatal(...any) }, account string) string {
	_, bz, err := bech32.DecodeAndConvert(account)
	if err != nil {
		t.Fatal(err)
	}
	valoper, err := bech32.ConvertAndEncode("medvaloper", bz)
	if err != nil {
		t.Fatal(err)
	}
	return valoper
}

// validatorJailed reports whether the validator is jailed at height (0 for
// the latest).
func (n *node) validatorJailed(valoper string, height int64) bool {
	n.t.Helper()
	args := []string{"staking", "validator", valoper}
	if height > 0 {
		args = append(args, "--height", itoa(height))
	}
	var resp struct {
		Validator struct {
			Jailed bool `json:"jailed"`
		} `json:"validator"`
	}
	n.query(&resp, args...)
	return resp.Validator.Jailed
}
