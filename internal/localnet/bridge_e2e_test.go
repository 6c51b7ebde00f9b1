//go:build e2e

package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medchain/medchain/bridge"
	"github.com/medchain/medchain/testutil/mhd"
	"github.com/medchain/medchain/testutil/orthanc"
	"github.com/medchain/medchain/testutil/system"
)

// TestPACSThroughTheBridge runs the DICOMweb bridge between two real
// Orthanc PACS and the four-hospital network: St Mary's PACS pushes a
// multi-series study of alice's, which lands as one record she owns only
// once she has enrolled and granted St Mary's WRITE; Karolinska's PACS
// finds and retrieves nothing until alice grants Karolinska READ, then
// retrieves every instance byte-identical to what St Mary's PACS held, and
// alice's access log names Karolinska. The study downloads as a directory
// of the same .dcm files.
func TestPACSThroughTheBridge(t *testing.T) {
	if _, _, ok := orthanc.Binary(); !ok {
		t.Skip("Orthanc is not installed: scripts/install-orthanc.sh")
	}
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Skip("MEDCHAIN_DICOM_CORPUS is not set: export MEDCHAIN_DICOM_CORPUS=$(scripts/dicom-corpus.sh)")
	}
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	network := startConsortium(t, bin, cfg, 24000, 6*time.Minute)
	ctx, st := network.ctx, network.ready.State
	c := &chainCLI{t: t, ctx: ctx, b: binary{path: bin}, st: st}
	addr := network.ready.Addresses
	vaultOf := func(name string) string { return network.vault(t, name) }
	for _, who := range []string{"alice", "st-mary", "karolinska"} {
		c.txWait("tx", "access", "register-key", "--from", who)
	}

	stMary := startBridge(t, c, "st-mary", vaultOf("st-mary"))
	karolinska := startBridge(t, c, "karolinska", vaultOf("karolinska"))
	pacsA := orthanc.Start(t, orthanc.Options{Name: "pacs-st-mary", Servers: map[string]orthanc.RemoteServer{
		"medchain": {URL: stMary.url + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer " + stMary.token}},
	}})
	pacsB := orthanc.Start(t, orthanc.Options{Name: "pacs-karolinska", Servers: map[string]orthanc.RemoteServer{
		"medchain": {URL: karolinska.url + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer " + karolinska.token}},
	}})

	// St Mary's PACS holds a study of alice's: 3 series of 4 instances.
	files := orthanc.MakeStudy(t, corpus, 3, 4, "SM-0042", "ST-MARY")
	studyUID, _, _ := orthanc.UIDs(t, files[0])
	for _, f := range files {
		pacsA.Upload(t, f)
	}
	held := pacsA.StudyInstances(t, studyUID)
	push := func() error { return pacsA.Stow(t, "medchain", []string{pacsA.FindStudy(t, studyUID)}) }
	records := func() int {
		var out struct {
			Records []any `json:"records"`
		}
		c.queryJSON(&out, "query", "records", "records-by-owner", addr["alice"])
		return len(out.Records)
	}

	// Not enrolled: refused, and nothing is stored.
	if err := push(); err == nil {
		t.Fatal("a study of a patient nobody enrolled was stored")
	}
	// alice enrols at St Mary's front desk, but has granted nothing yet.
	code := strings.TrimSpace(string(c.must("bridge", "enrol-code", addr["st-mary"], "--from", "alice", "--chain-id", st.ChainID)))
	c.must("bridge", "enrol", code, "--patient-id", "SM-0042", "--issuer", "ST-MARY", "--from", "st-mary", "--bridge-dir", stMary.dir,
		"--node", "tcp://"+hostPort(st.Nodes[0].Ports.RPC), "--chain-id", st.ChainID)
	if _, err := c.run("bridge", "enrol", code, "--patient-id", "OTHER", "--from", "st-mary", "--bridge-dir", stMary.dir,
		"--node", "tcp://"+hostPort(st.Nodes[0].Ports.RPC), "--chain-id", st.ChainID); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("an enrolment code used twice: %v", err)
	}
	if err := push(); err == nil || !strings.Contains(err.Error(), "consent") && !strings.Contains(err.Error(), "409") {
		t.Fatalf("a study pushed without the patient's WRITE grant: %v", err)
	}
	if n := records(); n != 0 {
		t.Fatalf("alice has %d records after refused pushes", n)
	}

	// With her WRITE grant the study lands as one record she owns.
	c.txWait("tx", "access", "grant", "all", addr["st-mary"], "--permission", "write", "--kinds", "dicom", "--purpose", "treatment", "--from", "alice")
	began := time.Now()
	if err := push(); err != nil {
		t.Fatalf("push with consent: %v", err)
	}
	t.Logf("a %d-instance study from St Mary's PACS to a committed record in %s", len(files), time.Since(began).Round(time.Millisecond))
	if n := records(); n != 1 {
		t.Fatalf("alice has %d records after the push, want one for the study", n)
	}

	// Karolinska's PACS finds nothing and retrieves nothing before consent.
	found, err := pacsB.Qido(t, "medchain", "/studies")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, found); n != 0 {
		t.Fatalf("Karolinska's QIDO finds %d studies before any grant: %s", n, found)
	}
	if err := pacsB.Retrieve(t, "medchain", studyUID); err == nil && len(pacsB.StudyInstances(t, studyUID)) > 0 {
		t.Fatal("Karolinska's PACS retrieved a study it was not granted")
	}

	// alice grants Karolinska READ: QIDO finds it, WADO returns every instance.
	c.txWait("tx", "access", "grant", "all", addr["karolinska"], "--kinds", "dicom", "--purpose", "treatment", "--from", "alice")
	found, err = pacsB.Qido(t, "medchain", "/studies?PatientID=SM-0042")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, found); n != 1 || !strings.Contains(string(found), studyUID) {
		t.Fatalf("Karolinska's QIDO after the grant: %s", found)
	}
	began = time.Now()
	if err := pacsB.Retrieve(t, "medchain", studyUID); err != nil {
		t.Fatalf("Karolinska's retrieve after the grant: %v", err)
	}
	t.Logf("Karolinska's PACS retrieved the study in %s", time.Since(began).Round(time.Millisecond))
	got := pacsB.StudyInstances(t, studyUID)
	if len(got) != len(held) {
		t.Fatalf("Karolinska's PACS holds %d instances, St Mary's held %d", len(got), len(held))
	}
	for sop, data := range held {
		if !bytes.Equal(got[sop], data) {
			t.Fatalf("instance %s differs between the two PACS", sop)
		}
	}

	// alice's access log names Karolinska.
	var mine struct {
		Records []struct {
			ID string `json:"id"`
		} `json:"records"`
	}
	c.queryJSON(&mine, "query", "records", "records-by-owner", addr["alice"])
	id := mine.Records[0].ID
	log, err := c.run("query", "records", "access-log", id, "--from", "alice", "--vault", vaultOf("karolinska"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, addr["karolinska"]) {
		t.Fatalf("alice's access log does not name Karolinska:\n%s", log)
	}

	// St Mary's viewer reads for dr-house, its practitioner, once alice
	// lets St Mary's read: the vault's log names dr-house. dr-grey, of
	// another hospital, gets nothing through St Mary's bridge.
	c.txWait("tx", "access", "grant", id, addr["st-mary"], "--purpose", "treatment", "--from", "alice")
	if status, parts := wado(t, stMary, "/dicom-web/studies/"+studyUID, addr["dr-grey"]); status != http.StatusNotFound || parts != 0 {
		t.Fatalf("dr-grey of Charité through St Mary's bridge: %d, %d instances", status, parts)
	}
	if status, parts := wado(t, stMary, "/dicom-web/studies/"+studyUID, addr["dr-house"]); status != http.StatusOK || parts != len(held) {
		t.Fatalf("dr-house through St Mary's bridge: %d, %d instances", status, parts)
	}
	log, err = c.run("query", "records", "access-log", id, "--from", "alice", "--vault", vaultOf("st-mary"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, `"practitioner":"`+addr["dr-house"]) {
		t.Fatalf("alice's access log at St Mary's vault does not name dr-house:\n%s", log)
	}

	// The EHR side: Karolinska's EHR files a discharge summary (ITI-65)
	// for alice, known there by her MRN; St Mary's EHR finds (ITI-67) and
	// retrieves (ITI-68) it once alice lets St Mary's read FHIR records.
	mhdTest(t, c, st, karolinska, "karolinska", stMary, "st-mary", addr)

	// The study downloads as a directory of the same .dcm files.
	dir := filepath.Join(t.TempDir(), "study")
	c.must(c.qflags("query", "records", "download", id, "-o", dir, "--from", "alice", "--vault", vaultOf("st-mary"))...)
	n := 0
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, _, sop := orthanc.UIDs(t, data)
		if !bytes.Equal(held[sop], data) {
			return fmt.Errorf("%s differs from what St Mary's PACS held", path)
		}
		n++
		return nil
	})
	if err != nil || n != len(held) {
		t.Fatalf("the downloaded study: %d files of %d: %v", n, len(held), err)
	}
}

// wado reads path from a bridge for a practitioner and returns the status
// and the number of instances returned.
func wado(t *testing.T, b runningBridge, path, practitioner string) (int, int) {
	t.Helper()
	req, err := http.NewRequest("GET", b.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Accept", `multipart/related; type="application/dicom"`)
	req.Header.Set(bridge.PractitionerHeader, practitioner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, 0
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	n := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return resp.StatusCode, n
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, p)
		n++
	}
}

func mhdTest(t *testing.T, c *chainCLI, st *State, writer runningBridge, writerName string, reader runningBridge, readerName string, addr map[string]string) {
	t.Helper()
	const mrnSystem, mrn = "urn:oid:2.16.840.1.113883.19.5", "MRN-4711"
	summary := []byte("%PDF-1.4\n% a discharge summary\n")
	code := strings.TrimSpace(string(c.must("bridge", "enrol-code", addr[writerName], "--from", "alice", "--chain-id", st.ChainID)))
	c.must("bridge", "enrol", code, "--patient-id", mrn, "--issuer", mrnSystem, "--from", writerName, "--bridge-dir", writer.dir,
		"--node", "tcp://"+hostPort(st.Nodes[0].Ports.RPC), "--chain-id", st.ChainID)
	bundle, err := json.Marshal(mhd.Bundle(mrnSystem, mrn, mhd.Doc{Data: summary, ContentType: "application/pdf", TypeCode: "18842-5", TypeDisplay: "Discharge summary"}))
	if err != nil {
		t.Fatal(err)
	}
	provide := func() (int, string) {
		status, body := fhirCall(t, writer, "POST", "/fhir", bundle)
		return status, string(body)
	}
	if status, body := provide(); status != http.StatusForbidden {
		t.Fatalf("ITI-65 without a WRITE grant for FHIR: %d %s", status, body)
	}
	c.txWait("tx", "access", "grant", "all", addr[writerName], "--permission", "write", "--kinds", "fhir", "--purpose", "treatment", "--from", "alice")
	status, body := provide()
	if status != http.StatusOK || !strings.Contains(body, "201 Created") {
		t.Fatalf("ITI-65 with consent: %d %s", status, body)
	}
	find := func() (int, []byte) {
		return fhirCall(t, reader, "GET", "/fhir/DocumentReference?patient.identifier="+url.QueryEscape(mrnSystem+"|"+mrn), nil)
	}
	if status, body := find(); status != http.StatusOK || strings.Contains(string(body), "DocumentReference/") {
		t.Fatalf("the reader's ITI-67 before any FHIR grant: %d %s", status, body)
	}
	c.txWait("tx", "access", "grant", "all", addr[readerName], "--kinds", "fhir", "--purpose", "treatment", "--from", "alice")
	status, found := find()
	var bundleOut struct {
		Entry []struct {
			Resource struct {
				ID      string `json:"id"`
				Content []struct {
					Attachment struct {
						URL string `json:"url"`
					} `json:"attachment"`
				} `json:"content"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(found, &bundleOut); status != http.StatusOK || err != nil || len(bundleOut.Entry) != 1 {
		t.Fatalf("the reader's ITI-67 after the grant: %d %s", status, found)
	}
	u, err := url.Parse(bundleOut.Entry[0].Resource.Content[0].Attachment.URL)
	if err != nil {
		t.Fatal(err)
	}
	status, doc := fhirCall(t, reader, "GET", u.Path, nil)
	if status != http.StatusOK || !bytes.Equal(doc, summary) {
		t.Fatalf("the reader's ITI-68: %d, %q", status, doc)
	}
}

// fhirCall sends a FHIR request to a bridge.
func fhirCall(t *testing.T, b runningBridge, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, b.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func count(t *testing.T, qido json.RawMessage) int {
	t.Helper()
	var list []any
	if err := json.Unmarshal(qido, &list); err != nil {
		t.Fatalf("a QIDO answer that is not a JSON array: %s", qido)
	}
	return len(list)
}

// must runs medchaind in the client home and fails the test on error.
func (c *chainCLI) must(args ...string) []byte {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return []byte(out)
}

// run runs medchaind with the client home and test keyring.
func (c *chainCLI) run(args ...string) (string, error) {
	if !contains(args, "--home") {
		args = append(args, "--home", c.st.ClientHome)
	}
	if !contains(args, "--keyring-backend") {
		args = append(args, "--keyring-backend", "test")
	}
	stdout, stderr, err := c.b.run(c.ctx, "", args...)
	return string(stdout) + string(stderr), err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type runningBridge struct {
	url, token, dir string
}

// startBridge runs `medchaind bridge start` as hospital, with one client
// system whose token it returns.
func startBridge(t *testing.T, c *chainCLI, hospital, vault string) runningBridge {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bridge-"+hospital)
	out, _, err := c.b.run(c.ctx, "", "bridge", "add-client", "pacs", "--bridge-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(out))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(c.ctx)
	logPath := filepath.Join(dir, "bridge.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, c.b.path, "bridge", "start", "--from", hospital, "--bridge-dir", dir, "--listen", listen,
		"--vault", vault, "--home", c.st.ClientHome, "--keyring-backend", "test", "--chain-id", c.st.ChainID,
		"--node", "tcp://"+hostPort(c.st.Nodes[0].Ports.RPC))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("bridge of %s:\n%s", hospital, tail(string(b), 40))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", listen, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the bridge of %s did not listen within 30s:\n%s", hospital, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return runningBridge{url: "http://" + listen, token: token, dir: dir}
}
