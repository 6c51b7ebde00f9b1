//go:build upgrade

// Package upgrade_test upgrades a four-hospital network that runs an
// earlier release's own binary, holding state written by that release's own
// CLI, to this tree's binary: through a governance plan, with cosmovisor
// switching every node by itself. Then it checks that nothing was lost and
// that everything new works. `make test-upgrade` runs it (part of `make
// test`); MEDCHAIN_UPGRADE_FROM=v0.2.0,v0.3.0 (or "all") picks other
// releases than the first and the previous one.
package upgrade_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/app/upgrades"
)

// portBase of the first network; each release tested gets its own range,
// away from `make localnet` (27000) and the system tests.
const portBase = 31000

var accounts = []string{"st-mary", "charite", "karolinska", "mayo", "alice", "bob", "carol", "dr-house", "dr-grey"}

func TestUpgradeFromEarlierReleases(t *testing.T) {
	newBin, cosmovisor := os.Getenv("MEDCHAIND_BIN"), os.Getenv("COSMOVISOR_BIN")
	if newBin == "" || cosmovisor == "" {
		t.Fatal("MEDCHAIND_BIN and COSMOVISOR_BIN must name this tree's medchaind and cosmovisor: run `make test-upgrade`")
	}
	for i, r := range releasesUnderTest(t) {
		t.Run(r.Version, func(t *testing.T) {
			// The networks mostly wait for blocks and votes: running them
			// side by side halves the test's time on two cores.
			t.Parallel()
			upgradeFrom(t, r, newBin, cosmovisor, portBase+100*i)
		})
	}
}

// releasesUnderTest are the first release and the one before this tree,
// or those MEDCHAIN_UPGRADE_FROM names.
func releasesUnderTest(t *testing.T) []upgrades.Release {
	earlier := upgrades.Releases[:len(upgrades.Releases)-1]
	want := os.Getenv("MEDCHAIN_UPGRADE_FROM")
	switch want {
	case "":
		if len(earlier) == 1 {
			return earlier
		}
		return []upgrades.Release{earlier[0], earlier[len(earlier)-1]}
	case "all":
		return earlier
	}
	var picked []upgrades.Release
	for _, v := range strings.Split(want, ",") {
		i := slices.IndexFunc(earlier, func(r upgrades.Release) bool { return r.Version == strings.TrimSpace(v) })
		if i < 0 {
			t.Fatalf("MEDCHAIN_UPGRADE_FROM names %q, which is not an earlier release (app/upgrades/releases.go)", v)
		}
		picked = append(picked, earlier[i])
	}
	return picked
}

// record is a record the old release wrote, with the file it holds and the
// accounts that must be able to read it.
type record struct {
	id      string
	file    string
	readers []string
}

// world is what the old release's CLI wrote.
type world struct {
	records     []*record
	deidID      string // the de-identified copy (its content differs from the original)
	deidFile    string // as its owner downloaded it before the upgrade
	nftClass    string
	nftID       string
	hasPolicy   bool
	requestOn   string // the record dr-house asked to read
	policyAfter bool
	// carolsAccess: carol's emergency policy, broken and released to its
	// threshold under the old release (which let it be broken again).
	carolsAccess string
}

func upgradeFrom(t *testing.T, from upgrades.Release, newBin, cosmovisor string, base int) {
	// MEDCHAIN_UPGRADE_NAME replays an older plan name with another
	// binary, e.g. the v0.4.0 binary under emergency-access, to see the
	// test catch the halt that release had.
	planName := upgrades.Current().Upgrade
	if name := os.Getenv("MEDCHAIN_UPGRADE_NAME"); name != "" {
		planName = name
	}
	newVersion := strings.TrimSpace(run(t, "", nil, newBin, "version"))
	began := time.Now()
	phase := func(what string) {
		t.Logf("%s: %s after %s", from.Version, what, time.Since(began).Round(time.Second))
	}
	root := repoRoot(t)
	src := checkout(t, root, from)
	oldBin := buildRelease(t, root, src, from)

	dir := filepath.Join(t.TempDir(), "net")
	net := initNetwork(t, src, oldBin, dir, base)
	net.installCosmovisor(cosmovisor, oldBin, newBin, planName)
	net.start()
	requireVersion(t, net, from.Version)
	phase("four nodes of the old release running")

	old := cli{t: t, bin: oldBin, home: filepath.Join(dir, "client"), env: []string{"MEDCHAIN_VAULT=" + net.vault("st-mary")}, rpc: net.rpc("st-mary")}
	files := t.TempDir()
	w := writeState(t, old, src, files)
	before := snapshot(t, old, w)
	phase("state written with the old CLI")

	// What RELEASES.md tells operators to do before the plan's height.
	for _, h := range hospitals {
		net.setVaultHospital(h, old.addr(h))
	}
	plan := passUpgrade(t, old, net, planName)
	phase(fmt.Sprintf("upgrade %q passed, planned at height %d", planName, plan))
	net.waitForHeight(plan+3, 4*time.Minute)
	requireVersion(t, net, newVersion)
	phase("every node switched by cosmovisor and committing")

	// Every node computed the same state from the upgrade on.
	for h := plan; h <= plan+2; h++ {
		want := net.appHash(hospitals[0], h)
		for _, node := range hospitals[1:] {
			if got := net.appHash(node, h); got != want {
				t.Fatalf("app hash at height %d: %s has %s, %s has %s", h, hospitals[0], want, node, got)
			}
		}
	}

	c := old.with(newBin)
	// After the upgrade: hospitals that registered no vault URL (releases
	// before v0.2.0 had none) register one, so that vaults replicate.
	for _, h := range hospitals {
		var resp struct {
			Issuer struct {
				VaultURL string `json:"vault_url"`
			} `json:"issuer"`
		}
		c.query(&resp, "issuers", "issuer", c.addr(h))
		if resp.Issuer.VaultURL == "" {
			c.tx(h, "issuers", "update-profile", "--vault-url", net.vault(h))
		}
	}

	after := snapshot(t, c, w)
	compareSnapshots(t, from, before, after)
	checkDownloads(t, c, w, files)
	checkNewWork(t, c, w, files)
	phase("state compared, every record read back, new work done")
	waitForFullVaults(t, net)
	phase("every vault full")
}

// requireVersion checks the release every node's application reports.
func requireVersion(t *testing.T, net *network, want string) {
	t.Helper()
	for _, h := range hospitals {
		var info struct {
			Response struct {
				Version string `json:"version"`
			} `json:"response"`
		}
		if err := net.rpcGet(h, "/abci_info", &info); err != nil {
			t.Fatal(err)
		}
		if info.Response.Version != want {
			t.Fatalf("%s runs release %q, want %q", h, info.Response.Version, want)
		}
	}
}

// writeState writes, with the old release's own CLI, what hospitals and
// patients have on a live network: encryption keys; records of several
// kinds, among them a real DICOM file; READ, WRITE and scope grants; a
// pending request; a data-NFT listing; an emergency policy where the
// release has them.
func writeState(t *testing.T, c cli, src, files string) *world {
	w := &world{nftClass: "upgrade-mri"}
	for _, k := range accounts {
		c.tx(k, "access", "register-key")
	}
	alice, karolinska, stMary, grey := c.addr("alice"), c.addr("karolinska"), c.addr("st-mary"), c.addr("dr-grey")

	// Scope grants first: every record of alice's made after them carries
	// their wraps.
	c.tx("alice", "access", "grant", "all", stMary, "--permission", "write", "--purpose", "treatment")
	c.tx("alice", "access", "grant", "all", karolinska, "--permission", "read", "--purpose", "treatment")

	upload := func(from string, file string, extra ...string) string {
		var out struct {
			RecordID any    `json:"record_id"`
			CID      string `json:"cid"`
		}
		c.handWritten(&out, from, append([]string{"records", "upload", file}, extra...)...)
		id := fmt.Sprint(out.RecordID)
		if id == "" || id == "<nil>" || out.CID == "" {
			t.Fatalf("upload of %s printed no record id or CID", file)
		}
		return id
	}
	dicom := realDICOM(t, src, files)
	for _, f := range []struct{ name, label string }{
		{dicom, "knee MRI"},
		{write(t, files, "bundle.json", fhirBundle), "lab results"},
		{write(t, files, "letter.pdf", minimalPDF), ""},
		{write(t, files, "genome.bin", random(t, 2*1024*1024+512*1024)), ""},
	} {
		args := []string{}
		if f.label != "" {
			args = append(args, "--label", f.label)
		}
		w.records = append(w.records, &record{id: upload("alice", f.name, args...), file: f.name, readers: []string{"alice", "karolinska"}})
	}
	bobs := write(t, files, "bob.bin", random(t, 4096))
	w.records = append(w.records, &record{id: upload("bob", bobs), file: bobs, readers: []string{"bob"}})

	// A practitioner of st-mary writes for alice under its WRITE grant.
	sample := filepath.Join(files, "identified.dcm")
	run(t, src, nil, "go", "run", "./scripts/dicomcheck", "sample", "-o", sample)
	byDoctor := &record{id: upload("dr-house", sample, "--owner", alice), file: sample, readers: []string{"alice", "karolinska"}}
	w.records = append(w.records, byDoctor)

	// A READ grant of one record, and a request left pending.
	fhir := w.records[1]
	c.tx("alice", "access", "grant", fhir.id, grey, "--purpose", "treatment")
	fhir.readers = append(fhir.readers, "dr-grey")
	w.requestOn = w.records[2].id
	c.tx("dr-house", "access", "request", alice, "--record-id", w.requestOn, "--permission", "read",
		"--purpose", "treatment", "--reason", "follow-up")

	// A de-identified copy, minted and listed.
	var deid struct {
		RecordID any `json:"record_id"`
	}
	c.handWritten(&deid, "alice", "records", "deidentify", byDoctor.id)
	w.deidID = fmt.Sprint(deid.RecordID)
	w.deidFile = filepath.Join(files, "deid-before.dcm")
	c.must("query", "records", "download", w.deidID, "-o", w.deidFile, "--from", "alice", "--keyring-backend", "test")
	w.nftID = "record-" + w.deidID
	c.tx("alice", "datanft", "mint", w.deidID, w.nftClass, "--royalty-bps", "500",
		"--licence-price", "1000umed", "--licence-duration", "24h")
	c.tx("alice", "datanft", "list", w.nftClass, w.nftID, "50000umed")

	if c.has("tx", "access", "set-emergency-policy") {
		c.tx("alice", "access", "set-emergency-policy", "--custodians", "3", "--threshold", "2")
		w.hasPolicy = true
		// A break-glass the custodians answered under the old release: the
		// migration to x/access 5 must find the policy spent.
		c.tx("carol", "access", "set-emergency-policy", "--custodians", "3", "--threshold", "2")
		c.tx("dr-house", "access", "emergency-access", c.addr("carol"), "--reason", "unable-to-consent")
		w.carolsAccess = waitForReleases(t, c, c.addr("carol"), 2)
	}
	return w
}

// waitForReleases waits until the patient's latest emergency access has
// threshold releases from the custodian hospitals' nodes, and returns its id.
func waitForReleases(t *testing.T, c cli, patient string, threshold int) string {
	t.Helper()
	var log struct {
		Accesses []struct {
			ID string `json:"id"`
		} `json:"accesses"`
	}
	c.query(&log, "access", "emergency-log", patient)
	if len(log.Accesses) == 0 {
		t.Fatal("the emergency log shows no access after a break-glass")
	}
	access := log.Accesses[len(log.Accesses)-1].ID
	deadline := time.Now().Add(90 * time.Second)
	for {
		var resp struct {
			Access struct {
				Releases []any `json:"releases"`
			} `json:"access"`
		}
		c.query(&resp, "access", "emergency", access)
		if len(resp.Access.Releases) >= threshold {
			return access
		}
		if time.Now().After(deadline) {
			t.Fatalf("emergency access %s has %d releases after 90s, the threshold is %d", access, len(resp.Access.Releases), threshold)
		}
		time.Sleep(time.Second)
	}
}

// spentBy is the emergency access that spent the patient's policy, ""
// while it is unspent.
func spentBy(t *testing.T, c cli, patient string) string {
	t.Helper()
	var p struct {
		Policy struct {
			SpentAt any `json:"spent_at"`
			SpentBy any `json:"spent_by"`
		} `json:"policy"`
	}
	c.query(&p, "access", "emergency-policy", patient)
	by := fmt.Sprint(p.Policy.SpentBy)
	if p.Policy.SpentAt == nil || by == "0" || by == "<nil>" {
		return ""
	}
	return by
}

// snapshot reads, with a release's CLI, everything the upgrade must keep.
func snapshot(t *testing.T, c cli, w *world) map[string]any {
	s := map[string]any{}
	for _, owner := range []string{"alice", "bob"} {
		addr := c.addr(owner)
		s["records of "+owner] = list(t, c, "records", "records", "records-by-owner", addr)
		s["grants of "+owner] = list(t, c, "grants", "access", "grants-by-owner", addr)
		s["requests to "+owner] = list(t, c, "requests", "access", "requests-by-owner", addr)
	}
	for _, k := range accounts {
		var key map[string]any
		c.query(&key, "access", "key", c.addr(k))
		s["key of "+k] = key["key"]
	}
	var nft map[string]any
	c.query(&nft, "datanft", "nft", w.nftClass, w.nftID)
	s["data-NFT"] = nft["nft"]
	if w.hasPolicy {
		var p map[string]any
		c.query(&p, "access", "emergency-policy", c.addr("alice"))
		s["emergency policy of alice"] = p["policy"]
	}
	return s
}

func list(t *testing.T, c cli, field string, args ...string) []any {
	var out map[string]any
	c.query(&out, args...)
	items, _ := out[field].([]any)
	return items
}

// changedByUpgrade are the fields RELEASES.md says an upgrade from an
// earlier release clears: plaintext labels and request reasons, which the
// chain cannot seal (sealed-metadata, for chains before v0.3.0).
func changedByUpgrade(from upgrades.Release) map[string]bool {
	if from.Modules["records"] < 3 {
		return map[string]bool{"label": true, "reason": true}
	}
	return nil
}

// compareSnapshots checks that every field the old release showed is shown
// unchanged by the new one (fields the new release added are new; fields
// RELEASES.md says change are checked for that change).
func compareSnapshots(t *testing.T, from upgrades.Release, before, after map[string]any) {
	t.Helper()
	changed := changedByUpgrade(from)
	for what, b := range before {
		a, ok := after[what]
		if !ok {
			t.Errorf("%s: gone after the upgrade", what)
			continue
		}
		if err := sameFields(b, a, changed, what); err != nil {
			t.Error(err)
		}
	}
	// The cleared plaintext stays cleared.
	for what, a := range after {
		for _, item := range asList(a) {
			m, _ := item.(map[string]any)
			for _, f := range []string{"label", "reason"} {
				if v, ok := m[f]; ok && v != "" && changed[f] {
					t.Errorf("%s: %s %q survived the upgrade in the clear", what, f, v)
				}
			}
		}
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// sameFields compares b (as the old release printed it) with a (the new
// release): equal lengths of lists, and every key of an object in b that a
// also has holds the same value.
func sameFields(b, a any, skip map[string]bool, path string) error {
	switch bv := b.(type) {
	case map[string]any:
		av, ok := a.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: was an object, now %v", path, a)
		}
		for k, v := range bv {
			if skip[k] {
				continue
			}
			if w, ok := av[k]; ok {
				if err := sameFields(v, w, skip, path+"."+k); err != nil {
					return err
				}
			}
		}
		return nil
	case []any:
		av, ok := a.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Errorf("%s: %d items before the upgrade, now %v", path, len(bv), a)
		}
		for i := range bv {
			if err := sameFields(bv[i], av[i], skip, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	default:
		if !reflect.DeepEqual(b, a) {
			return fmt.Errorf("%s: %v before the upgrade, %v after", path, b, a)
		}
		return nil
	}
}

// checkDownloads: every record reads back byte for byte, with the new
// client, for its owner and every grantee.
func checkDownloads(t *testing.T, c cli, w *world, files string) {
	t.Helper()
	for _, r := range w.records {
		want := readFile(t, r.file)
		for _, reader := range r.readers {
			got := download(t, c, r.id, reader, files)
			if !bytes.Equal(got, want) {
				t.Errorf("record %s read by %s after the upgrade: %d bytes, not the %d uploaded", r.id, reader, len(got), len(want))
			}
		}
	}
	if got := download(t, c, w.deidID, "alice", files); !bytes.Equal(got, readFile(t, w.deidFile)) {
		t.Errorf("the de-identified record %s reads differently after the upgrade", w.deidID)
	}
}

var downloads atomic.Int64

func download(t *testing.T, c cli, id, reader, files string) []byte {
	t.Helper()
	out := filepath.Join(files, fmt.Sprintf("download-%d", downloads.Add(1)))
	c.must("query", "records", "download", id, "-o", out, "--from", reader, "--keyring-backend", "test")
	return readFile(t, out)
}

// checkNewWork: after the upgrade a patient uploads and shares, an old
// record is shared anew, and a practitioner breaks the glass.
func checkNewWork(t *testing.T, c cli, w *world, files string) {
	t.Helper()
	bob, alice := c.addr("bob"), c.addr("alice")
	if !w.hasPolicy {
		c.tx("alice", "access", "set-emergency-policy", "--custodians", "3", "--threshold", "2")
	}
	fresh := write(t, files, "after.bin", random(t, 1536*1024))
	var up struct {
		RecordID any `json:"record_id"`
	}
	c.handWritten(&up, "alice", "records", "upload", fresh, "--label", "after the upgrade")
	id := fmt.Sprint(up.RecordID)
	c.tx("alice", "access", "grant", id, bob, "--purpose", "treatment")
	if got := download(t, c, id, "bob", files); !bytes.Equal(got, readFile(t, fresh)) {
		t.Errorf("a record made after the upgrade does not read back for its grantee")
	}
	oldest := w.records[0]
	c.tx("alice", "access", "grant", oldest.id, bob, "--purpose", "treatment")
	if got := download(t, c, oldest.id, "bob", files); !bytes.Equal(got, readFile(t, oldest.file)) {
		t.Errorf("record %s, written before the upgrade and shared after it, does not read back", oldest.id)
	}

	// Break-glass: the custodian hospitals' nodes release their shares by
	// themselves, and the practitioner reads.
	if by := spentBy(t, c, alice); by != "" {
		t.Fatalf("alice's emergency policy is spent by %s before any break-glass", by)
	}
	c.tx("dr-grey", "access", "emergency-access", alice, "--reason", "unable-to-consent")
	alicesAccess := waitForReleases(t, c, alice, 2)
	if got := download(t, c, id, "dr-grey", files); !bytes.Equal(got, readFile(t, fresh)) {
		t.Errorf("the practitioner who broke the glass does not read the record")
	}
	// The break-glass spent the key: the next is refused.
	if by := spentBy(t, c, alice); by != alicesAccess {
		t.Errorf("alice's emergency policy after a break-glass: spent by access %q, want %s", by, alicesAccess)
	}
	if err := c.tryTx("dr-house", "access", "emergency-access", alice, "--reason", "unable-to-consent"); err == nil || !strings.Contains(err.Error(), "spent") {
		t.Errorf("a second break-glass on a spent policy: %v, want a refusal that names the spent key", err)
	}

	// Keys are bound to the chain from this release: alice moves to her
	// chain-bound key, and what was sealed to her legacy key (every record
	// written before the upgrade) still opens, as does what is sealed to
	// the new one.
	c.tx("alice", "access", "register-key")
	if got := download(t, c, oldest.id, "alice", files); !bytes.Equal(got, readFile(t, oldest.file)) {
		t.Errorf("record %s, sealed to alice's legacy key, does not read back after she registered her chain-bound key", oldest.id)
	}
	after := write(t, files, "after-rekey.bin", random(t, 4096))
	var rekeyed struct {
		RecordID any `json:"record_id"`
	}
	c.handWritten(&rekeyed, "alice", "records", "upload", after)
	if got := download(t, c, fmt.Sprint(rekeyed.RecordID), "alice", files); !bytes.Equal(got, readFile(t, after)) {
		t.Error("alice's record sealed to her chain-bound key does not read back")
	}

	// carol's policy, broken under the old release, was spent by the
	// migration; she still uploads, and renews it.
	if w.carolsAccess != "" {
		carol := c.addr("carol")
		if by := spentBy(t, c, carol); by != w.carolsAccess {
			t.Errorf("carol's emergency policy, released to its threshold before the upgrade: spent by access %q, want %s", by, w.carolsAccess)
		}
		if err := c.tryTx("dr-grey", "access", "emergency-access", carol, "--reason", "unable-to-consent"); err == nil {
			t.Error("a break-glass on a policy the migration found spent was accepted")
		}
		mine := write(t, files, "carol.bin", random(t, 8192))
		var up struct {
			RecordID any `json:"record_id"`
		}
		c.handWritten(&up, "carol", "records", "upload", mine)
		if got := download(t, c, fmt.Sprint(up.RecordID), "carol", files); !bytes.Equal(got, readFile(t, mine)) {
			t.Error("carol's upload after her policy was spent does not read back")
		}
		c.tx("carol", "access", "set-emergency-policy", "--custodians", "3", "--threshold", "2")
		if by := spentBy(t, c, carol); by != "" {
			t.Errorf("carol's renewed emergency policy is spent by %s", by)
		}
	}

	// Pseudonyms (x/datanft 2) work on the upgraded chain: a hospital
	// vouches for a fresh address with its practitioner as producer.
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	pseudonym, err := bech32.ConvertAndEncode("med", raw)
	if err != nil {
		t.Fatal(err)
	}
	c.tx("st-mary", "datanft", "vouch-pseudonym", pseudonym, c.addr("dr-house"))
	var vouched struct {
		Vouched   bool `json:"vouched"`
		Pseudonym struct {
			Producer string `json:"producer"`
		} `json:"pseudonym"`
	}
	c.query(&vouched, "datanft", "pseudonym", pseudonym)
	if !vouched.Vouched || vouched.Pseudonym.Producer != c.addr("dr-house") {
		t.Errorf("a pseudonym vouched for after the upgrade: %+v", vouched)
	}

	// The cold archive: the migration set the archive policy, alice lets
	// a record written before the upgrade be archived, st-mary archives it
	// into a Filecoin piece and records the piece on chain.
	var params struct {
		Params struct {
			ArchivePolicy string `json:"archive_policy"`
		} `json:"params"`
	}
	c.query(&params, "records", "params")
	if params.Params.ArchivePolicy != "ARCHIVE_POLICY_CONSENT" {
		t.Errorf("archive policy after the upgrade: %q, want ARCHIVE_POLICY_CONSENT", params.Params.ArchivePolicy)
	}
	c.tx("alice", "records", "set-archive-consent", oldest.id, "true")
	archiveDir := filepath.Join(files, "archive")
	t.Log(c.must("vault", "archive", "--all", "--from", "st-mary", "--out", archiveDir, "--piece-size", "64MiB", "--keyring-backend", "test"))
	manifests, _ := filepath.Glob(filepath.Join(archiveDir, "manifest-*.json"))
	if len(manifests) != 1 {
		t.Fatalf("vault archive wrote manifests %v, want one", manifests)
	}
	var manifest struct {
		Pieces []struct {
			PieceCID  string `json:"piece_cid"`
			PieceSize uint64 `json:"piece_size"`
			Segments  []struct {
				RecordID uint64 `json:"record_id"`
				Version  uint64 `json:"version"`
			} `json:"segments"`
		} `json:"pieces"`
	}
	if err := json.Unmarshal(readFile(t, manifests[0]), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Pieces) != 1 || len(manifest.Pieces[0].Segments) != 1 || fmt.Sprint(manifest.Pieces[0].Segments[0].RecordID) != oldest.id {
		t.Fatalf("the archive of the one record alice allowed: %+v", manifest)
	}
	piece := manifest.Pieces[0]
	c.tx("st-mary", "records", "record-archive", piece.PieceCID, fmt.Sprint(piece.PieceSize),
		fmt.Sprintf("%d:%d", piece.Segments[0].RecordID, piece.Segments[0].Version), "--provider", "f01234", "--expires", "2031-01-01T00:00:00Z")
	var archives struct {
		Entries []struct {
			PieceCID string `json:"piece_cid"`
			Status   string `json:"status"`
		} `json:"entries"`
	}
	c.query(&archives, "records", "archives", oldest.id)
	if len(archives.Entries) != 1 || archives.Entries[0].PieceCID != piece.PieceCID || archives.Entries[0].Status != "ARCHIVE_STATUS_ARCHIVED" {
		t.Errorf("record %s's archive entries after it was archived: %+v", oldest.id, archives.Entries)
	}
}

// waitForFullVaults: every vault holds every live payload placed on it.
func waitForFullVaults(t *testing.T, net *network) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var short []string
		for _, h := range hospitals {
			live, err1 := net.metric(h, "vault_live_cids")
			missing, err2 := net.metric(h, "vault_missing_live_cids")
			under, err3 := net.metric(h, "vault_under_replicated")
			if err1 != nil || err2 != nil || err3 != nil || live == 0 || missing != 0 || under != 0 {
				short = append(short, fmt.Sprintf("%s (live %v, missing %v, under-replicated %v; %v %v %v)", h, live, missing, under, err1, err2, err3))
			}
		}
		if len(short) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("vaults still short after 2 minutes: %s", strings.Join(short, "; "))
		}
		time.Sleep(2 * time.Second)
	}
}

// passUpgrade submits the software-upgrade plan, every hospital votes yes,
// and it returns the plan's height once the proposal passed.
func passUpgrade(t *testing.T, c cli, net *network, name string) int64 {
	t.Helper()
	plan := net.height("st-mary") + 80
	c.tx("st-mary", "upgrade", "software-upgrade", name, "--upgrade-height", strconv.FormatInt(plan, 10),
		"--title", "Upgrade to "+name, "--summary", "Moves the consortium to the next release", "--deposit", "10000000umed",
		"--no-validate")
	var props struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	c.query(&props, "gov", "proposals")
	if len(props.Proposals) == 0 {
		t.Fatal("no proposal after submitting the upgrade")
	}
	id := props.Proposals[len(props.Proposals)-1].ID
	var p struct {
		Proposal map[string]any `json:"proposal"`
	}
	c.query(&p, "gov", "proposal", id)
	if p.Proposal["status"] != "PROPOSAL_STATUS_VOTING_PERIOD" {
		t.Fatalf("upgrade proposal %s is not in its voting period: %v", id, p.Proposal)
	}
	// All four vote at once: one after the other, on a loaded machine,
	// the last votes could miss the voting period.
	errs := make(chan error, len(hospitals))
	for _, h := range hospitals {
		go func() { errs <- c.tryTx(h, "gov", "vote", id, "yes") }()
	}
	for range hospitals {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var p struct {
			Proposal struct {
				Status string `json:"status"`
			} `json:"proposal"`
		}
		c.query(&p, "gov", "proposal", id)
		if p.Proposal.Status == "PROPOSAL_STATUS_PASSED" {
			break
		}
		if time.Now().After(deadline) || p.Proposal.Status == "PROPOSAL_STATUS_REJECTED" || p.Proposal.Status == "PROPOSAL_STATUS_FAILED" {
			t.Fatalf("upgrade proposal %s: %s", id, p.Proposal.Status)
		}
		time.Sleep(time.Second)
	}
	if net.height("st-mary") >= plan {
		t.Fatalf("the proposal passed after the plan's height %d", plan)
	}
	return plan
}

// realDICOM is a real DICOM file from the corpus make test fetches
// (pydicom's CT_small.dcm), or, outside make, the release's synthetic one.
func realDICOM(t *testing.T, src, files string) string {
	if dir := os.Getenv("MEDCHAIN_DICOM_CORPUS"); dir != "" {
		return write(t, files, "ct.dcm", readFile(t, filepath.Join(dir, "CT_small.dcm")))
	}
	t.Log("MEDCHAIN_DICOM_CORPUS is not set: using a synthetic DICOM file instead of pydicom's CT_small.dcm")
	out := filepath.Join(files, "ct.dcm")
	run(t, src, nil, "go", "run", "./scripts/dicomcheck", "sample", "-o", out)
	return out
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

var fhirBundle = []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}}}]}`)

var minimalPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
