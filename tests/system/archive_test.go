//go:build e2e

package system

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/testutil/system"
	"github.com/medchain/medchain/vault/archive"
)

// TestVaultArchiveAndRestore archives a hospital's vault into Filecoin
// pieces, destroys the vault and rebuilds it from the pieces alone, on a
// one-hospital network, so that no other vault can fill a gap:
//   - alice's records of several kinds (real DICOM when the corpus is
//     there, FHIR JSON, a multi-block file, a note) are archived only once
//     she allows it, and a record she did not allow stays out;
//   - every piece's CID is what an independent CommP of the file gives,
//     and an inclusion proof ties one record's CAR to its piece;
//   - the hospital records the piece on chain; a redaction marks the
//     record's archive entries shredded;
//   - the vault directory is deleted and `vault restore` rebuilds it:
//     every live record downloads byte-identical, and the redacted one
//     stays unreadable and is not restored;
//   - a second archive run writes nothing twice.
func TestVaultArchiveAndRestore(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	n.MustTx("alice", "access", "register-key")
	n.MustTx("val", "issuers", "update-profile", "--vault-url", n.Vault)

	dir := t.TempDir()
	type rec struct {
		name string
		id   uint64
		cid  string
		data []byte
	}
	var recs []*rec
	add := func(name, kind string, data []byte) *rec {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		u, r := n.upload("alice", alice, path, "--kind", kind)
		requireSuccess(t, "upload of "+name, r)
		rc := &rec{name: name, id: u.RecordID, cid: u.CID, data: data}
		recs = append(recs, rc)
		return rc
	}
	if corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS"); corpus != "" {
		for _, name := range []string{"CT_small.dcm", "MR_small.dcm"} {
			data, err := os.ReadFile(filepath.Join(corpus, name))
			if err != nil {
				t.Fatal(err)
			}
			add(name, "dicom", data)
		}
	} else {
		_, data := dicomFile(t, dir, 200<<10)
		add("scan.dcm", "dicom", data)
	}
	add("obs.json", "fhir", []byte(`{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`))
	big := make([]byte, 2<<20+4321)
	for i := range big {
		big[i] = byte(i * 7)
	}
	add("report.pdf", "pdf", big)
	redacted := add("note.txt", "other", []byte("to be erased"))
	private := add("private.txt", "other", []byte("never to leave the vaults"))

	// Under the default policy only the records alice allows leave.
	for _, r := range recs {
		if r != private {
			n.MustTx("alice", "records", "set-archive-consent", strconv.FormatUint(r.id, 10), "true")
		}
	}

	out := filepath.Join(t.TempDir(), "archive")
	archiveRun := func() string {
		t.Helper()
		return system.MustRun(t, n.Bin, "vault", "archive", "--from", "val", "--out", out, "--piece-size", "8MiB",
			"--target-car-size", "2MiB", "--node", n.RPC, "--home", n.Home, "--keyring-backend", "test", "--chain-id", n.ChainID)
	}
	t.Log(archiveRun())
	paths, _ := filepath.Glob(filepath.Join(out, "manifest-*.json"))
	if len(paths) != 1 {
		t.Fatalf("want one manifest, got %v", paths)
	}
	manifest, err := archive.ReadManifest(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]bool{}
	for _, p := range manifest.Pieces {
		f, err := os.Open(archive.PiecePath(paths[0], p))
		if err != nil {
			t.Fatal(err)
		}
		c, size, err := archive.CommP(f)
		f.Close()
		if err != nil || c.String() != p.PieceCID || size != p.PieceSize {
			t.Fatalf("piece %s (%d bytes): an independent CommP gives %s (%d bytes), %v", p.PieceCID, p.PieceSize, c, size, err)
		}
		for _, s := range p.Segments {
			archived[s.CID] = true
		}
	}
	for _, r := range recs {
		if archived[r.cid] != (r != private) {
			t.Fatalf("%s archived: %v; only records whose owner allowed it are", r.name, archived[r.cid])
		}
	}

	// An inclusion proof of one record, checked against its CAR as any
	// vault serves it.
	proofPath := filepath.Join(t.TempDir(), "proof.json")
	proof := system.MustRun(t, n.Bin, "vault", "archive-proof", paths[0], strconv.FormatUint(recs[0].id, 10))
	if err := os.WriteFile(proofPath, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	carPath := filepath.Join(t.TempDir(), "rec.car")
	n.fetchReplicaCAR(recs[0].cid, carPath)
	t.Log(system.MustRun(t, n.Bin, "vault", "verify-archive-proof", proofPath, "--car", carPath))
	otherCAR := filepath.Join(t.TempDir(), "other.car")
	n.fetchReplicaCAR(recs[1].cid, otherCAR)
	requireFailure(t, "a proof checked against another record's CAR",
		system.Run(t, n.Bin, "vault", "verify-archive-proof", proofPath, "--car", otherCAR), "is not record")

	// The hospital records where the versions went; the redaction marks
	// the record's entries shredded.
	piece := manifest.Pieces[0]
	recordArgs := []string{"records", "record-archive", piece.PieceCID, strconv.FormatUint(piece.PieceSize, 10)}
	for _, s := range piece.Segments {
		recordArgs = append(recordArgs, fmt.Sprintf("%d:%d", s.RecordID, s.Version))
	}
	n.MustTx("val", append(recordArgs, "--provider", "f01234", "--deal-ref", "offline-1", "--expires", "2030-01-01T00:00:00Z")...)
	for _, s := range piece.Segments {
		entries := n.archives(s.RecordID)
		if len(entries) != 1 || entries[0].PieceCID != piece.PieceCID || entries[0].Status != "ARCHIVE_STATUS_ARCHIVED" {
			t.Fatalf("record %d: archive entries %+v", s.RecordID, entries)
		}
	}
	// A light client proves the chain's entry, trusting no node.
	if i, ok := piece.Segment(recs[0].id, 1); ok {
		proofOf := filepath.Join(t.TempDir(), "proof0.json")
		if err := os.WriteFile(proofOf, []byte(system.MustRun(t, n.Bin, "vault", "archive-proof", paths[0],
			fmt.Sprintf("%d:%d", piece.Segments[i].RecordID, piece.Segments[i].Version))), 0o600); err != nil {
			t.Fatal(err)
		}
		rpc := strings.Replace(n.RPC, "tcp://", "http://", 1)
		trustHeight, trustHash := n.trustedBlock()
		proven := system.MustRun(t, n.Bin, "vault", "verify-archive-proof", proofOf, "--prove", "--node", n.RPC, "--witness", rpc,
			"--trust-height", strconv.FormatInt(trustHeight, 10), "--trust-hash", trustHash,
			"--light-dir", filepath.Join(t.TempDir(), "light"), "--home", n.Home, "--chain-id", n.ChainID)
		if !strings.Contains(proven, "provider f01234") || !strings.Contains(proven, "ARCHIVE_STATUS_ARCHIVED") {
			t.Fatalf("verify-archive-proof --prove printed %q", proven)
		}
		t.Log(proven)
	}
	n.MustTx("alice", "records", "redact", strconv.FormatUint(redacted.id, 10))
	if _, ok := piece.Segment(redacted.id, 1); ok {
		if e := n.archives(redacted.id); len(e) != 1 || e[0].Status != "ARCHIVE_STATUS_SHREDDED" {
			t.Fatalf("the redacted record's archive entries: %+v", e)
		}
	}

	// The vault is lost. The node keeps running without it while the
	// vault is rebuilt from the pieces alone.
	n.Stop()
	vaultDir := filepath.Join(n.Home, "data", "vault")
	if _, err := os.Stat(vaultDir); err != nil {
		t.Fatalf("the vault's directory: %v", err)
	}
	if err := os.RemoveAll(vaultDir); err != nil {
		t.Fatal(err)
	}
	vaultOn := "# Run the vault inside medchaind start.\nenable = true"
	vaultOff := "# Run the vault inside medchaind start.\nenable = false"
	n.EditConfig("app.toml", map[string]string{vaultOn: vaultOff})
	n.Start()
	restored := system.MustRun(t, n.Bin, "vault", "restore", paths[0], "--home", n.Home, "--node", n.RPC, "--hospital", n.Address("val"))
	t.Log(restored)
	for _, want := range []string{
		fmt.Sprintf("%d record versions restored", len(archived)-1),
		"1 no longer live and left out",
		// the record alice kept out of archives is the one gap
		"1 live record versions placed on the hospital are missing",
		"missing: record " + strconv.FormatUint(private.id, 10) + " ",
	} {
		if !strings.Contains(restored, want) {
			t.Fatalf("vault restore printed %q, want %q", restored, want)
		}
	}
	n.Stop()
	n.EditConfig("app.toml", map[string]string{vaultOff: vaultOn})
	n.Start()
	for _, r := range recs {
		path := filepath.Join(t.TempDir(), r.name)
		res := n.download("alice", r.id, path)
		switch r {
		case redacted:
			requireFailure(t, "download of the redacted record", res)
		case private:
			// Not archived, and no other vault holds it: it is lost with
			// the vault, which is why a patient's choice to keep a record
			// out of archives is worth stating in the portal.
			requireFailure(t, "download of the record kept out of the archive", res)
		default:
			requireSuccess(t, "download of "+r.name+" after restore", res)
			requireSameFile(t, path, r.data)
		}
	}
	if pinned, _ := n.pinned(redacted.cid); pinned {
		t.Fatal("the redacted record's payload came back into the vault")
	}

	// Nothing is archived twice; a new record is.
	again := archiveRun()
	if !strings.Contains(again, "nothing new to archive") {
		t.Fatalf("a second run printed %q", again)
	}
	late := add("late.json", "fhir", []byte(`{"resourceType":"Observation","status":"final"}`))
	n.MustTx("alice", "records", "set-archive-consent", strconv.FormatUint(late.id, 10), "true")
	third := archiveRun()
	if !strings.Contains(third, "1 record versions") {
		t.Fatalf("a run after one new record printed %q", third)
	}
}

// fetchReplicaCAR saves a live CID's CAR from the node's vault, fetched
// with the hospital's replica ticket.
func (n *node) fetchReplicaCAR(c, path string) {
	n.T.Helper()
	if _, err := cid.Decode(c); err != nil {
		n.T.Fatal(err)
	}
	ticket := strings.TrimSpace(system.MustRun(n.T, n.Bin, "vault", "ticket", c, "--purpose", "replica", "--from", "val",
		"--vault", n.Vault, "--chain-id", n.ChainID, "--home", n.Home, "--keyring-backend", "test"))
	req, err := http.NewRequest(http.MethodGet, n.Vault+"/ipfs/"+c+"?format=car", nil)
	if err != nil {
		n.T.Fatal(err)
	}
	req.Header.Set("X-Medchain-Ticket", ticket)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.T.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		n.T.Fatalf("GET /ipfs/%s: %s %s", c, resp.Status, body)
	}
	f, err := os.Create(path)
	if err != nil {
		n.T.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		n.T.Fatal(err)
	}
}

type archiveEntry struct {
	PieceCID string `json:"piece_cid"`
	Status   string `json:"status"`
	Hospital string `json:"hospital"`
}

// archives lists a record's archive entries.
func (n *node) archives(id uint64) []archiveEntry {
	n.T.Helper()
	var out struct {
		Entries []archiveEntry `json:"entries"`
	}
	n.Query(&out, "records", "archives", strconv.FormatUint(id, 10))
	return out.Entries
}
