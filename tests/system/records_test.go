//go:build e2e

package system

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/vault"
)

// dataTx runs one of the commands that move payloads (records upload and
// add-version, access revoke), which sign, broadcast and wait themselves.
func (n *node) dataTx(from string, args ...string) system.Result {
	n.T.Helper()
	full := append(args, "--from", from, "--chain-id", n.ChainID, "--node", n.RPC, "--home", n.Home,
		"--keyring-backend", "test", "--yes", "--vault", n.Vault)
	return system.Run(n.T, n.Bin, append([]string{"tx"}, full...)...)
}

// upload uploads file for owner from the key from and returns the record.
func (n *node) upload(from, owner, file string, extra ...string) (uploaded, system.Result) {
	n.T.Helper()
	r := n.dataTx(from, append([]string{"records", "upload", file, "--owner", owner, "-o", "json"}, extra...)...)
	var u uploaded
	if r.Err == nil {
		if err := json.Unmarshal([]byte(r.Stdout), &u); err != nil {
			n.T.Fatalf("records upload -o json printed %q: %v", r.Stdout, err)
		}
	}
	return u, r
}

type uploaded struct {
	RecordID  uint64 `json:"record_id"`
	Version   uint64 `json:"version"`
	CID       string `json:"cid"`
	SizeBytes int64  `json:"size_bytes"`
	Kind      string `json:"kind"`
}

// download runs `query records download` into path.
func (n *node) download(from string, id uint64, path string) system.Result {
	n.T.Helper()
	return system.Run(n.T, n.Bin, "query", "records", "download", strconv.FormatUint(id, 10), "-o", path,
		"--from", from, "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test", "--vault", n.Vault)
}

type checkAccess struct {
	Allowed  bool   `json:"allowed"`
	Reason   string `json:"reason"`
	KeyEpoch string `json:"key_epoch"`
	EpochCID string `json:"epoch_cid"`
	Wrap     *struct {
		KeyID      string `json:"key_id"`
		KeyEpoch   string `json:"key_epoch"`
		Ciphertext string `json:"ciphertext"`
	} `json:"wrap"`
	Grant *struct {
		ID string `json:"id"`
	} `json:"grant"`
}

func (n *node) check(id uint64, grantee string, extra ...string) checkAccess {
	n.T.Helper()
	var c checkAccess
	n.Query(&c, append([]string{"access", "check", strconv.FormatUint(id, 10), grantee}, extra...)...)
	return c
}

type recordView struct {
	ID       string `json:"id"`
	Owner    string `json:"owner"`
	Issuer   string `json:"issuer"`
	CID      string `json:"cid"`
	Kind     string `json:"kind"`
	Version  string `json:"version"`
	KeyEpoch string `json:"key_epoch"`
	Status   string `json:"status"`
	// ArchiveAllowed is the owner's choice to let hospitals archive it.
	ArchiveAllowed bool `json:"archive_allowed"`
}

func (n *node) record(id uint64) recordView {
	n.T.Helper()
	var r struct {
		Record recordView `json:"record"`
	}
	n.Query(&r, "records", "record", strconv.FormatUint(id, 10))
	return r.Record
}

// dicomFile writes a DICOM part-10 file: the 128-byte preamble, "DICM",
// then size bytes of random content standing in for the data set.
func dicomFile(t *testing.T, dir string, size int) (string, []byte) {
	t.Helper()
	body := make([]byte, 132+size)
	copy(body[128:], "DICM")
	if _, err := rand.Read(body[132:]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "scan.dcm")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, body
}

// vaultStatus reads the node's vault's /api/v1/status.
func (n *node) vaultStatus() (st struct {
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	PinnedRoots    int64 `json:"pinned_roots"`
	ChainHeight    int64 `json:"chain_height"`
}) {
	n.T.Helper()
	resp, err := http.Get(n.Vault + "/api/v1/status")
	if err != nil {
		n.T.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		n.T.Fatal(err)
	}
	return st
}

// waitForPins waits until the vault, following the chain, pins want roots.
func (n *node) waitForPins(want int64, after string) {
	n.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := n.vaultStatus()
		if st.PinnedRoots == want {
			return
		}
		if time.Now().After(deadline) {
			n.T.Fatalf("after %s the vault pins %d roots (followed to height %d), want %d", after, st.PinnedRoots, st.ChainHeight, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitForPinned waits until the vault's pin of root is want.
func (n *node) waitForPinned(root string, want bool, after string) {
	n.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, why := n.pinned(root)
		if ok == want {
			return
		}
		if time.Now().After(deadline) {
			n.T.Fatalf("after %s the vault's pin of %s is %v (%q), want %v", after, root, ok, why, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// pinned asks the vault whether it keeps root, and why.
func (n *node) pinned(root string) (bool, string) {
	n.T.Helper()
	resp, err := http.Get(n.Vault + "/api/v1/pins/" + root)
	if err != nil {
		n.T.Fatal(err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// A gated vault shows pins to the consortium's hospitals only.
		resp.Body.Close()
		ticket := strings.TrimSpace(system.MustRun(n.T, n.Bin, "vault", "ticket", root, "--purpose", "replica", "--from", "val",
			"--vault", n.Vault, "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test"))
		req, _ := http.NewRequest(http.MethodGet, n.Vault+"/api/v1/pins/"+root, nil)
		req.Header.Set("X-Medchain-Ticket", ticket)
		if resp, err = http.DefaultClient.Do(req); err != nil {
			n.T.Fatal(err)
		}
	}
	defer resp.Body.Close()
	var p struct {
		Pinned bool   `json:"pinned"`
		Reason string `json:"reason"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			n.T.Fatal(err)
		}
	}
	return p.Pinned, p.Reason
}

func requireFailure(t *testing.T, what string, r system.Result, want ...string) {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("%s: want a failure, it succeeded: %s", what, r.Stdout)
	}
	for _, w := range want {
		if !strings.Contains(r.Combined(), w) {
			t.Fatalf("%s: want an error saying %q, got:\n%s", what, w, r.Combined())
		}
	}
	t.Logf("%s: %s", what, strings.TrimSpace(r.Combined()))
}

func requireSuccess(t *testing.T, what string, r system.Result) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s: %v\n%s", what, r.Err, r.Combined())
	}
}

func requireSameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d uploaded", path, len(got), len(want))
	}
}

func requireNoFile(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("%s must stay empty after a failed download, has %s", dir, entries[0].Name())
	}
}

// TestEncryptedRecordsEndToEnd is encrypted records, consent and rotation as a user meets them,
// all through medchaind and a real vault: a hospital doctor uploads a DICOM
// file for a patient who granted the hospital WRITE (and is refused for one
// who did not); the patient grants a second doctor, who downloads the same
// bytes; a stranger gets "no access"; a doctor asks, the patient approves;
// the patient revokes with rotation and the revoked doctor's old wrap opens
// nothing the record now points at while the remaining grantee still reads
// it; a version shows in the history; a redacted record's CID is gone.
func TestEncryptedRecordsEndToEnd(t *testing.T) {
	n := newNode(t)
	// With the gate off the vault is a plain IPFS gateway of ciphertext,
	// which this test reads as any IPFS client would.
	n.EditConfig("app.toml", map[string]string{`access-gate = "node"`: `access-gate = "off"`})
	n.Start()
	ctx := context.Background()

	hospital := n.Address("val") // the genesis hospital
	alice := n.Address("alice")
	bob, doctor, doctor2, stranger := n.AddKey("bob"), n.AddKey("doctor"), n.AddKey("doctor2"), n.AddKey("stranger")
	for _, a := range []string{bob, doctor, doctor2, stranger} {
		n.Fund(a)
	}
	n.MustTx("val", "issuers", "add-practitioner", doctor, "doctor")
	n.MustTx("val", "issuers", "add-practitioner", doctor2, "doctor")
	for _, k := range []string{"val", "alice", "bob", "doctor", "doctor2", "stranger"} {
		n.MustTx(k, "access", "register-key")
	}
	// The key registered is the one `keys encryption-key` shows.
	var shown struct {
		KeyID     string `json:"key_id"`
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(system.MustRun(t, n.Bin, "keys", "encryption-key", "alice", "--home", n.Home,
		"--keyring-backend", "test", "--output", "json")), &shown); err != nil {
		t.Fatal(err)
	}
	var registered struct {
		Key struct {
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		} `json:"key"`
	}
	n.Query(&registered, "access", "key", alice)
	if shown.KeyID == "" || shown.KeyID != registered.Key.KeyID || shown.PublicKey != registered.Key.PublicKey {
		t.Fatalf("keys encryption-key shows %+v, the chain has %+v", shown, registered.Key)
	}
	dir := t.TempDir()
	scan, scanBytes := dicomFile(t, dir, 3<<20+123)

	// Without a WRITE grant the doctor is refused before any data moves.
	_, r := n.upload("doctor", alice, scan)
	requireFailure(t, "upload without WRITE", r, "refuse")
	var next struct {
		ID string `json:"id"`
	}
	n.Query(&next, "records", "next-id")
	if next.ID != "1" {
		t.Fatalf("a refused upload registered something: next id is %s", next.ID)
	}

	// Alice lets the hospital write for her; its doctor uploads.
	n.MustTx("alice", "access", "grant", "all", hospital, "--permission", "write", "--purpose", "treatment")
	rec, r := n.upload("doctor", alice, scan, "--label", "MRI knee")
	requireSuccess(t, "doctor's upload", r)
	if rec.RecordID != 1 || rec.Kind != "dicom" || rec.CID == "" {
		t.Fatalf("upload printed %+v, want record 1 of kind dicom with a CID", rec)
	}
	if got := n.record(1); got.Owner != alice || got.Issuer != doctor || got.CID != rec.CID || got.Kind != "RECORD_KIND_DICOM" {
		t.Fatalf("record 1 on chain is %+v", got)
	}
	// The vault pins what the record points at once the chain says so.
	n.waitForPins(1, "the first record")
	// ... but not for bob, who granted nothing; nor may bob write for alice.
	_, r = n.upload("doctor", bob, scan)
	requireFailure(t, "upload for a patient who granted nothing", r, "refuse")
	_, r = n.upload("bob", alice, scan)
	requireFailure(t, "a patient uploading for another", r, "refuse")

	// The vault serves the CID to a plain HTTP client as a CAR that verifies.
	root, err := cid.Decode(rec.CID)
	if err != nil {
		t.Fatal(err)
	}
	var ciphertext bytes.Buffer
	if err := vault.NewClient(n.Vault, http.DefaultClient).Fetch(ctx, root, &ciphertext); err != nil {
		t.Fatalf("fetching the record's CAR over plain HTTP: %v", err)
	}
	if int64(ciphertext.Len()) != rec.SizeBytes || bytes.Contains(ciphertext.Bytes(), scanBytes[132:1132]) {
		t.Fatalf("the vault holds %d bytes, want the %d-byte ciphertext and no plaintext", ciphertext.Len(), rec.SizeBytes)
	}

	// Alice grants the second doctor; the same bytes come out.
	n.MustTx("alice", "access", "grant", "1", doctor2, "--purpose", "treatment")
	out := filepath.Join(t.TempDir(), "scan.dcm")
	requireSuccess(t, "doctor2's download", n.download("doctor2", 1, out))
	requireSameFile(t, out, scanBytes)
	// The owner reads her own record too.
	requireSuccess(t, "alice's download", n.download("alice", 1, filepath.Join(t.TempDir(), "mine.dcm")))

	// A stranger, and the writing doctor who holds no READ: "no access",
	// and not a byte written.
	for _, k := range []string{"stranger", "doctor"} {
		empty := t.TempDir()
		requireFailure(t, k+"'s download", n.download(k, 1, filepath.Join(empty, "scan.dcm")), "no access")
		requireNoFile(t, empty)
	}

	// The doctor asks; alice approves; CheckAccess says allowed.
	n.MustTx("doctor", "access", "request", alice, "--record-id", "1", "--permission", "read", "--purpose", "treatment", "--reason", "follow-up")
	n.MustTx("alice", "access", "grant", "1", doctor, "--purpose", "treatment", "--request", "1")
	if c := n.check(1, doctor); !c.Allowed || c.Wrap == nil {
		t.Fatalf("after approval: check says %+v, want allowed with a wrap", c)
	}
	requireSuccess(t, "doctor's download after approval", n.download("doctor", 1, filepath.Join(t.TempDir(), "scan.dcm")))

	// Keep doctor2's wrap as it stands, then revoke doctor2 with rotation.
	before := n.check(1, doctor2)
	if !before.Allowed || before.Grant == nil {
		t.Fatalf("doctor2 before revocation: %+v", before)
	}
	requireSuccess(t, "revoke with rotation", n.dataTx("alice", "access", "revoke", before.Grant.ID))
	after := n.record(1)
	// The pin count is 1 before and after (one pinned, one released), so
	// wait for the new root itself: the follower may be a block behind.
	n.waitForPinned(after.CID, true, "the rotation")
	n.waitForPinned(rec.CID, false, "the rotation")
	n.waitForPins(1, "the rotation (new payload pinned, old one released)")
	if ok, why := n.pinned(after.CID); !ok || why != "record 1 v"+after.Version {
		t.Fatalf("the rotated payload %s: pinned %v (%q), want pinned for record 1 v%s", after.CID, ok, why, after.Version)
	}
	if ok, _ := n.pinned(rec.CID); ok {
		t.Fatalf("the payload %s the rotation released is still pinned", rec.CID)
	}
	if after.KeyEpoch != "1" || after.CID == rec.CID {
		t.Fatalf("after rotation record 1 is %+v, want key epoch 1 and a new CID", after)
	}
	if c := n.check(1, doctor2); c.Allowed {
		t.Fatalf("revoked doctor2 is still allowed: %+v", c)
	}
	if c := n.check(1, doctor); !c.Allowed || c.Wrap == nil || c.Wrap.KeyEpoch != "1" {
		t.Fatalf("the remaining grantee after rotation: %+v, want allowed with a wrap of epoch 1", c)
	}
	requireSuccess(t, "remaining grantee's download after rotation", n.download("doctor", 1, out))
	requireSameFile(t, out, scanBytes)
	requireFailure(t, "revoked doctor's download", n.download("doctor2", 1, filepath.Join(t.TempDir(), "x")), "no access")
	// The old wrap still opens the old key, which opens nothing the record
	// points at now.
	oldKey := n.openWrap("doctor2", 1, before)
	newRoot, err := cid.Decode(after.CID)
	if err != nil {
		t.Fatal(err)
	}
	var rotated bytes.Buffer
	if err := vault.NewClient(n.Vault, http.DefaultClient).Fetch(ctx, newRoot, &rotated); err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.Decrypt(&rotated, oldKey); !errors.Is(err, envelope.ErrNotForThisKey) {
		t.Fatalf("the revoked doctor's old key on the rotated payload: want ErrNotForThisKey, got %v", err)
	}

	// A new version shows in the history.
	v2, v2Bytes := dicomFile(t, t.TempDir(), 100<<10)
	requireSuccess(t, "add-version", n.dataTx("alice", "records", "add-version", "1", v2))
	var history struct {
		Versions []struct {
			Version string `json:"version"`
			CID     string `json:"cid"`
		} `json:"versions"`
	}
	n.Query(&history, "records", "history", "1")
	if len(history.Versions) < 2 {
		t.Fatalf("history after a new version: %+v", history)
	}
	n.waitForPins(2, "a new version (both kept: the history points at the older)")
	requireSuccess(t, "download of version 3", n.download("doctor", 1, out))
	requireSameFile(t, out, v2Bytes)

	// Redaction: no query shows the CID afterwards.
	latest := n.record(1).CID
	n.MustTx("alice", "records", "redact", "1")
	n.waitForPins(0, "the redaction")
	for _, q := range [][]string{{"records", "record", "1"}, {"records", "history", "1"}, {"records", "records-by-owner", alice}} {
		outJSON := system.MustRun(t, n.Bin, append(append([]string{"query"}, q...), "--node", n.RPC, "--output", "json")...)
		for _, c := range []string{rec.CID, after.CID, latest} {
			if strings.Contains(outJSON, c) {
				t.Fatalf("query %v still shows CID %s after redaction: %s", q, c, outJSON)
			}
		}
	}
	requireFailure(t, "download of a redacted record", n.download("alice", 1, filepath.Join(t.TempDir(), "x")), "redacted")
}

// keyring is the node home's test keyring, where every test key lives.
func (n *node) keyring() keyring.Keyring {
	n.T.Helper()
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	kr, err := keyring.New("medchain", keyring.BackendTest, n.Home, nil, codec.NewProtoCodec(ir))
	if err != nil {
		n.T.Fatal(err)
	}
	return kr
}

// openWrap opens, as key name, the wrap CheckAccess returned, the way the
// CLI does: derive the key pair from the keyring key and unwrap.
func (n *node) openWrap(name string, recordID uint64, c checkAccess) envelope.RecordKey {
	n.T.Helper()
	kr := n.keyring()
	addr := n.Address(name)
	kp, err := envelope.DeriveKeyPair(n.ChainID, addr, func(doc []byte) ([]byte, error) {
		sig, _, err := kr.Sign(name, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		return sig, err
	})
	if err != nil {
		n.T.Fatal(err)
	}
	ct, err := base64.StdEncoding.DecodeString(c.Wrap.Ciphertext)
	if err != nil {
		n.T.Fatal(err)
	}
	epoch, _ := strconv.ParseUint(c.KeyEpoch, 10, 64)
	raw, err := envelope.Unwrap(kp, envelope.WrapInfo{KeyID: c.Wrap.KeyID, KeyEpoch: epoch, Ciphertext: ct},
		envelope.Binding{ChainID: n.ChainID, Anchor: c.EpochCID, RecordID: recordID, KeyEpoch: epoch, Grantee: addr})
	if err != nil {
		n.T.Fatalf("opening %s's wrap: %v", name, err)
	}
	key, err := envelope.ParseRecordKey(raw)
	if err != nil {
		n.T.Fatal(err)
	}
	return key
}

// TestConsentExpiresOnTimeAndHospitalPaysFees is the rest of consent's
// acceptance: a grant with a short expiry ends on time with nobody sending
// a transaction, and a hospital pays its patient's consent fees through
// x/feegrant, limited to x/access messages.
func TestConsentExpiresOnTimeAndHospitalPaysFees(t *testing.T) {
	n := newNode(t)
	n.EditConfig("app.toml", map[string]string{"max-upload-size = 4294967296": "max-upload-size = 1048576"})
	n.Start()

	hospital, alice := n.Address("val"), n.Address("alice")
	doctor := n.AddKey("doctor")
	n.Fund(doctor)
	for _, k := range []string{"alice", "doctor"} {
		n.MustTx(k, "access", "register-key")
	}
	file := filepath.Join(t.TempDir(), "labs.json")
	if err := os.WriteFile(file, []byte(`{"resourceType":"Observation","status":"final"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, r := n.upload("alice", alice, file)
	requireSuccess(t, "alice's upload", r)

	// A file over the vault's limit is refused before anything is sent.
	big, _ := dicomFile(t, t.TempDir(), 2<<20)
	_, r = n.upload("alice", alice, big)
	requireFailure(t, "an upload over the vault's 1 MiB limit", r, "too large for the vault", "nothing was sent")
	if got := n.vaultStatus(); got.MaxUploadBytes != 1<<20 {
		t.Fatalf("the vault reports a limit of %d bytes, want the configured 1048576", got.MaxUploadBytes)
	}
	if rec.Kind != "fhir" {
		t.Fatalf("a FHIR Observation was detected as %q", rec.Kind)
	}

	// The hospital sponsors alice's consent transactions, and only those.
	n.MustTx("val", "feegrant", "grant", hospital, alice, "--spend-limit", "1000000umed",
		"--allowed-messages", "/medchain.access.v1.MsgGrantAccess,/medchain.access.v1.MsgRevokeAccess,"+
			"/medchain.access.v1.MsgDenyRequest,/medchain.access.v1.MsgRegisterEncryptionKey")
	aliceBefore, hospitalBefore := balance(t, n, alice), balance(t, n, hospital)

	// A grant that lasts 40 seconds, paid by the hospital: long enough for
	// the checks below on a loaded 2-core machine (15 s ran out before the
	// test's own query of the grant).
	res := n.MustTx("alice", "access", "grant", strconv.FormatUint(rec.RecordID, 10), doctor,
		"--purpose", "treatment", "--expires", "40s", "--fee-granter", hospital, "--fees", "5000umed")
	if got := balance(t, n, alice); got != aliceBefore {
		t.Fatalf("alice paid for her sponsored grant: balance %s -> %s", aliceBefore, got)
	}
	if got, want := balance(t, n, hospital), subtract(t, hospitalBefore, 5000); got != want {
		t.Fatalf("the hospital's balance is %s after paying 5000umed, want %s", got, want)
	}
	// The allowance covers consent, not other spending.
	bad := n.Tx("alice", "bank", "send", alice, doctor, "1umed", "--fee-granter", hospital, "--fees", "5000umed")
	if bad.Code == 0 || !strings.Contains(bad.RawLog, "allowed") {
		t.Fatalf("a bank send under the consent allowance: want refusal, got code %d: %s", bad.Code, bad.RawLog)
	}

	var grant struct {
		Grant struct {
			ID        string    `json:"id"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"grant"`
	}
	c := n.check(rec.RecordID, doctor)
	if !c.Allowed || c.Grant == nil {
		t.Fatalf("the doctor right after the grant (block %d): %+v", res.Height, c)
	}
	n.Query(&grant, "access", "grant", c.Grant.ID)
	requireSuccess(t, "doctor's download while the grant lasts", n.download("doctor", rec.RecordID, filepath.Join(t.TempDir(), "labs.json")))

	// Nobody sends anything; once block time passes expires_at the grant
	// is gone.
	deadline := grant.Grant.ExpiresAt.Add(20 * time.Second)
	for {
		c = n.check(rec.RecordID, doctor)
		if !c.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the grant expiring at %s still allows at %s", grant.Grant.ExpiresAt, time.Now().UTC())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if r := system.Run(t, n.Bin, "query", "access", "grant", grant.Grant.ID, "--node", n.RPC); r.Err == nil {
		t.Fatalf("grant %s is still stored after expiring: %s", grant.Grant.ID, r.Stdout)
	}
	requireFailure(t, "download after expiry", n.download("doctor", rec.RecordID, filepath.Join(t.TempDir(), "x")), "no access")
}

func subtract(t *testing.T, amount string, n int64) string {
	t.Helper()
	v, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		t.Fatalf("balance %q: %v", amount, err)
	}
	return strconv.FormatInt(v-n, 10)
}

// TestConcurrentUploadsAllLand: uploaders that do not know of each other
// (a patient, her hospital and four other patients, each its own account
// and process) upload at the same moment. Wraps are bound to each record's
// own CID, not to the id the chain will assign, so every upload lands at
// the first attempt, none seals its key again, and each record opens to
// its own file.
func TestConcurrentUploadsAllLand(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	n.MustTx("alice", "access", "register-key")
	n.MustTx("alice", "access", "grant", "all", n.Address("val"), "--permission", "write", "--purpose", "treatment")
	n.MustTx("val", "access", "register-key")
	type uploader struct{ from, owner string }
	uploaders := []uploader{{"alice", alice}, {"val", alice}}
	for i := range 4 {
		name := fmt.Sprintf("patient%d", i)
		addr := n.AddKey(name)
		n.Fund(addr)
		n.MustTx(name, "access", "register-key")
		uploaders = append(uploaders, uploader{name, addr})
	}

	files := make([]string, len(uploaders))
	contents := make([][]byte, len(uploaders))
	for i := range files {
		files[i], contents[i] = dicomFile(t, t.TempDir(), 200<<10)
	}
	type out struct {
		owner string
		u     uploaded
		r     system.Result
	}
	results := make(chan out, len(uploaders))
	start := make(chan struct{})
	for i, up := range uploaders {
		go func() {
			<-start
			u, r := n.upload(up.from, up.owner, files[i])
			results <- out{up.owner, u, r}
		}()
	}
	close(start)
	ids := map[uint64]string{} // record id -> owner
	for range uploaders {
		o := <-results
		requireSuccess(t, "concurrent upload", o.r)
		if strings.Contains(o.r.Stderr, "again") || strings.Contains(o.r.Stderr, "taken") {
			t.Fatalf("an upload had to seal its key again: %s", o.r.Stderr)
		}
		ids[o.u.RecordID] = o.owner
	}
	if len(ids) != len(uploaders) {
		t.Fatalf("%d concurrent uploads produced records %v, want %d distinct ones", len(uploaders), ids, len(uploaders))
	}
	// Each record opens, for its owner, to one of the files, all distinct.
	got := map[int]bool{}
	for id, owner := range ids {
		reader := "alice"
		for _, up := range uploaders {
			if up.owner == owner && up.from != "val" {
				reader = up.from
			}
		}
		path := filepath.Join(t.TempDir(), "out")
		requireSuccess(t, "download", n.download(reader, id, path))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range contents {
			if bytes.Equal(data, c) {
				got[i] = true
			}
		}
	}
	if len(got) != len(uploaders) {
		t.Fatalf("the records open to %d distinct uploaded files, want %d", len(got), len(uploaders))
	}
}
