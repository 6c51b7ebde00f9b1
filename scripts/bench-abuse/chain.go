package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/medchain/medchain/envelope/sizeclass"
	"github.com/medchain/medchain/internal/abuse"
	"github.com/medchain/medchain/vault"
)

// chain sends the attacks that are transactions, not vault requests: the
// medchaind CLI against the localnet, as an attacker with a funded account
// and the CLI would. A message the CLI never builds goes in a hand-built
// transaction (a bank send generated unsigned, its message swapped, as
// tests/system handTx does), signed offline with consecutive sequences
// and broadcast without waiting for a block, so that a burst lands in a
// few blocks; then every transaction's block result is read.
type chain struct {
	bin, home, chainID string
	node               string // CometBFT RPC, tcp://HOST:PORT
	vault              string // a vault that signs upload receipts
	dir                string // scratch files
	deadline           time.Duration
}

// cli runs medchaind and returns its standard output.
func (c *chain) cli(args ...string) ([]byte, error) {
	cmd := exec.Command(c.bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("medchaind %s: %v: %s", strings.Join(args[:min(len(args), 3)], " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (c *chain) keyring() []string { return []string{"--home", c.home, "--keyring-backend", "test"} }

func (c *chain) addr(key string) (string, error) {
	out, err := c.cli(append([]string{"keys", "show", key, "-a"}, c.keyring()...)...)
	return strings.TrimSpace(string(out)), err
}

// query runs `medchaind query ARGS -o json` into v.
func (c *chain) query(v any, args ...string) error {
	out, err := c.cli(append(append([]string{"query"}, args...), "--node", c.node, "-o", "json")...)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, v)
}

// upload stores data in the vault with an upload ticket of key and
// returns the vault's answer, which must carry a receipt.
func (c *chain) upload(ctx context.Context, key string, data []byte) (vault.UploadResponse, error) {
	out, err := c.cli(append([]string{"vault", "ticket", "--purpose", "upload", "--size", strconv.Itoa(len(data) + len(data)/8 + 4096),
		"--from", key, "--vault", c.vault, "--chain-id", c.chainID}, c.keyring()...)...)
	if err != nil {
		return vault.UploadResponse{}, err
	}
	vc := vault.NewClient(c.vault, &http.Client{Timeout: 30 * time.Second})
	vc.UploadHeader = func() (http.Header, error) {
		return http.Header{"X-Medchain-Ticket": {strings.TrimSpace(string(out))}}, nil
	}
	up, err := vc.UploadFile(ctx, bytes.NewReader(data))
	if err == nil && up.Receipt == nil {
		err = fmt.Errorf("the vault %s signed no upload receipt (start it with --hospital-key)", c.vault)
	}
	return up, err
}

// randomUpload uploads size random bytes as key.
func (c *chain) randomUpload(ctx context.Context, key string, size int) (vault.UploadResponse, error) {
	data := make([]byte, size)
	_, _ = rand.Read(data)
	return c.upload(ctx, key, data)
}

// wrap is grantee's wrap of record id, bound to record forRecord: a wrap
// of the right shape for a hand-built MsgCreateRecord.
func (c *chain) wrap(id uint64, grantee string, forRecord uint64) (map[string]any, error) {
	var check struct {
		Wrap *struct {
			KeyID      string `json:"key_id"`
			Ciphertext string `json:"ciphertext"`
			KeyEpoch   string `json:"key_epoch"`
		} `json:"wrap"`
	}
	if err := c.query(&check, "access", "check", strconv.FormatUint(id, 10), grantee); err != nil {
		return nil, err
	}
	if check.Wrap == nil {
		return nil, fmt.Errorf("%s has no wrap of record %d", grantee, id)
	}
	w := map[string]any{"grantee": grantee, "key_id": check.Wrap.KeyID, "ciphertext": check.Wrap.Ciphertext,
		"record_id": strconv.FormatUint(forRecord, 10)}
	if check.Wrap.KeyEpoch != "" { // the CLI's amino JSON leaves a zero out
		w["key_epoch"] = check.Wrap.KeyEpoch
	}
	return w, nil
}

func (c *chain) nextID() (uint64, error) {
	var next struct {
		ID string `json:"id"`
	}
	if err := c.query(&next, "records", "next-id"); err != nil {
		return 0, err
	}
	return strconv.ParseUint(next.ID, 10, 64)
}

// account is addr's account number and next sequence.
func (c *chain) account(addr string) (number, sequence uint64, err error) {
	var v any
	if err := c.query(&v, "auth", "account", addr); err != nil {
		return 0, 0, err
	}
	// The account is an Any, printed nested; find its two fields.
	var walk func(any)
	found := 0
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				s, _ := x.(string)
				switch k {
				case "account_number":
					number, _ = strconv.ParseUint(s, 10, 64)
					found++
				case "sequence":
					sequence, _ = strconv.ParseUint(s, 10, 64)
					found++
				default:
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	if found == 0 { // a zero may be left out, not both
		return 0, 0, fmt.Errorf("query auth account %s printed no account_number or sequence", addr)
	}
	return number, sequence, nil
}

// outcome is one transaction's fate: CheckTx's refusal, or its block's.
type outcome struct {
	code int
	log  string
}

// sendAll sends each message in a transaction of its own from key, in
// order, and returns how each ended. Transactions that pass CheckTx take
// consecutive sequences, so all are in the mempool at once; a refusal in
// a block still spends its sequence, one at CheckTx does not.
func (c *chain) sendAll(ctx context.Context, key string, msgs []map[string]any) ([]outcome, error) {
	from, err := c.addr(key)
	if err != nil {
		return nil, err
	}
	number, seq, err := c.account(from)
	if err != nil {
		return nil, err
	}
	unsigned, err := c.cli(append([]string{"tx", "bank", "send", from, from, "1umed", "--generate-only", "--from", from,
		"--chain-id", c.chainID, "--node", c.node, "--gas", "800000"}, c.keyring()...)...)
	if err != nil {
		return nil, err
	}
	outcomes := make([]outcome, len(msgs))
	hashes := make([]string, len(msgs))
	stop := time.Now().Add(c.deadline)
	for i, msg := range msgs {
		if time.Now().After(stop) {
			outcomes = outcomes[:i]
			break
		}
		var tx map[string]any
		if err := json.Unmarshal(unsigned, &tx); err != nil {
			return nil, fmt.Errorf("generate-only printed %q: %w", unsigned, err)
		}
		tx["body"].(map[string]any)["messages"] = []any{msg}
		data, _ := json.Marshal(tx)
		path := filepath.Join(c.dir, "unsigned.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
		signed, err := c.cli(append([]string{"tx", "sign", path, "--from", key, "--chain-id", c.chainID, "--offline",
			"--account-number", strconv.FormatUint(number, 10), "--sequence", strconv.FormatUint(seq, 10)}, c.keyring()...)...)
		if err != nil {
			return nil, err
		}
		spath := filepath.Join(c.dir, "signed.json")
		if err := os.WriteFile(spath, signed, 0o600); err != nil {
			return nil, err
		}
		out, err := c.cli("tx", "broadcast", spath, "--node", c.node, "--output", "json")
		if err != nil {
			outcomes[i] = outcome{code: -1, log: err.Error()}
			continue
		}
		var b struct {
			Code   int    `json:"code"`
			TxHash string `json:"txhash"`
			RawLog string `json:"raw_log"`
		}
		if err := json.Unmarshal(out, &b); err != nil {
			return nil, fmt.Errorf("tx broadcast printed %q: %w", out, err)
		}
		if b.Code != 0 {
			outcomes[i] = outcome{code: b.Code, log: b.RawLog}
			continue
		}
		hashes[i] = b.TxHash
		seq++
	}
	// Every accepted transaction's block result, from the node's RPC.
	rpc := "http://" + strings.TrimPrefix(c.node, "tcp://")
	wait := time.Now().Add(90 * time.Second)
	for i := range outcomes {
		if hashes[i] == "" {
			continue
		}
		for {
			code, log, ok := txResult(ctx, rpc, hashes[i])
			if ok {
				outcomes[i] = outcome{code: code, log: log}
				break
			}
			if time.Now().After(wait) {
				outcomes[i] = outcome{code: -1, log: "not in a block within 90s"}
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	return outcomes, nil
}

// txResult reads a committed transaction's code and log from CometBFT.
func txResult(ctx context.Context, rpc, hash string) (int, string, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rpc+"/tx?hash=0x"+hash, nil)
	if err != nil {
		return 0, "", false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", false
	}
	defer resp.Body.Close()
	var r struct {
		Result *struct {
			TxResult struct {
				Code int    `json:"code"`
				Log  string `json:"log"`
			} `json:"tx_result"`
		} `json:"result"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Result == nil {
		return 0, "", false
	}
	return r.Result.TxResult.Code, r.Result.TxResult.Log, true
}

// tally counts outcomes as a Result: code 0 accepted, anything else
// refused; Statuses are by ABCI code (-1: no answer). A refusal whose log
// lacks want is reported, since it was refused for another reason than
// the one the attack tests.
func tally(name string, outs []outcome, want string) abuse.Result {
	r := abuse.Result{Attack: name, Statuses: map[int]int{}}
	for _, o := range outs {
		r.Sent++
		r.Statuses[o.code]++
		if o.code == 0 {
			r.Accepted++
			continue
		}
		r.Refused++
		if want != "" && !strings.Contains(o.log, want) {
			fmt.Fprintf(os.Stderr, "bench-abuse: %s: refused, but not for %q: code %d: %s\n", name, want, o.code, o.log)
		}
		if r.Sample == "" {
			r.Sample = strings.TrimPrefix(o.log, "failed to execute message; message index: 0: ")
			if len(r.Sample) > 200 {
				r.Sample = r.Sample[:200] + "…"
			}
		}
	}
	return r
}

// failed is a row for an attack that could not be set up.
func failed(name string, err error) []abuse.Result {
	fmt.Fprintf(os.Stderr, "bench-abuse: %s: %v\n", name, err)
	return []abuse.Result{{Attack: name + " (not run: " + err.Error() + ")"}}
}

// FrontRunning: alice uploads rounds payloads to the receipt-signing
// vault, and before she registers them bob (who saw the CIDs, in the
// mempool say) sends MsgCreateRecord naming each in a record of his own,
// once without a receipt and once with alice's. Then alice registers
// each. Bob's record bobRecord lends his messages a wrap of the right
// shape, alice's aliceRecord hers.
func (c *chain) FrontRunning(ctx context.Context, rounds int, alice, bob string, aliceRecord, bobRecord uint64) []abuse.Result {
	const name = "front-running"
	aliceAddr, err := c.addr(alice)
	if err != nil {
		return failed(name, err)
	}
	bobAddr, err := c.addr(bob)
	if err != nil {
		return failed(name, err)
	}
	const size = 8 << 10
	ups := make([]vault.UploadResponse, rounds)
	for i := range ups {
		if ups[i], err = c.randomUpload(ctx, alice, size); err != nil {
			return failed(name, err)
		}
	}
	bobWrap, err := c.wrap(bobRecord, bobAddr, 0)
	if err != nil {
		return failed(name, err)
	}
	create := func(owner string, up vault.UploadResponse, w map[string]any, receipt *vault.Receipt) map[string]any {
		m := map[string]any{
			"@type": "/medchain.records.v1.MsgCreateRecord", "creator": owner, "owner": owner, "cid": up.CID,
			"kind": "RECORD_KIND_OTHER", "size_bytes": strconv.FormatUint(sizeclass.Padme(size), 10), "derived_from": "0",
			"wraps": []any{w},
		}
		if receipt != nil {
			m["receipt"] = receipt
		}
		return m
	}
	next, err := c.nextID()
	if err != nil {
		return failed(name, err)
	}
	var bare, copied []map[string]any
	for _, up := range ups {
		w := map[string]any{}
		for k, v := range bobWrap {
			w[k] = v
		}
		w["record_id"] = strconv.FormatUint(next, 10) // the id his record would get
		bare = append(bare, create(bobAddr, up, w, nil))
		copied = append(copied, create(bobAddr, up, w, up.Receipt))
	}
	bareOut, err := c.sendAll(ctx, bob, bare)
	if err != nil {
		return failed(name, err)
	}
	copiedOut, err := c.sendAll(ctx, bob, copied)
	if err != nil {
		return failed(name, err)
	}
	// Alice's own messages, after bob's: record ids follow on from next.
	if next, err = c.nextID(); err != nil {
		return failed(name, err)
	}
	var own []map[string]any
	for i, up := range ups {
		w, err := c.wrap(aliceRecord, aliceAddr, next+uint64(i))
		if err != nil {
			return failed(name, err)
		}
		own = append(own, create(aliceAddr, up, w, up.Receipt))
	}
	ownOut, err := c.sendAll(ctx, alice, own)
	if err != nil {
		return failed(name, err)
	}
	return []abuse.Result{
		tally("front-running: bob's MsgCreateRecord naming alice's unregistered CID, no receipt", bareOut, "needs the receipt"),
		tally("front-running: the same with alice's receipt", copiedOut, "does not vouch that "+bobAddr),
		tally("alice's own MsgCreateRecord of each CID, after bob's (honest: all accepted)", ownOut, ""),
	}
}

// VersionFlood: writer, a hospital holding WRITE on record (not its
// owner), uploads payloads to the receipt-signing vault and adds a
// version with each, until the record holds max_versions_per_record
// versions and then extra more.
func (c *chain) VersionFlood(ctx context.Context, writer string, record uint64, extra int) []abuse.Result {
	const name = "version flood"
	writerAddr, err := c.addr(writer)
	if err != nil {
		return failed(name, err)
	}
	var params struct {
		Params struct {
			MaxVersions json.Number `json:"max_versions_per_record"`
		} `json:"params"`
	}
	if err := c.query(&params, "records", "params"); err != nil {
		return failed(name, err)
	}
	limit, err := params.Params.MaxVersions.Int64()
	if err != nil {
		return failed(name, fmt.Errorf("params max_versions_per_record %q: %w", params.Params.MaxVersions, err))
	}
	var rec struct {
		Record struct {
			Version  json.Number `json:"version"`
			KeyEpoch json.Number `json:"key_epoch"`
		} `json:"record"`
	}
	if err := c.query(&rec, "records", "record", strconv.FormatUint(record, 10)); err != nil {
		return failed(name, err)
	}
	version, _ := rec.Record.Version.Int64()
	epoch := string(rec.Record.KeyEpoch)
	if epoch == "" {
		epoch = "0"
	}
	room := max(int(limit-version), 0)
	const size = 1 << 10
	var msgs []map[string]any
	for range room + extra {
		up, err := c.randomUpload(ctx, writer, size)
		if err != nil {
			return failed(name, err)
		}
		msgs = append(msgs, map[string]any{
			"@type": "/medchain.records.v1.MsgAddVersion", "creator": writerAddr, "record_id": strconv.FormatUint(record, 10),
			"cid": up.CID, "size_bytes": strconv.FormatUint(sizeclass.Padme(size), 10), "key_epoch": epoch,
			"receipt": up.Receipt,
		})
	}
	outs, err := c.sendAll(ctx, writer, msgs)
	if err != nil {
		return failed(name, err)
	}
	filling := outs[:min(room, len(outs))]
	past := outs[len(filling):]
	return []abuse.Result{
		tally(fmt.Sprintf("a WRITE grantee hospital's versions up to max_versions_per_record (%d; allowed)", limit), filling, ""),
		tally(fmt.Sprintf("the same hospital's versions past max_versions_per_record (%d)", limit), past, "max_versions_per_record"),
	}
}
