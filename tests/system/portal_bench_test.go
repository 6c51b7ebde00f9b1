//go:build e2e

package system

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"github.com/medchain/medchain/testutil/system"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// rendererRSS is the resident memory of Chromium's renderer processes,
// where the page, its JavaScript heap and its WebAssembly memory live (the
// browser process, which keeps the blob store, is not the page).
func rendererRSS() int64 {
	var total int64
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "--type=renderer") {
			continue
		}
		f, err := os.Open(filepath.Join(d, "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				total += kb << 10
			}
		}
		f.Close()
	}
	return total
}

// TestPortalLargeUploadMemory uploads a large file through the page and
// measures what the page holds meanwhile: the renderer's resident memory
// and the WebAssembly client's. It runs only with
// MEDCHAIN_PORTAL_BENCH_BYTES set (scripts/bench-portal.sh sets 1 GiB) and
// fails if the page ever holds a quarter of the file: uploads stream.
func TestPortalLargeUploadMemory(t *testing.T) {
	size, _ := strconv.ParseInt(os.Getenv("MEDCHAIN_PORTAL_BENCH_BYTES"), 10, 64)
	if size <= 0 {
		t.Skip("set MEDCHAIN_PORTAL_BENCH_BYTES (scripts/bench-portal.sh) to run the portal's large-upload benchmark")
	}
	n := newNode(t)
	patient, words := n.addKeyWithMnemonic("patient")
	n.Start()
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(n.LogPath); err == nil {
				var lines []string
				for _, l := range strings.Split(string(log), "\n") {
					if strings.Contains(l, "vault") && !strings.Contains(l, "chain_height") {
						lines = append(lines, l)
					}
				}
				t.Logf("vault log:\n%s", system.Tail(strings.Join(lines, "\n"), 15))
			}
		}
	})
	n.Fund(patient)
	n.MustTx("patient", "access", "register-key")

	file := filepath.Join(t.TempDir(), "large.bin")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	b := newBrowser(t)
	b.signIn(n.Vault+"/portal/", words)
	b.waitText("#key-status", "registered on chain", 30*time.Second)
	base := rendererRSS()

	var peakRSS, peakWasm atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r := rendererRSS(); r > peakRSS.Load() {
					peakRSS.Store(r)
				}
			}
		}
	}()
	start := time.Now()
	b.do("upload", 5*time.Minute,
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#upload-done")))
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	peakWasm.Store(int64(value(b, "wasm memory", 10*time.Second, chromedp.Evaluate[float64](`globalThis.medchainMemory()`))))
	id, _ := strconv.ParseUint(value(b, "record id", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#upload-done"), "data-record")).Value, 10, 64)

	mib := func(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
	t.Logf("portal upload of %s: %.1f s (%.1f MiB/s, encrypt + chunk + send + register); renderer RSS %s before, peak %s; WebAssembly memory %s",
		mib(size), elapsed.Seconds(), float64(size)/(1<<20)/elapsed.Seconds(), mib(base), mib(peakRSS.Load()), mib(peakWasm.Load()))
	if got, r := n.cliSHA("patient", id); r.Err != nil || got != sha256File(t, file) {
		t.Fatalf("the CLI downloads %s of the large upload (%v)\n%s", got, r.Err, r.Combined())
	}
	if grew := peakRSS.Load() - base; grew > size/4 {
		t.Fatalf("the page grew by %s uploading %s: the upload is not streamed", mib(grew), mib(size))
	}
	if peakWasm.Load() > size/4 {
		t.Fatalf("the WebAssembly client holds %s after uploading %s", mib(peakWasm.Load()), mib(size))
	}
}
