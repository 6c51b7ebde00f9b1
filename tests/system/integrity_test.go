//go:build e2e

package system

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/envelope/sizeclass"
	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/vault"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// handTx sends a message the CLI would never build, the way an attacker
// with a funded account does: a bank send generated unsigned, its message
// swapped for msg (proto JSON), signed with `tx sign` and sent with `tx
// broadcast`. It returns the outcome of the block (or of CheckTx).
func (n *node) handTx(from string, msg map[string]any) system.TxResult {
	n.T.Helper()
	addr := n.Address(from)
	unsigned := system.MustRun(n.T, n.Bin, "tx", "bank", "send", addr, addr, "1umed", "--generate-only", "--from", from,
		"--chain-id", n.ChainID, "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test", "--gas", "800000")
	var tx map[string]any
	if err := json.Unmarshal([]byte(unsigned), &tx); err != nil {
		n.T.Fatalf("generate-only printed %q: %v", unsigned, err)
	}
	tx["body"].(map[string]any)["messages"] = []any{msg}
	data, err := json.Marshal(tx)
	if err != nil {
		n.T.Fatal(err)
	}
	dir := n.T.TempDir()
	unsignedPath := filepath.Join(dir, "unsigned.json")
	if err := os.WriteFile(unsignedPath, data, 0o600); err != nil {
		n.T.Fatal(err)
	}
	signed := system.MustRun(n.T, n.Bin, "tx", "sign", unsignedPath, "--from", from, "--chain-id", n.ChainID, "--node", n.RPC,
		"--home", n.Home, "--keyring-backend", "test")
	signedPath := filepath.Join(dir, "signed.json")
	if err := os.WriteFile(signedPath, []byte(signed), 0o600); err != nil {
		n.T.Fatal(err)
	}
	out := system.MustRun(n.T, n.Bin, "tx", "broadcast", signedPath, "--node", n.RPC, "--output", "json")
	var b struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		n.T.Fatalf("tx broadcast printed %q: %v", out, err)
	}
	if b.Code != 0 {
		return system.TxResult{Code: b.Code, RawLog: b.RawLog}
	}
	code, log, height := n.WaitForTxResult(b.TxHash)
	return system.TxResult{Code: code, RawLog: log, Height: height}
}

// requireRefused fails unless r was refused with an error containing want.
func requireRefused(t *testing.T, what string, r system.TxResult, want string) {
	t.Helper()
	if r.Code == 0 || !strings.Contains(r.RawLog, want) {
		t.Fatalf("%s: want a refusal saying %q, got code %d: %s", what, want, r.Code, r.RawLog)
	}
	t.Logf("%s: refused: %s", what, r.RawLog)
}

// wrapOf is the first wrap CheckAccess shows of a record, as proto JSON.
func (n *node) wrapJSON(id uint64, grantee string, recordID uint64, ciphertext []byte) map[string]any {
	n.T.Helper()
	c := n.check(id, grantee)
	if c.Wrap == nil {
		n.T.Fatalf("%s has no wrap of record %d", grantee, id)
	}
	if ciphertext == nil {
		var err error
		if ciphertext, err = base64.StdEncoding.DecodeString(c.Wrap.Ciphertext); err != nil {
			n.T.Fatal(err)
		}
	}
	return map[string]any{"grantee": grantee, "key_id": c.Wrap.KeyID,
		"ciphertext": base64.StdEncoding.EncodeToString(ciphertext), "record_id": strconv.FormatUint(recordID, 10), "key_epoch": c.Wrap.KeyEpoch}
}

// downloadVersion runs `query records download --record-version`.
func (n *node) downloadVersion(from string, id, version uint64, path string) system.Result {
	n.T.Helper()
	return system.Run(n.T, n.Bin, "query", "records", "download", strconv.FormatUint(id, 10), "-o", path, "--record-version",
		strconv.FormatUint(version, 10), "--from", from, "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test",
		"--vault", n.Vault)
}

// metric reads one unlabelled gauge from the vault's /metrics.
func (n *node) metric(name string) float64 {
	n.T.Helper()
	resp, err := http.Get(n.Vault + "/metrics")
	if err != nil {
		n.T.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	for _, line := range strings.Split(body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				n.T.Fatal(err)
			}
			return f
		}
	}
	n.T.Fatalf("the vault's /metrics has no %s", name)
	return 0
}

func (n *node) waitForMetric(name string, want float64, after string) {
	n.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for n.metric(name) != want {
		if time.Now().After(deadline) {
			n.T.Fatalf("after %s %s is %v, want %v", after, name, n.metric(name), want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestNoOneButTheOwnerDestroysARecord tries, on a real node with its
// vault (the access gate on, GC every second with a grace of ten
// seconds), each attack on a patient's payload:
//  1. a stranger's hand-built MsgCreateRecord reusing the patient's CID
//     (which, once accepted, he could redact to make the vault drop it);
//  2. the same stranger reading the payload through the gate with a
//     ticket for his own record;
//  3. a WRITE-only hospital adding a version with wraps of random bytes;
//  4. a payload that reaches the vault after its record's event was
//     applied, then outlives the grace period, a restart and GC;
//  5. front-running: bob copies the CID of alice's upload, not yet
//     registered, into a record of his own, with no receipt and then with
//     alice's; neither lands, and alice's own message then does.
func TestNoOneButTheOwnerDestroysARecord(t *testing.T) {
	n := newNode(t)
	n.EditConfig("app.toml", map[string]string{
		`gc-interval = "10m0s"`:       `gc-interval = "1s"`,
		`gc-grace = "24h0m0s"`:        `gc-grace = "30s"`, // the writer's version below must land within it on a loaded machine
		`reconcile-interval = "1m0s"`: `reconcile-interval = "1s"`,
	})
	n.Start()
	ctx := context.Background()
	alice, hospital := n.Address("alice"), n.Address("val")
	bob := n.AddKey("bob")
	n.Fund(bob)
	for _, k := range []string{"alice", "bob", "val"} {
		n.MustTx(k, "access", "register-key")
	}
	scan, scanBytes := dicomFile(t, t.TempDir(), 2<<20+77)
	rec, r := n.upload("alice", alice, scan)
	requireSuccess(t, "alice's upload", r)
	n.waitForPinned(rec.CID, true, "alice's upload")
	own, _ := dicomFile(t, t.TempDir(), 10<<10)
	bobs, r := n.upload("bob", bob, own)
	requireSuccess(t, "bob's own upload", r)

	// 1. The hijack: bob's record naming alice's CID, with a wrap of the
	// right length copied from his own record.
	var next struct {
		ID string `json:"id"`
	}
	n.Query(&next, "records", "next-id")
	nextID, _ := strconv.ParseUint(next.ID, 10, 64)
	hijack := map[string]any{
		"@type": "/medchain.records.v1.MsgCreateRecord", "creator": bob, "owner": bob, "cid": rec.CID,
		"kind": "RECORD_KIND_DICOM", "size_bytes": strconv.FormatInt(rec.SizeBytes, 10), "derived_from": "0",
		"wraps": []any{n.wrapJSON(bobs.RecordID, bob, nextID, nil)},
	}
	requireRefused(t, "bob's record with alice's CID", n.handTx("bob", hijack), "CID already belongs to a record version")
	var by struct {
		RecordID string `json:"record_id"`
		Live     bool   `json:"live"`
	}
	n.Query(&by, "records", "by-cid", rec.CID)
	if by.RecordID != strconv.FormatUint(rec.RecordID, 10) || !by.Live {
		t.Fatalf("by-cid %s says %+v, want alice's record %d, live", rec.CID, by, rec.RecordID)
	}
	// 2. The gate serves a CID only for its own record version.
	if s := n.gatedFetch(t, "bob", bobs.RecordID, rec.CID); s != http.StatusForbidden {
		t.Fatalf("bob's ticket for his own record naming alice's CID got HTTP %d", s)
	}

	// Bob's redaction of his own record touches only his own payload.
	n.MustTx("bob", "records", "redact", strconv.FormatUint(bobs.RecordID, 10))
	n.waitForPinned(bobs.CID, false, "bob's redaction")
	if ok, why := n.pinned(rec.CID); !ok {
		t.Fatalf("alice's payload lost its pin after bob's redaction (%q)", why)
	}
	// A released CID can never be used again, not even by its owner.
	hijack["cid"], hijack["wraps"] = bobs.CID, []any{n.wrapJSON(rec.RecordID, alice, nextID, nil)}
	hijack["creator"], hijack["owner"] = alice, alice
	requireRefused(t, "reusing a redacted record's CID", n.handTx("alice", hijack), "released by a redaction")

	// 3. A WRITE-only hospital posts a version with random wraps.
	n.MustTx("alice", "access", "grant", "all", hospital, "--permission", "write", "--purpose", "treatment")
	garbage := make([]byte, 4096)
	_, _ = rand.Read(garbage)
	garbageCID := localCID(t, garbage)
	random := make([]byte, len(n.mustCiphertext(rec.RecordID, alice)))
	_, _ = rand.Read(random)
	addVersion := map[string]any{
		"@type": "/medchain.records.v1.MsgAddVersion", "creator": hospital, "record_id": strconv.FormatUint(rec.RecordID, 10),
		"cid": garbageCID, "size_bytes": "4096", "key_epoch": "0",
		"wraps": []any{n.wrapJSON(rec.RecordID, alice, rec.RecordID, random)},
	}
	requireRefused(t, "a writer replacing alice's wrap with random bytes", n.handTx("val", addVersion), "only the owner may replace the wraps")
	// Without wraps the writer's version lands, and is all it can spoil.
	// Its payload is uploaded only now, so that the version is on chain
	// well inside the grace the vault gives an upload nobody registered.
	garbageUp := n.uploadRaw(t, "val", garbage)
	if garbageUp.CID != garbageCID {
		t.Fatalf("the vault computed %s, the test %s", garbageUp.CID, garbageCID)
	}
	delete(addVersion, "wraps")
	addVersion["receipt"] = garbageUp.Receipt
	if res := n.handTx("val", addVersion); res.Code != 0 {
		t.Fatalf("the writer's version without wraps: code %d: %s", res.Code, res.RawLog)
	}
	out := filepath.Join(t.TempDir(), "v1.dcm")
	requireSuccess(t, "alice's download of version 1 through the gate", n.downloadVersion("alice", rec.RecordID, 1, out))
	requireSameFile(t, out, scanBytes)
	requireFailure(t, "the writer's garbage version", n.download("alice", rec.RecordID, filepath.Join(t.TempDir(), "v2")))

	// 4. A late payload: the record is on chain before its blocks reach
	// the vault, so the follower's pin finds nothing and the vault counts
	// a missing live CID; once the blocks arrive the reconciler pins them,
	// and neither the grace period, GC nor a restart loses them. (On a
	// network this is a payload uploaded to another hospital's vault and
	// replicated here later: the test signs that vault's receipt with the
	// hospital's key.)
	late := make([]byte, 1<<20+5)
	_, _ = rand.Read(late)
	lateCID := localCID(t, late)
	n.Query(&next, "records", "next-id")
	nextID, _ = strconv.ParseUint(next.ID, 10, 64)
	create := map[string]any{
		"@type": "/medchain.records.v1.MsgCreateRecord", "creator": alice, "owner": alice, "cid": lateCID,
		"kind": "RECORD_KIND_OTHER", "size_bytes": strconv.FormatUint(sizeclass.Padme(uint64(len(late))), 10), "derived_from": "0",
		"wraps":   []any{n.wrapJSON(rec.RecordID, alice, nextID, nil)},
		"receipt": n.signReceipt("val", alice, lateCID),
	}
	if res := n.handTx("alice", create); res.Code != 0 {
		t.Fatalf("alice's record of a payload not yet uploaded: code %d: %s", res.Code, res.RawLog)
	}
	n.waitForMetric("vault_missing_live_cids", 1, "a record whose payload is not in the vault")
	uploaded, err := n.vaultClient(t, "alice", len(late)).UploadFile(ctx, bytes.NewReader(late))
	if err != nil {
		t.Fatal(err)
	}
	if uploaded.CID != lateCID {
		t.Fatalf("the vault computed %s, the test %s", uploaded.CID, lateCID)
	}
	n.waitForPinned(lateCID, true, "the late upload")
	n.waitForMetric("vault_missing_live_cids", 0, "the late upload")
	time.Sleep(32 * time.Second) // past gc-grace, several GC runs
	n.Stop()
	n.Start()
	time.Sleep(3 * time.Second) // GC again after the restart
	for _, c := range []string{rec.CID, lateCID} {
		if ok, why := n.pinned(c); !ok {
			t.Fatalf("%s lost its pin (%q)", c, why)
		}
	}
	var fetched bytes.Buffer
	if err := vault.NewClient(n.Vault, http.DefaultClient).Fetch(ctx, cid.MustParse(uploaded.CID), &fetched); err == nil {
		t.Fatal("the gated vault served a CAR without a ticket")
	}
	requireSuccess(t, "alice's download after restart and GC", n.downloadVersion("alice", rec.RecordID, 1, out))
	requireSameFile(t, out, scanBytes)
	if n.metric("vault_missing_live_cids") != 0 {
		t.Fatal("a live CID went missing across GC and a restart")
	}

	// 5. Front-running. Alice's upload is in the vault, her message not yet
	// on chain; bob saw its CID (in the mempool, say) and sends his own
	// record naming it first.
	pending := make([]byte, 64<<10)
	_, _ = rand.Read(pending)
	alicesUp := n.uploadRaw(t, "alice", pending)
	if alicesUp.Receipt == nil || alicesUp.Receipt.Hospital != hospital {
		t.Fatalf("the vault's answer carries no receipt signed by its hospital %s: %+v", hospital, alicesUp.Receipt)
	}
	// Bob's own record, whose wrap he copies (his first is redacted).
	again, _ := dicomFile(t, t.TempDir(), 10<<10)
	bobs2, r := n.upload("bob", bob, again)
	requireSuccess(t, "bob's second upload", r)
	n.Query(&next, "records", "next-id")
	nextID, _ = strconv.ParseUint(next.ID, 10, 64)
	front := map[string]any{
		"@type": "/medchain.records.v1.MsgCreateRecord", "creator": bob, "owner": bob, "cid": alicesUp.CID,
		"kind": "RECORD_KIND_OTHER", "size_bytes": strconv.FormatUint(sizeclass.Padme(uint64(len(pending))), 10), "derived_from": "0",
		"wraps": []any{n.wrapJSON(bobs2.RecordID, bob, nextID, nil)},
	}
	requireRefused(t, "bob's copy of alice's pending CID, without a receipt", n.handTx("bob", front), "needs the receipt the vault returned")
	front["receipt"] = alicesUp.Receipt
	requireRefused(t, "bob's copy of alice's pending CID, with her receipt", n.handTx("bob", front), "does not vouch that "+bob)
	front["creator"], front["owner"] = alice, alice
	front["wraps"] = []any{n.wrapJSON(rec.RecordID, alice, nextID, nil)}
	if res := n.handTx("alice", front); res.Code != 0 {
		t.Fatalf("alice's own record of her upload, after bob's attempts: code %d: %s", res.Code, res.RawLog)
	}
}

// signReceipt is the receipt the vault of hospital (a key in the node's
// keyring) would sign for uploader's upload of c.
func (n *node) signReceipt(hospital, uploader, c string) *vault.Receipt {
	n.T.Helper()
	addr := n.Address(hospital)
	sig, pub, err := n.keyring().Sign(hospital, recordstypes.ReceiptSignBytes(n.ChainID, addr, uploader, c), signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	if err != nil {
		n.T.Fatal(err)
	}
	return &vault.Receipt{Hospital: addr, PubKey: pub.Bytes(), Signature: sig}
}

// mustCiphertext is the raw ciphertext of grantee's wrap of record id.
func (n *node) mustCiphertext(id uint64, grantee string) []byte {
	n.T.Helper()
	c := n.check(id, grantee)
	ct, err := base64.StdEncoding.DecodeString(c.Wrap.Ciphertext)
	if err != nil {
		n.T.Fatal(err)
	}
	return ct
}

// vaultClient is a client of the node's vault whose uploads carry an
// upload ticket of key for a payload of size bytes.
func (n *node) vaultClient(t *testing.T, key string, size int) *vault.Client {
	t.Helper()
	vc := vault.NewClient(n.Vault, http.DefaultClient)
	vc.UploadHeader = func() (http.Header, error) {
		ticket := strings.TrimSpace(system.MustRun(t, n.Bin, "vault", "ticket", "--purpose", "upload",
			"--size", strconv.Itoa(size+size/8+4096), "--from", key, "--vault", n.Vault, "--chain-id", n.ChainID,
			"--home", n.Home, "--keyring-backend", "test"))
		return http.Header{"X-Medchain-Ticket": {ticket}}, nil
	}
	return vc
}

// uploadRaw puts data into the node's vault as key and returns the
// vault's answer: the CID and the receipt.
func (n *node) uploadRaw(t *testing.T, key string, data []byte) vault.UploadResponse {
	t.Helper()
	up, err := n.vaultClient(t, key, len(data)).UploadFile(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// localCID computes the CID a vault gives data, in a store of the test's own.
func localCID(t *testing.T, data []byte) string {
	t.Helper()
	s, err := vault.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _, err := s.Import(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(c)
}
