//go:build e2e

package localnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/orthanc"
	"github.com/medchain/medchain/testutil/system"
)

// TestBridgeFigures measures the DICOMweb bridge on the four-hospital
// network with two real Orthanc PACS. It runs only with
// MEDCHAIN_BENCH_BRIDGE=1: scripts/bench-bridge.sh runs it and prints the
// figures docs/bridge.md quotes.
//
//   - a 100-instance study (4 series) from St Mary's PACS push to its
//     committed record;
//   - Karolinska's PACS retrieving it through its bridge;
//   - the chain's own record rate in the same run: three patients storing
//     small records at once with `medchaind tx records upload`, one record
//     per transaction;
//   - a backfill of BRIDGE_BACKFILL studies (default 1,000, one instance
//     each, of three patients) pushed from St Mary's PACS in one STOW-RS
//     request, to the last committed record: each study is one record, so
//     studies per second are also the backfill's records per second; and
//     its ratio to the chain's rate (the target is at least 0.8).
func TestBridgeFigures(t *testing.T) {
	if os.Getenv("MEDCHAIN_BENCH_BRIDGE") != "1" {
		t.Skip("a measurement, not a test: scripts/bench-bridge.sh runs it")
	}
	if _, _, ok := orthanc.Binary(); !ok {
		t.Fatal("Orthanc is not installed: scripts/install-orthanc.sh")
	}
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Fatal("MEDCHAIN_DICOM_CORPUS is not set")
	}
	backfill := 1000
	if v := os.Getenv("BRIDGE_BACKFILL"); v != "" {
		fmt.Sscan(v, &backfill)
	}
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	network := startConsortium(t, bin, cfg, 25000, 40*time.Minute)
	st := network.ready.State
	c := &chainCLI{t: t, ctx: network.ctx, b: binary{path: bin}, st: st}
	addr := network.ready.Addresses
	patients := []string{"alice", "bob", "carol"}
	var wg sync.WaitGroup
	for _, who := range append([]string{"st-mary", "karolinska"}, patients...) {
		wg.Add(1)
		go func() { defer wg.Done(); c.txWait("tx", "access", "register-key", "--from", who) }()
	}
	wg.Wait()
	stMary := startBridge(t, c, "st-mary", network.vault(t, "st-mary"))
	karolinska := startBridge(t, c, "karolinska", network.vault(t, "karolinska"))
	pacsA := orthanc.Start(t, orthanc.Options{Name: "pacs-st-mary", Servers: map[string]orthanc.RemoteServer{
		"medchain": {URL: stMary.url + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer " + stMary.token}, Extra: map[string]any{"Timeout": 1800}},
	}})
	pacsB := orthanc.Start(t, orthanc.Options{Name: "pacs-karolinska", Servers: map[string]orthanc.RemoteServer{
		"medchain": {URL: karolinska.url + "/dicom-web/", Headers: map[string]string{"Authorization": "Bearer " + karolinska.token}, Extra: map[string]any{"Timeout": 1800}},
	}})
	for _, p := range patients {
		code := strings.TrimSpace(string(c.must("bridge", "enrol-code", addr["st-mary"], "--from", p, "--chain-id", st.ChainID)))
		c.must("bridge", "enrol", code, "--patient-id", "BENCH-"+p, "--issuer", "ST-MARY", "--from", "st-mary", "--bridge-dir", stMary.dir,
			"--node", "tcp://"+hostPort(st.Nodes[0].Ports.RPC), "--chain-id", st.ChainID)
		c.txWait("tx", "access", "grant", "all", addr["st-mary"], "--permission", "write", "--kinds", "dicom", "--purpose", "treatment", "--from", p)
		c.txWait("tx", "access", "grant", "all", addr["karolinska"], "--kinds", "dicom", "--purpose", "treatment", "--from", p)
	}

	// A 100-instance study, pushed and retrieved.
	files := orthanc.MakeStudy(t, corpus, 4, 25, "BENCH-alice", "ST-MARY")
	studyUID, _, _ := orthanc.UIDs(t, files[0])
	for _, f := range files {
		pacsA.Upload(t, f)
	}
	began := time.Now()
	if err := pacsA.Stow(t, "medchain", []string{pacsA.FindStudy(t, studyUID)}); err != nil {
		t.Fatal(err)
	}
	study100 := time.Since(began)
	began = time.Now()
	if err := pacsB.Retrieve(t, "medchain", studyUID); err != nil {
		t.Fatal(err)
	}
	retrieve100 := time.Since(began)
	if n := len(pacsB.StudyInstances(t, studyUID)); n != 100 {
		t.Fatalf("Karolinska's PACS holds %d instances of the study, want 100", n)
	}

	// The chain's own record rate: three patients upload at once, one
	// record per transaction, with the CLI.
	const perPatient = 20
	began = time.Now()
	for _, p := range patients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perPatient {
				c.upload(p, network.vault(t, "st-mary"), 20_000)
			}
		}()
	}
	wg.Wait()
	chainRate := float64(len(patients)*perPatient) / time.Since(began).Seconds()

	// The backfill: every study in St Mary's PACS, in one STOW-RS request.
	var ids []string
	for i := range backfill {
		f := orthanc.MakeStudy(t, corpus, 1, 1, "BENCH-"+patients[i%len(patients)], "ST-MARY")[0]
		ids = append(ids, pacsA.Upload(t, f))
	}
	began = time.Now()
	if err := pacsA.StowJob(t, "medchain", ids, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	backfillTime := time.Since(began)
	backfillRate := float64(backfill) / backfillTime.Seconds()

	t.Logf("100-instance study: push to committed record %s, retrieval %s; chain (CLI, one record per tx, 3 patients): %.2f records/s; backfill of %d studies: %s, %.2f studies/s (%.2fx the chain's rate)",
		study100.Round(time.Millisecond), retrieve100.Round(time.Millisecond), chainRate, backfill, backfillTime.Round(time.Second), backfillRate, backfillRate/chainRate)
}
