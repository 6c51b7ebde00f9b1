//go:build e2e

package system

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"github.com/medchain/medchain/medclient/deid"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/system"
)

// identifiedDICOM writes sample.IdentifiedDICOM, a small MR image that
// names its patient (and carries every kind of identifying attribute).
func identifiedDICOM(t *testing.T, dir string) string {
	t.Helper()
	data, err := sample.IdentifiedDICOM()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "identified.dcm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeidentifiedCopy: a patient turns her DICOM record into a
// de-identified copy: a new record derived from the
// original, whose payload no longer names her; nobody else may make one,
// and a PDF is refused.
func TestDeidentifiedCopy(t *testing.T) {
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	bob := n.AddKey("bob")
	n.Fund(bob)
	n.MustTx("alice", "access", "register-key")
	n.MustTx("bob", "access", "register-key")

	orig, r := n.upload("alice", alice, identifiedDICOM(t, t.TempDir()))
	requireSuccess(t, "upload", r)
	id := strconv.FormatUint(orig.RecordID, 10)

	requireFailure(t, "bob de-identifying alice's record", n.dataTx("bob", "records", "deidentify", id), "only its owner")
	pdf := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.7\nDear Jane Doe"), 0o600); err != nil {
		t.Fatal(err)
	}
	pdfRec, r := n.upload("alice", alice, pdf)
	requireSuccess(t, "pdf upload", r)
	requireFailure(t, "de-identifying a PDF", n.dataTx("alice", "records", "deidentify", strconv.FormatUint(pdfRec.RecordID, 10)), "only DICOM and FHIR")

	r = n.dataTx("alice", "records", "deidentify", id, "-o", "json")
	requireSuccess(t, "deidentify", r)
	var copyRec uploaded
	if err := json.Unmarshal([]byte(r.Stdout), &copyRec); err != nil {
		t.Fatalf("deidentify -o json printed %q: %v", r.Stdout, err)
	}
	var rec struct {
		Record struct {
			DerivedFrom string `json:"derived_from"`
			Kind        string `json:"kind"`
		} `json:"record"`
	}
	n.Query(&rec, "records", "record", strconv.FormatUint(copyRec.RecordID, 10))
	if rec.Record.DerivedFrom != id || rec.Record.Kind != "RECORD_KIND_DICOM" {
		t.Fatalf("the copy is %+v, want a DICOM record derived from %s", rec.Record, id)
	}
	out := filepath.Join(t.TempDir(), "copy.dcm")
	requireSuccess(t, "download of the copy", n.download("alice", copyRec.RecordID, out))
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, ident := range sample.IdentifyingValues {
		if bytes.Contains(data, []byte(ident)) {
			t.Fatalf("the de-identified copy still holds %q", ident)
		}
	}
	ds, err := dicom.Parse(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatalf("the copy is not DICOM any more: %v", err)
	}
	if e, err := ds.FindElementByTag(tag.PatientIdentityRemoved); err != nil || e.Value.String() != "[YES]" {
		t.Fatalf("Patient Identity Removed: %v %v", e, err)
	}
}

// TestDeidentifiedRealDICOM: real DICOM files of several modalities (CT,
// MR, RT plan, from Debian's pydicom sample set) go through the chain and
// come back de-identified attribute by attribute to PS3.15 Table E.1-1,
// dates shifted by the patient's own shift (the same for every file),
// pixel data untouched; dcmtk's dcmdump, an independent reader, reads the
// copies and finds no patient name.
func TestDeidentifiedRealDICOM(t *testing.T) {
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Skip("MEDCHAIN_DICOM_CORPUS is not set: `make test` sets it from scripts/dicom-corpus.sh")
	}
	n := newNode(t)
	n.Start()
	alice := n.Address("alice")
	n.MustTx("alice", "access", "register-key")
	shift, err := strconv.Atoi(strings.TrimSpace(system.MustRun(t, n.Bin, "keys", "date-shift", "alice", "--home", n.Home, "--keyring-backend", "test")))
	if err != nil || shift > -365 {
		t.Fatalf("keys date-shift alice: %d, %v", shift, err)
	}
	dcmdump, _ := exec.LookPath("dcmdump")
	for _, name := range []string{"CT_small.dcm", "MR_small.dcm", "rtplan.dcm"} {
		original, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		orig, r := n.upload("alice", alice, filepath.Join(corpus, name), "--kind", "dicom")
		requireSuccess(t, "upload of "+name, r)
		r = n.dataTx("alice", "records", "deidentify", strconv.FormatUint(orig.RecordID, 10), "-o", "json")
		requireSuccess(t, "deidentify "+name, r)
		var copyRec uploaded
		if err := json.Unmarshal([]byte(r.Stdout), &copyRec); err != nil {
			t.Fatalf("deidentify -o json printed %q: %v", r.Stdout, err)
		}
		out := filepath.Join(t.TempDir(), name)
		requireSuccess(t, "download of the copy of "+name, n.download("alice", copyRec.RecordID, out))
		copied, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		checks, err := deid.VerifyDICOM(original, copied, shift)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range checks {
			if !c.OK {
				t.Errorf("%s: %s: want %s, found %q", name, c.What, c.Want, c.Got)
			}
		}
		t.Logf("%s: %d attribute checks passed", name, len(checks))
		if dcmdump != "" {
			dump, err := exec.Command(dcmdump, out).CombinedOutput()
			if err != nil || bytes.Contains(dump, []byte("E: ")) {
				t.Fatalf("dcmdump %s: %v\n%s", name, err, dump)
			}
			for _, line := range strings.Split(string(dump), "\n") {
				if strings.Contains(line, "(0010,0010)") && !strings.Contains(line, "(no value available)") {
					t.Fatalf("dcmdump shows a patient name in the copy of %s: %s", name, line)
				}
			}
			if !bytes.Contains(dump, []byte("(0012,0062) CS [YES]")) {
				t.Fatalf("dcmdump finds no Patient Identity Removed = YES in the copy of %s", name)
			}
		}
	}
}
