//go:build e2e

package system

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/bridge"
	"github.com/medchain/medchain/medclient/study"
	"github.com/medchain/medchain/testutil/orthanc"
	"github.com/medchain/medchain/testutil/system"
)

// TestPortalEnrolmentAndStudyViewer drives, in real headless Chromium, what
// a patient needs of the portal for a hospital's DICOMweb bridge: an
// enrolment code made in the page for a hospital the page lists, which Go
// (the bridge's own check) verifies against the patient's key for that
// hospital and no other, the WRITE-for-DICOM grant offered beside it, and
// a study record (a study container of two series, uploaded with the CLI)
// paged through instance by instance in the viewer; a container whose
// instance was altered shows the intact instances and refuses that one.
func TestPortalEnrolmentAndStudyViewer(t *testing.T) {
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Fatal("MEDCHAIN_DICOM_CORPUS is not set: run scripts/dicom-corpus.sh (make test-e2e does)")
	}
	n := newNode(t)
	patient, patientWords := n.addKeyWithMnemonic("patient")
	hospital := n.Address("val") // registered in genesis as an active hospital
	n.Start()
	n.Fund(patient)
	n.MustTx("patient", "access", "register-key")

	// A study of two series of three instances each, as the bridge stores
	// it; and a copy whose last instance has one byte changed.
	files := orthanc.MakeStudy(t, corpus, 2, 3, "P-1", "HOSP")
	instances := make([]study.Instance, len(files))
	for i, f := range files {
		in, err := study.NewInstance(f)
		if err != nil {
			t.Fatal(err)
		}
		instances[i] = in
	}
	var container bytes.Buffer
	idx, err := study.Write(&container, instances)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "study.tar")
	if err := os.WriteFile(good, container.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	last := idx.Instances[len(idx.Instances)-1]
	var lastBytes []byte
	for i, in := range instances {
		if in.SOPInstanceUID == last.SOPInstanceUID {
			lastBytes = files[i]
		}
	}
	at := bytes.Index(container.Bytes(), lastBytes)
	if at < 0 {
		t.Fatal("the last instance is not in the container unchanged")
	}
	altered := bytes.Clone(container.Bytes())
	altered[at+len(lastBytes)-10] ^= 0x55 // in its pixel data
	bad := filepath.Join(dir, "altered.tar")
	if err := os.WriteFile(bad, altered, 0o600); err != nil {
		t.Fatal(err)
	}
	goodUp, r := n.upload("patient", patient, good, "--label", "study")
	requireSuccess(t, "CLI upload of the study", r)
	badUp, r := n.upload("patient", patient, bad, "--label", "altered study")
	requireSuccess(t, "CLI upload of the altered study", r)
	if goodUp.Kind != "dicom" && goodUp.Kind != "RECORD_KIND_DICOM" {
		t.Fatalf("the study container uploads as kind %q, not dicom", goodUp.Kind)
	}

	b := newBrowser(t)
	portalURL := n.Vault + "/portal/"
	b.signIn(portalURL, patientWords)

	// The enrolment card lists the chain's hospitals; a code for one.
	b.do("the hospitals are listed", 30*time.Second,
		chromedp.WaitReady(chromedp.CSS(fmt.Sprintf("#enrol-hospital option[value=%q]", hospital))))
	b.fill("#enrol-hospital", hospital)
	b.fill("#enrol-valid", "3600")
	b.click("make an enrolment code", "#enrol-make", 30*time.Second)
	b.pageSays("enrolment code made for "+hospital, 60*time.Second)
	made := time.Now()
	code := value(b, "read the code", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#enrol-code"), "data-code")).Value
	shown := b.text("#enrol-code")
	if strings.ReplaceAll(shown, " ", "") != code || !strings.HasPrefix(shown, code[:4]+" "+code[4:8]+" ") {
		t.Fatalf("the page shows the code %q as %q, not in groups of four", code, shown)
	}
	if modules := value(b, "read the QR code", 10*time.Second,
		chromedp.AttributeValue(chromedp.CSS("canvas#enrol-qr"), "data-modules")).Value; modules == "" || modules == "0" {
		t.Fatalf("no QR code drawn (%q modules)", modules)
	}
	b.screenshot("enrolment-code")

	// Go reads it as the bridge does: the patient's, for this hospital on
	// this chain, signed by the patient's key, expiring in an hour.
	prefix, _, err := bech32.DecodeAndConvert(patient)
	if err != nil {
		t.Fatal(err)
	}
	var pk struct {
		Key string `json:"key"`
	}
	out := system.MustRun(t, n.Bin, "keys", "show", "patient", "--pubkey", "--keyring-backend", "test", "--home", n.Home)
	if err := json.Unmarshal([]byte(out), &pk); err != nil {
		t.Fatalf("keys show --pubkey printed %q: %v", out, err)
	}
	raw, err := base64.StdEncoding.DecodeString(pk.Key)
	if err != nil {
		t.Fatal(err)
	}
	pub := &secp256k1.PubKey{Key: raw}
	for _, typed := range []string{code, shown, strings.ToLower(shown)} {
		e, err := bridge.ParseEnrolmentCode(typed, n.ChainID, hospital, prefix)
		if err != nil {
			t.Fatalf("the bridge cannot read the page's code %q: %v", typed, err)
		}
		if e.Patient != patient {
			t.Fatalf("the code names patient %s, want %s", e.Patient, patient)
		}
		if err := e.Verify(pub, time.Now()); err != nil {
			t.Fatalf("the bridge refuses the page's code: %v", err)
		}
		if d := e.Expires.Sub(made); d > time.Hour+time.Second || d < 50*time.Minute {
			t.Fatalf("the code chosen valid for an hour expires at %s, %s after it was made", e.Expires, d)
		}
	}
	if e, err := bridge.ParseEnrolmentCode(code, n.ChainID, patient, prefix); err != nil || e.Verify(pub, time.Now()) == nil {
		t.Fatalf("the code for %s also verifies for another hospital (%v)", hospital, err)
	}

	// WRITE for DICOM to the hospital, through the grant flow.
	b.waitText("#enrol-write-status", "does not have it yet", 30*time.Second)
	b.click("grant the hospital WRITE for DICOM", "#enrol-grant-write", 30*time.Second)
	b.pageSays("given to "+hospital, 60*time.Second)
	b.waitText("#enrol-write-status", "this hospital has it", 30*time.Second)
	var grants struct {
		Grants []struct {
			Grantee    string   `json:"grantee"`
			RecordID   string   `json:"record_id"`
			Kinds      []string `json:"kinds"`
			Permission string   `json:"permission"`
			Purpose    string   `json:"purpose"`
		} `json:"grants"`
	}
	n.Query(&grants, "access", "grants-by-owner", patient)
	if len(grants.Grants) != 1 {
		t.Fatalf("the patient has %d grants after the page's WRITE grant, want 1: %+v", len(grants.Grants), grants)
	}
	g := grants.Grants[0]
	if g.Grantee != hospital || (g.RecordID != "" && g.RecordID != "0") || len(g.Kinds) != 1 || !strings.Contains(g.Kinds[0], "DICOM") ||
		!strings.Contains(g.Permission, "WRITE") || !strings.Contains(g.Purpose, "TREATMENT") {
		t.Fatalf("the page granted %+v, want WRITE over every DICOM record for treatment to %s", g, hospital)
	}

	// The study pages instance by instance, series by series.
	b.click("refresh", "#refresh", 30*time.Second)
	row := fmt.Sprintf("#record-%d", goodUp.RecordID)
	b.click("view the study", row+" button.view", 30*time.Second)
	b.pageSays("shown in the viewer", 90*time.Second)
	b.waitText("#viewer-position", "series 1 of 2, instance 1 of 3", 10*time.Second)
	b.waitText("#viewer-study", "6 instances in 2 series", 5*time.Second)
	showing := func(i int) {
		t.Helper()
		uid := value(b, "read the instance shown", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#viewer-layer"), "data-instance")).Value
		if uid != idx.Instances[i].SOPInstanceUID {
			t.Fatalf("the viewer shows instance %s, want the index's %d, %s", uid, i, idx.Instances[i].SOPInstanceUID)
		}
		drawn := value(b, "look at the viewer", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#viewer-layer"), "data-drawn")).Value
		if n, err := strconv.Atoi(drawn); err != nil || n < 1000 {
			t.Fatalf("the viewer drew %q non-black pixels of instance %d: its canvas is blank", drawn, i)
		}
	}
	b.screenshot("study-instance-1")
	showing(0)
	b.click("next instance", "#viewer-next", 10*time.Second)
	b.pageSays("series 1 of 2, instance 2 of 3 shown", 60*time.Second)
	showing(1)
	b.click("next instance", "#viewer-next", 10*time.Second)
	b.pageSays("instance 3 of 3 shown", 60*time.Second)
	b.click("next instance", "#viewer-next", 10*time.Second)
	b.pageSays("series 2 of 2, instance 1 of 3 shown", 60*time.Second)
	showing(3)
	b.screenshot("study-series-2")
	b.click("previous instance", "#viewer-prev", 10*time.Second)
	b.pageSays("series 1 of 2, instance 3 of 3 shown", 60*time.Second)
	showing(2)
	chooseSeries(b, 1)
	b.pageSays("series 2 of 2, instance 1 of 3 shown", 60*time.Second)

	// The altered study: its intact instances show; the altered one is
	// refused before the viewer sees it.
	b.click("view the altered study", fmt.Sprintf("#record-%d button.view", badUp.RecordID), 30*time.Second)
	b.pageSays("series 1 of 2, instance 1 of 3 shown", 90*time.Second)
	chooseSeries(b, 1)
	b.pageSays("series 2 of 2, instance 1 of 3 shown", 60*time.Second)
	b.click("next instance", "#viewer-next", 10*time.Second)
	b.pageSays("instance 2 of 3 shown", 60*time.Second)
	b.click("next instance", "#viewer-next", 10*time.Second)
	b.pageSays("does not match the study's index", 60*time.Second)
	b.screenshot("study-altered")
}

// chooseSeries picks series k (from 0) in the viewer's series list, as a
// person choosing it would (a change event).
func chooseSeries(b *browser, k int) {
	b.t.Helper()
	b.fill("#viewer-series", strconv.Itoa(k))
	value(b, fmt.Sprintf("choose series %d", k+1), 10*time.Second, chromedp.Evaluate[bool](
		`(document.getElementById("viewer-series").dispatchEvent(new Event("change")), true)`))
}
