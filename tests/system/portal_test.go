//go:build e2e

package system

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/medchain/medchain/testutil/system"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/envelope"
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
	// The page's console and uncaught exceptions go to the test log, for a
	// failure to be read from it.
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf), chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			t.Logf("page console.%s: %s", e.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Logf("page exception: %s", msg)
		}
	}))
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
	out := system.MustRun(n.T, n.Bin, "keys", "add", name, "--keyring-backend", "test", "--home", n.Home, "--output", "json")
	var key struct {
		Address  string `json:"address"`
		Mnemonic string `json:"mnemonic"`
	}
	if err := json.Unmarshal([]byte(out), &key); err != nil || key.Mnemonic == "" {
		n.T.Fatalf("keys add %s -o json printed %q: %v", name, out, err)
	}
	return key.Address, key.Mnemonic
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signIn opens the portal afresh and signs in with mnemonic, as a person
// would; the page keeps nothing from an earlier session.
func (b *browser) signIn(portalURL, mnemonic string) {
	b.t.Helper()
	b.do("open the portal", 60*time.Second,
		chromedp.Navigate(portalURL),
		chromedp.WaitVisible(chromedp.CSS("#mnemonic")))
	b.do("sign in", 60*time.Second,
		chromedp.SendKeys(chromedp.CSS("#mnemonic"), mnemonic),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#key-id")))
}

// click clicks sel once it is visible, hiding the page's message first so
// that pageSays waits for what this click makes the page say. The click is
// the element's own
// (HTMLElement.click): a mouse click at coordinates can land beside a
// button the page has just scrolled away from.
func (b *browser) click(what, sel string, timeout time.Duration) {
	b.t.Helper()
	b.do(what, timeout, chromedp.WaitVisible(chromedp.CSS(sel)))
	value(b, what, 10*time.Second, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const m = document.getElementById("message"); if (m) m.hidden = true;
		 const e = document.querySelector(%q); e.scrollIntoView(); e.click(); return true; })()`, sel)))
}

// fill replaces the value of the input or select sel with text.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	b.do("fill "+sel, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(sel)))
	value(b, "fill "+sel, 10*time.Second, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { document.querySelector(%q).value = %q; return true; })()`, sel, text)))
}

// pageSays waits until the page's message says want (an error message
// fails the test at once).
func (b *browser) pageSays(want string, timeout time.Duration) {
	b.t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => { const tick = () => { const e = document.getElementById("message");
		if (e && !e.hidden && (e.textContent.includes(%q) || e.className.includes("error"))) resolve(e.textContent);
		else setTimeout(tick, 100); }; tick(); })`, want)
	got := value(b, fmt.Sprintf("wait for the page to say %q", want), timeout, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if !strings.Contains(got, want) {
		b.t.Fatalf("the page says %q, want %q", got, want)
	}
}

func (n *node) cliSHA(from string, id uint64) (string, system.Result) {
	n.T.Helper()
	path := filepath.Join(n.T.TempDir(), fmt.Sprintf("record-%d", id))
	r := n.download(from, id, path)
	if r.Err != nil {
		return "", r
	}
	return sha256File(n.T, path), r
}

// TestPortalInTheBrowser drives the web portal in real headless Chromium
// against a real node and its vault, as a patient and then a clinician,
// and cross-checks every result with the CLI: the encryption key the page
// derives is the CLI's; a DICOM file uploaded in the page is listed, shown
// in the viewer and downloads byte-identical with the CLI for the doctor it
// is shared with; a record uploaded with the CLI downloads byte-identical
// in the page; the doctor uploads through the page for the patient, and
// the patient downloads it with the CLI byte-identical; a request made in
// the page is approved in the inbox; the consent export is the CLI's; the
// access log shows the doctor's read; and revoking in the page rotates the
// key, after which the doctor is refused.
//
// It runs twice: once signing transactions in direct mode (a software
// wallet, Keplr) and once in amino-JSON (a Ledger), so that every message
// the portal sends is also signed the way the chain rebuilds an amino
// sign document.
func TestPortalInTheBrowser(t *testing.T) {
	for _, mode := range []string{"direct", "amino-json"} {
		t.Run(mode, func(t *testing.T) { portalScenario(t, mode) })
	}
}

func portalScenario(t *testing.T, mode string) {
	corpus := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if corpus == "" {
		t.Fatal("MEDCHAIN_DICOM_CORPUS is not set: run scripts/dicom-corpus.sh (make test-e2e does)")
	}
	scan := filepath.Join(corpus, "CT_small.dcm")
	n := newNode(t)
	patient, patientWords := n.addKeyWithMnemonic("patient")
	doctor, doctorWords := n.addKeyWithMnemonic("doctor")
	hospital := n.Address("val")
	n.Start()
	n.Fund(patient)
	n.Fund(doctor)
	n.MustTx("val", "issuers", "add-practitioner", doctor, "doctor")
	n.MustTx("doctor", "access", "register-key")
	n.MustTx("val", "access", "register-key")
	portalURL := n.Vault + "/portal/"
	if mode == "amino-json" {
		portalURL += "?sign=amino"
	}
	b := newBrowser(t)

	// Sign in with the mnemonic, held only in the page.
	b.do("open the portal", 60*time.Second, chromedp.Navigate(portalURL), chromedp.WaitVisible(chromedp.CSS("#mnemonic")))
	b.screenshot("sign-in")
	b.signIn(portalURL, patientWords)

	// The page derives the same encryption key as the CLI.
	var cliKey struct {
		KeyID string `json:"key_id"`
	}
	out := system.MustRun(t, n.Bin, "keys", "encryption-key", "patient", "--keyring-backend", "test", "--home", n.Home, "--output", "json")
	if err := json.Unmarshal([]byte(out), &cliKey); err != nil {
		t.Fatalf("keys encryption-key -o json printed %q: %v", out, err)
	}
	if got := b.text("#key-id"); got != cliKey.KeyID || got == "" {
		t.Fatalf("the page derived encryption key %q, the CLI %q", got, cliKey.KeyID)
	}
	b.waitText("#key-status", "not registered", 30*time.Second)

	// Register it from the page; the chain then holds the CLI's key.
	b.click("register the key", "#register-key", 30*time.Second)
	b.waitText("#key-status", "registered on chain", 60*time.Second)
	var onChain struct {
		Key struct {
			KeyID string `json:"key_id"`
		} `json:"key"`
	}
	n.Query(&onChain, "access", "key", patient)
	if onChain.Key.KeyID != cliKey.KeyID {
		t.Fatalf("the chain holds key %q after the page registered, want %q", onChain.Key.KeyID, cliKey.KeyID)
	}

	// Upload a real DICOM file in the page: listed as dicom, with its
	// label opened, and shown in the viewer.
	b.do("upload", 120*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{scan}),
		chromedp.SendKeys(chromedp.CSS("#upload-label"), "CT from the browser"),
		chromedp.Click(chromedp.CSS("#upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#upload-done")))
	idText := value(b, "read the record id", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#upload-done"), "data-record")).Value
	scanID, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || scanID == 0 {
		t.Fatalf("the page reports record %q", idText)
	}
	row := fmt.Sprintf("#record-%d", scanID)
	b.waitText(row+" .label", "CT from the browser", 30*time.Second)
	b.waitText(row+" .kind", "dicom", 5*time.Second)
	b.screenshot("uploaded")
	b.click("view the scan", row+" button.view", 30*time.Second)
	b.pageSays("shown in the viewer", 60*time.Second)
	// The viewer runs in a sandboxed frame the test cannot read into; it
	// reports the pixels it drew.
	drawn := value(b, "look at the viewer", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#viewer-layer"), "data-drawn")).Value
	if n, err := strconv.Atoi(drawn); err != nil || n < 1000 {
		t.Fatalf("the viewer drew %q non-black pixels of the scan: its canvas is blank", drawn)
	}
	b.screenshot("viewer")
	if s := n.show("patient", scanID); s.Label != "CT from the browser" {
		t.Fatalf("the CLI reads the label %q", s.Label)
	}
	if got, r := n.cliSHA("patient", scanID); r.Err != nil || got != sha256File(t, scan) {
		t.Fatalf("the CLI downloads %s of the page's upload (%v), want %s\n%s", got, r.Err, sha256File(t, scan), r.Combined())
	}

	// A record uploaded with the CLI downloads byte-identical in the page.
	labs := filepath.Join(t.TempDir(), "labs.json")
	if err := os.WriteFile(labs, []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":5.4}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	up, r := n.upload("patient", patient, labs, "--label", "labs")
	requireSuccess(t, "CLI upload", r)
	b.click("refresh", "#refresh", 30*time.Second)
	b.click("download in the page", fmt.Sprintf("#record-%d button.download", up.RecordID), 30*time.Second)
	b.waitText("#download-sha256", "", 60*time.Second)
	if got := b.text("#download-sha256"); got != sha256File(t, labs) {
		t.Fatalf("the page downloaded %s, the CLI uploaded %s", got, sha256File(t, labs))
	}

	// Share the scan with the doctor (READ, this record) and let the
	// hospital write for the patient (WRITE, every record).
	// A refusal is said in the page: a grantee without an encryption key
	// cannot be given a record key.
	b.click("share the scan", row+" button.share", 10*time.Second)
	b.fill("#share-grantee", n.AddKey("keyless"))
	b.click("grant", "#share-submit", 10*time.Second)
	b.pageSays("has no encryption key on chain", 30*time.Second)
	b.click("share the scan", row+" button.share", 10*time.Second)
	if got := value(b, "read the prefilled record", 10*time.Second, chromedp.Evaluate[string](`document.getElementById("share-record").value`)); got != idText {
		t.Fatalf("Share on record %s prefills record %q", idText, got)
	}
	b.fill("#share-grantee", doctor)
	b.fill("#share-purpose", "treatment")
	b.click("grant", "#share-submit", 10*time.Second)
	b.pageSays("given to "+doctor, 60*time.Second)
	b.fill("#share-grantee", hospital)
	b.fill("#share-scope", "all")
	b.fill("#share-permission", "write")
	b.fill("#share-expires", "30d")
	b.click("grant", "#share-submit", 10*time.Second)
	b.pageSays("given to "+hospital, 60*time.Second)
	b.screenshot("shared")
	if got, r := n.cliSHA("doctor", scanID); r.Err != nil || got != sha256File(t, scan) {
		t.Fatalf("the doctor's CLI downloads %s (%v), want %s\n%s", got, r.Err, sha256File(t, scan), r.Combined())
	}

	// The consent export is the CLI's FHIR Bundle.
	b.click("export consent", "#consent-export", 30*time.Second)
	pageConsent := b.text("#consent-json")
	cliConsent := system.MustRun(t, n.Bin, "query", "access", "consent", patient, "--node", n.RPC)
	if stripTimestamp(pageConsent) != stripTimestamp(cliConsent) {
		t.Fatalf("the page's consent export differs from the CLI's:\npage: %s\nCLI:  %s", pageConsent, cliConsent)
	}

	// Archiving: before the patient allows the scan into the hospitals'
	// Filecoin archive, the page says what that means for erasure; the
	// chain then holds her choice.
	value(b, "capture confirmations", 10*time.Second, chromedp.Evaluate[bool](
		`window.__confirmed = []; window.confirm = (t) => { window.__confirmed.push(t); return true; }; true`))
	b.click("allow archiving of the scan", row+" button.archive-allow", 30*time.Second)
	b.pageSays("archiving allowed", 60*time.Second)
	b.do("wait for the withdraw button", 30*time.Second, chromedp.WaitVisible(chromedp.CSS(row+" button.archive-withdraw")))
	said := value(b, "read what the page asked", 10*time.Second, chromedp.Evaluate[string](`window.__confirmed.join("\n")`))
	for _, want := range []string{"cannot be ended early", "crypto-shredding", "Only ciphertext"} {
		if !strings.Contains(said, want) {
			t.Fatalf("before archiving, the page asked %q, which does not say %q", said, want)
		}
	}
	if !n.record(scanID).ArchiveAllowed {
		t.Fatal("the page allowed archiving of the scan, the chain does not say so")
	}
	b.screenshot("archive-consent")

	// The emergency card reads the chain: no policy, no break-glass yet.
	b.waitText("#emergency-policy", "You have not opted in to emergency access", 30*time.Second)
	b.waitText("#emergency-none", "No one has broken the glass on your records", 30*time.Second)

	// The doctor, in the page: the scan is shared with them; they upload
	// for the patient and ask for every record, with a sealed reason.
	b.signIn(portalURL, doctorWords)
	b.click("clinician view", "#tab-clinician", 10*time.Second)
	b.click("download the shared scan", fmt.Sprintf("#shared-%d button.download", scanID), 30*time.Second)
	b.waitText("#download-sha256", "", 60*time.Second)
	if got := b.text("#download-sha256"); got != sha256File(t, scan) {
		t.Fatalf("the doctor's page downloaded %s, want %s", got, sha256File(t, scan))
	}
	note := filepath.Join(t.TempDir(), "discharge.pdf")
	if err := os.WriteFile(note, append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("discharge summary "), 5000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("upload for the patient", 120*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS("#clinician-upload-file"), []string{note}),
		chromedp.SetValue(chromedp.CSS("#clinician-upload-owner"), patient),
		chromedp.SendKeys(chromedp.CSS("#clinician-upload-label"), "discharge"),
		chromedp.Click(chromedp.CSS("#clinician-upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#clinician-upload-done")))
	noteID, _ := strconv.ParseUint(value(b, "read the record id", 10*time.Second,
		chromedp.AttributeValue(chromedp.CSS("#clinician-upload-done"), "data-record")).Value, 10, 64)
	if got, r := n.cliSHA("patient", noteID); r.Err != nil || got != sha256File(t, note) {
		t.Fatalf("the patient's CLI downloads %s of the doctor's page upload (%v), want %s\n%s", got, r.Err, sha256File(t, note), r.Combined())
	}
	b.fill("#request-owner", patient)
	b.fill("#request-purpose", "treatment")
	b.fill("#request-reason", "follow-up of the CT")
	b.click("send the request", "#request-submit", 10*time.Second)
	b.pageSays("sent to "+patient, 60*time.Second)
	granted := value(b, "read the request id", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#request-card"), "data-request")).Value
	b.screenshot("clinician")
	// A second request, which the patient will deny.
	b.fill("#request-permission", "write")
	b.fill("#request-purpose", "operations")
	b.fill("#request-reason", "")
	b.click("send the request", "#request-submit", 10*time.Second)
	b.pageSays("sent to "+patient, 60*time.Second)
	denied := value(b, "read the request id", 10*time.Second, chromedp.AttributeValue(chromedp.CSS("#request-card"), "data-request")).Value
	if denied == granted {
		t.Fatalf("both requests are %s", denied)
	}

	// The patient sees the reason in the inbox and approves.
	b.signIn(portalURL, patientWords)
	b.waitText("#request-"+granted+" .reason", "follow-up of the CT", 30*time.Second)
	b.screenshot("inbox")
	b.click("deny", "#request-"+denied+" button.deny", 10*time.Second)
	b.pageSays("request "+denied+" denied", 60*time.Second)
	b.click("approve", "#request-"+granted+" button.approve", 10*time.Second)
	b.click("grant", "#share-submit", 10*time.Second)
	b.pageSays("given to "+doctor, 60*time.Second)
	var inbox []json.RawMessage
	if out := system.MustRun(t, n.Bin, "query", "access", "inbox", "--from", "patient", "--node", n.RPC, "--home", n.Home,
		"--keyring-backend", "test", "--chain-id", n.ChainID); json.Unmarshal([]byte(out), &inbox) != nil || len(inbox) != 0 {
		t.Fatalf("after the approval the CLI's inbox is %s", out)
	}

	// The access log shows the doctor's read of the scan.
	b.click("access log", row+" button.log", 10*time.Second)
	b.waitText("#access-log-table", doctor, 30*time.Second)

	// Revoke every READ grant to the doctor in the page: the keys rotate,
	// and the doctor's CLI is refused.
	for {
		sel := fmt.Sprintf(`//tr[td/code[text()=%q]]//button[contains(@class,"revoke")]`, doctor)
		count := value(b, "count the doctor's grants", 10*time.Second, chromedp.Evaluate[int](fmt.Sprintf(
			`document.evaluate(%q, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength`, sel)))
		if count == 0 {
			break
		}
		value(b, "revoke", 10*time.Second, chromedp.Evaluate[bool](fmt.Sprintf(
			`(document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.click(), true)`, sel)))
		b.pageSays("revoked", 120*time.Second)
		b.do("settle", 10*time.Second, chromedp.Sleep(500*time.Millisecond))
	}
	b.screenshot("revoked")
	if c := n.check(scanID, doctor); c.Allowed {
		t.Fatalf("after the revocation the chain still lets the doctor read: %+v", c)
	}
	if _, r := n.cliSHA("doctor", scanID); r.Err == nil || !strings.Contains(r.Combined(), "no access") {
		t.Fatalf("the revoked doctor's CLI download: %v\n%s", r.Err, r.Combined())
	}
	if got, r := n.cliSHA("patient", scanID); r.Err != nil || got != sha256File(t, scan) {
		t.Fatalf("after the rotation the patient downloads %s (%v), want %s", got, r.Err, sha256File(t, scan))
	}
}

// stripTimestamp drops a Bundle's timestamp (the chain time it was made
// at) and the layout, so that two exports compare by content.
func stripTimestamp(bundle string) string {
	var v map[string]any
	if err := json.Unmarshal([]byte(bundle), &v); err != nil {
		return "not JSON: " + bundle
	}
	delete(v, "timestamp")
	out, _ := json.Marshal(v)
	return string(out)
}

// TestPortalOpensWhatIsSealedToALegacyKey: an account whose key on chain
// is its legacy one (derived without a chain, as releases up to v0.4.0
// did) signs in. The page derives the chain-bound key, sees another key on
// chain, derives the legacy one too (a second signature), says on the key
// card that the registered key is the earlier one, and opens a record
// sealed to it; once the page has registered the chain-bound key, that
// record still opens.
func TestPortalOpensWhatIsSealedToALegacyKey(t *testing.T) {
	n := newNode(t)
	patient, words := n.addKeyWithMnemonic("patient")
	n.Start()
	n.Fund(patient)
	legacy, err := envelope.DeriveLegacyKeyPair(patient, func(doc []byte) ([]byte, error) {
		sig, _, err := n.keyring().Sign("patient", doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		return sig, err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Registered as an earlier release's CLI registered it.
	if res := n.handTx("patient", map[string]any{
		"@type": "/medchain.access.v1.MsgRegisterEncryptionKey", "owner": patient,
		"algorithm": "KEY_ALGORITHM_MLKEM768_X25519", "public_key": base64.StdEncoding.EncodeToString(legacy.PublicKey()),
	}); res.Code != 0 {
		t.Fatalf("registering the legacy key: code %d: %s", res.Code, res.RawLog)
	}
	// The CLI seals the record to the registered (legacy) key, and opens
	// it through the legacy derivation.
	labs := filepath.Join(t.TempDir(), "labs.json")
	if err := os.WriteFile(labs, []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":6.1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	up, r := n.upload("patient", patient, labs, "--label", "labs")
	requireSuccess(t, "CLI upload sealed to the legacy key", r)
	if got := n.check(up.RecordID, patient).Wrap; got == nil || got.KeyID != legacy.KeyID() {
		t.Fatalf("the owner's wrap is %+v, want one sealed to the legacy key %s", got, legacy.KeyID())
	}

	b := newBrowser(t)
	b.signIn(n.Vault+"/portal/", words)
	b.waitText("#key-status", "your earlier key", 60*time.Second)
	download := func(what string) {
		b.click(what, fmt.Sprintf("#record-%d button.download", up.RecordID), 60*time.Second)
		b.waitText("#download-sha256", "", 60*time.Second)
		if got := b.text("#download-sha256"); got != sha256File(t, labs) {
			t.Fatalf("%s: the page downloaded %s, the CLI uploaded %s", what, got, sha256File(t, labs))
		}
	}
	download("download the record sealed to the legacy key")

	b.click("register the chain-bound key", "#register-key", 30*time.Second)
	b.waitText("#key-status", "registered on chain", 60*time.Second)
	var onChain struct {
		Key struct {
			KeyID string `json:"key_id"`
		} `json:"key"`
	}
	n.Query(&onChain, "access", "key", patient)
	if onChain.Key.KeyID == legacy.KeyID() || onChain.Key.KeyID != b.text("#key-id") {
		t.Fatalf("after the page registered, the chain holds %s (legacy %s, page %s)", onChain.Key.KeyID, legacy.KeyID(), b.text("#key-id"))
	}
	b.click("refresh", "#refresh", 30*time.Second)
	download("download it again under the chain-bound key")
}
