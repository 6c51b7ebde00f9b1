//go:build e2e

package system

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/envelope/sizeclass"
	"github.com/medchain/medchain/testutil/system"
)

// shown is what `query records show` prints of a record.
type shown struct {
	ID        uint64 `json:"id"`
	SizeBytes uint64 `json:"size_bytes"`
	Label     string `json:"label"`
}

// show runs `query records show ID`, as from (or as nobody when from is "").
func (n *node) show(from string, id uint64) shown {
	n.T.Helper()
	args := []string{"query", "records", "show", strconv.FormatUint(id, 10), "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test"}
	if from != "" {
		args = append(args, "--from", from)
	}
	out := system.MustRun(n.T, n.Bin, args...)
	var s shown
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		n.T.Fatalf("query records show printed %q: %v", out, err)
	}
	return s
}

// rawQuery is `query ARGS -o json` as printed.
func (n *node) rawQuery(args ...string) string {
	n.T.Helper()
	return system.MustRun(n.T, n.Bin, append(append([]string{"query"}, args...), "--node", n.RPC, "--output", "json")...)
}

// requireNoPlaintext fails if out holds text, in the clear or base64.
func requireNoPlaintext(t *testing.T, what, out, text string) {
	t.Helper()
	if strings.Contains(out, text) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(text))) {
		t.Fatalf("%s shows %q: %s", what, text, out)
	}
}

// TestSealedMetadataAndPaddedSizes: a record's label and a request's
// reason reach the chain only as ciphertext; the record's readers (and
// only they) read the label, the patient (and only she) the reason; a key
// rotation re-seals the label for the remaining readers; the chain sees a
// padded size class, and the download is byte-identical. Hand-built
// messages with a plaintext label or reason, or an exact size, are refused.
func TestSealedMetadataAndPaddedSizes(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	doctor, bob := n.AddKey("doctor"), n.AddKey("bob")
	n.Fund(doctor)
	n.Fund(bob)
	for _, k := range []string{"alice", "doctor", "bob"} {
		n.MustTx(k, "access", "register-key")
	}

	payload := make([]byte, 300_000)
	_, _ = rand.Read(payload)
	file := filepath.Join(t.TempDir(), "knee.bin")
	if err := os.WriteFile(file, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	rec, r := n.upload("alice", alice, file, "--label", "MRI knee")
	requireSuccess(t, "alice's upload", r)
	want, _ := envelope.EncryptedSize(int64(len(payload)))
	if !sizeclass.IsClass(uint64(rec.SizeBytes)) || rec.SizeBytes != want {
		t.Fatalf("the chain records %d bytes for a %d-byte file; want the size class %d", rec.SizeBytes, len(payload), want)
	}
	raw := n.rawQuery("records", "record", strconv.FormatUint(rec.RecordID, 10))
	requireNoPlaintext(t, "query records record", raw, "MRI knee")
	if !strings.Contains(raw, `"sealed_label"`) {
		t.Fatalf("the record has no sealed label: %s", raw)
	}

	if got := n.show("alice", rec.RecordID).Label; got != "MRI knee" {
		t.Fatalf("the owner sees the label as %q", got)
	}
	for _, who := range []string{"bob", "doctor", ""} {
		if got := n.show(who, rec.RecordID).Label; got != "(sealed)" {
			t.Fatalf("%q (no grant) sees the label as %q", who, got)
		}
	}
	n.MustTx("alice", "access", "grant", strconv.FormatUint(rec.RecordID, 10), doctor, "--purpose", "treatment")
	if got := n.show("doctor", rec.RecordID).Label; got != "MRI knee" {
		t.Fatalf("the grantee sees the label as %q", got)
	}
	out := filepath.Join(t.TempDir(), "knee.bin")
	requireSuccess(t, "the doctor's download", n.download("doctor", rec.RecordID, out))
	requireSameFile(t, out, payload)

	// A reason longer than the chain allows is refused before anything is
	// sent, with the limit named.
	requireFailure(t, "an over-long reason", system.Run(t, n.Bin, "tx", "access", "request", alice, "--record-id", strconv.FormatUint(rec.RecordID, 10),
		"--permission", "read", "--purpose", "research", "--reason", strings.Repeat("r", 141), "--from", "bob", "--chain-id", n.ChainID,
		"--node", n.RPC, "--home", n.Home, "--keyring-backend", "test", "--yes"), "the limit is 140")

	// A request's reason: sealed to alice; only her inbox opens it.
	n.MustTx("bob", "access", "request", alice, "--record-id", strconv.FormatUint(rec.RecordID, 10),
		"--permission", "read", "--purpose", "research", "--reason", "knee cohort study")
	requireNoPlaintext(t, "query access requests-by-owner", n.rawQuery("access", "requests-by-owner", alice), "knee cohort study")
	inbox := system.MustRun(t, n.Bin, "query", "access", "inbox", "--from", "alice", "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test")
	if !strings.Contains(inbox, `"reason": "knee cohort study"`) {
		t.Fatalf("alice's inbox does not show the reason: %s", inbox)
	}
	if bobs := system.MustRun(t, n.Bin, "query", "access", "inbox", "--from", "bob", "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test"); strings.Contains(bobs, "knee") {
		t.Fatalf("bob's inbox shows alice's request: %s", bobs)
	}

	// Revoking the doctor rotates the key: the label is re-sealed, alice
	// still reads it, the doctor no longer.
	grant := n.check(rec.RecordID, doctor)
	requireSuccess(t, "revoke with rotation", n.dataTx("alice", "access", "revoke", grant.Grant.ID))
	if got := n.show("alice", rec.RecordID).Label; got != "MRI knee" {
		t.Fatalf("after rotation the owner sees the label as %q", got)
	}
	if got := n.show("doctor", rec.RecordID).Label; got != "(sealed)" {
		t.Fatalf("after revocation the doctor sees the label as %q", got)
	}
	if s := n.show("alice", rec.RecordID).SizeBytes; s != uint64(want) {
		t.Fatalf("the rotated payload is %d bytes, want the same class %d", s, want)
	}
	requireSuccess(t, "alice's download after rotation", n.download("alice", rec.RecordID, out))
	requireSameFile(t, out, payload)

	// What the CLI would never send.
	var next struct {
		ID string `json:"id"`
	}
	n.Query(&next, "records", "next-id")
	nextID, _ := strconv.ParseUint(next.ID, 10, 64)
	create := func(size uint64, label []byte) map[string]any {
		m := map[string]any{
			"@type": "/medchain.records.v1.MsgCreateRecord", "creator": alice, "owner": alice, "cid": localCID(t, []byte(next.ID+strconv.FormatUint(size, 10))),
			"kind": "RECORD_KIND_OTHER", "size_bytes": strconv.FormatUint(size, 10), "derived_from": "0",
			"wraps": []any{n.wrapJSON(rec.RecordID, alice, nextID, nil)},
		}
		if label != nil {
			m["sealed_label"] = base64.StdEncoding.EncodeToString(label)
		}
		return m
	}
	requireRefused(t, "a plaintext label", n.handTx("alice", create(4096, []byte("HIV clinic"))), "never sent in the clear")
	requireRefused(t, "an exact size", n.handTx("alice", create(300_017, nil)), "not a padded size class")
	reason := map[string]any{
		"@type": "/medchain.access.v1.MsgRequestAccess", "requester": bob, "owner": alice, "record_id": "0",
		"permission": "PERMISSION_READ", "purpose": "PURPOSE_RESEARCH",
		"sealed_reason": base64.StdEncoding.EncodeToString([]byte("her HIV status")),
	}
	requireRefused(t, "a plaintext reason", n.handTx("bob", reason), "never sent in the clear")
	// The whole phrase, in the clear or as the base64 the field would
	// hold: three letters alone turn up by chance in the base64 of the
	// sealed reasons of the requests before.
	requireNoPlaintext(t, "alice's requests after a refused plaintext reason", n.rawQuery("access", "requests-by-owner", alice), "her HIV status")
}
