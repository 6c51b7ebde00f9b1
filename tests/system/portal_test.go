//go:build e2e

package system

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the Chromium that scripts/chromium.sh installs
// (Debian's chromium package); the test needs a real browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MEDCHAIN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: run scripts/chromium.sh (make test-e2e does) or set MEDCHAIN_CHROMIUM")
	return ""
}

// browser is a headless Chromium tab that keeps a screenshot of each step.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artefacts string
	step      int
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	dir := os.Getenv("MEDCHAIN_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "artefacts")
	}
	dir = filepath.Join(dir, "portal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The first call starts the browser and must have no deadline: the
	// browser lives as long as that call's context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, artefacts: dir}
}

// do runs steps with a deadline, failing the test with the page's message
// (what a user would see) when they fail.
func (b *browser) do(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v; the page says: %q", what, err, b.message())
	}
}

// value runs one action that returns a value.
func value[T any](b *browser, what string, timeout time.Duration, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v; the page says: %q", what, err, b.message())
	}
	return v
}

// message is the text of the page's message box.
func (b *browser) message() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("message")||{}).textContent||""`))
	return msg
}

// screenshot keeps the page as NN-name.png among the test's artefacts.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.step++
	png := value(b, "screenshot "+name, 30*time.Second, chromedp.FullScreenshot(100))
	path := filepath.Join(b.artefacts, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// text reads the text of the element sel once it is visible.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, 30*time.Second, chromedp.WaitVisible(chromedp.CSS(sel)))
	return strings.TrimSpace(value(b, "read "+sel, 10*time.Second, chromedp.Text(chromedp.CSS(sel))))
}

// waitText waits until the element sel's text contains want.
func (b *browser) waitText(sel, want string, timeout time.Duration) {
	b.t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => { const tick = () => { const e = document.querySelector(%q);
		if (e && e.textContent.includes(%q)) resolve(true); else setTimeout(tick, 100); }; tick(); })`, sel, want)
	value(b, fmt.Sprintf("wait for %s to say %q", sel, want), timeout, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
}

// addKeyWithMnemonic adds a keyring key and returns its address and
// mnemonic, which the test types into the page as a user would.
func (n *node) addKeyWithMnemonic(name string) (string, string) {
	out := mustRun(n.t, n.bin, "keys", "add", name, "--keyring-backend", "test", "--home", n.home, "--output", "json")
	var key struct {
		Address  string `json:"address"`
		Mnemonic string `json:"mnemonic"`
	}
	if err := json.Unmarshal([]byte(out), &key); err != nil || key.Mnemonic == "" {
		n.t.Fatalf("keys add %s -o json printed %q: %v", name, out, err)
	}
	return key.Address, key.Mnemonic
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestPortalInTheBrowser drives the web portal in real headless Chromium
// against a real node and its vault, and cross-checks every result with
// the CLI: the encryption key the page derives is the CLI's, a record
// uploaded in the page downloads byte-identical with the CLI, and one
// uploaded with the CLI downloads byte-identical in the page.
func TestPortalInTheBrowser(t *testing.T) {
	n := newNode(t)
	patient, mnemonic := n.addKeyWithMnemonic("patient")
	n.start()
	n.fund(patient)
	b := newBrowser(t)
	dir := t.TempDir()

	// Sign in with the mnemonic, held only in the page.
	b.do("open the portal", 60*time.Second,
		chromedp.Navigate(n.vault+"/portal/"),
		chromedp.WaitVisible(chromedp.CSS("#mnemonic")))
	b.screenshot("sign-in")
	b.do("sign in", 60*time.Second,
		chromedp.SendKeys(chromedp.CSS("#mnemonic"), mnemonic),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#key-id")))

	// The page derives the same encryption key as the CLI.
	var cliKey struct {
		KeyID string `json:"key_id"`
	}
	out := mustRun(t, n.bin, "keys", "encryption-key", "patient", "--keyring-backend", "test", "--home", n.home, "--output", "json")
	if err := json.Unmarshal([]byte(out), &cliKey); err != nil {
		t.Fatalf("keys encryption-key -o json printed %q: %v", out, err)
	}
	if got := b.text("#key-id"); got != cliKey.KeyID || got == "" {
		t.Fatalf("the page derived encryption key %q, the CLI %q", got, cliKey.KeyID)
	}
	b.waitText("#key-status", "not registered", 30*time.Second)

	// Register it from the page; the chain then holds the CLI's key.
	b.do("register the key", 30*time.Second, chromedp.Click(chromedp.CSS("#register-key")))
	b.waitText("#key-status", "registered on chain", 60*time.Second)
	var onChain struct {
		Key struct {
			KeyID string `json:"key_id"`
		} `json:"key"`
	}
	n.query(&onChain, "access", "key", patient)
	if onChain.Key.KeyID != cliKey.KeyID {
		t.Fatalf("the chain holds key %q after the page registered, want %q", onChain.Key.KeyID, cliKey.KeyID)
	}
	b.screenshot("key-registered")

	// Upload a file in the page; the CLI downloads it byte-identical and
	// opens the sealed label.
	original := filepath.Join(dir, "scan.bin")
	payload := bytes.Repeat([]byte("medchain portal upload test "), 80_000) // 2.2 MB: three chunks
	if err := os.WriteFile(original, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("upload", 120*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{original}),
		chromedp.SendKeys(chromedp.CSS("#upload-label"), "knee MRI from the browser"),
		chromedp.Click(chromedp.CSS("#upload")),
		chromedp.WaitVisible(chromedp.CSS("#uploaded-record")))
	idText := value(b, "read the record id", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#uploaded-record"), "data-record")).Value
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || id == 0 {
		t.Fatalf("the page reports record %q", idText)
	}
	b.waitText(fmt.Sprintf("#record-%d .label", id), "knee MRI from the browser", 30*time.Second)
	b.screenshot("uploaded")
	viaCLI := filepath.Join(dir, "via-cli.bin")
	if r := n.download("patient", id, viaCLI); r.err != nil {
		t.Fatalf("the CLI cannot download the record the page uploaded: %v\n%s", r.err, r.combined())
	}
	if got, want := sha256File(t, viaCLI), sha256File(t, original); got != want {
		t.Fatalf("the CLI downloaded %s, the page uploaded %s", got, want)
	}
	if s := n.show("patient", id); s.Label != "knee MRI from the browser" {
		t.Fatalf("the CLI reads the label %q", s.Label)
	}

	// Upload with the CLI; the page downloads it byte-identical, every
	// block verified.
	cliFile := filepath.Join(dir, "labs.json")
	if err := os.WriteFile(cliFile, []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":5.4}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	up, r := n.upload("patient", patient, cliFile, "--label", "labs")
	if r.err != nil {
		t.Fatalf("CLI upload: %v\n%s", r.err, r.combined())
	}
	b.do("refresh", 30*time.Second,
		chromedp.Click(chromedp.CSS("#refresh")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#record-%d button.download", up.RecordID))))
	b.waitText(fmt.Sprintf("#record-%d .kind", up.RecordID), "fhir", 10*time.Second)
	b.do("download in the page", 60*time.Second,
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#record-%d button.download", up.RecordID))),
		chromedp.WaitVisible(chromedp.CSS("#download-sha256")))
	if got, want := b.text("#download-sha256"), sha256File(t, cliFile); got != want {
		t.Fatalf("the page downloaded %s, the CLI uploaded %s", got, want)
	}
	b.screenshot("downloaded")
}
