//go:build e2e

package localnet

import (
	"github.com/medchain/medchain/testutil/system"

	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEmergencyAccessOnTheConsortium runs break-glass on the four-hospital
// network of config.yml, through medchaind as its users would: alice opts
// in with three custodian hospitals and a threshold of two; dr-grey
// (Charité, not a custodian) breaks the glass while alice signs nothing;
// St Mary's node releases its share by itself, Karolinska's and Mayo's
// nodes wait for their operators. With one share dr-grey's download fails
// and says why; once Karolinska's operator releases, dr-grey downloads
// both of alice's records byte-identical (one made before the policy, one
// after). Alice's emergency log and the vault's access log show it, and
// after the window no share is released and nothing is read. Then alice
// "loses" her key: a new account asks for her records, two custodians
// approve, and after the recovery's delay the new account downloads every
// record byte-identical while the old account is refused.
func TestEmergencyAccessOnTheConsortium(t *testing.T) {
	bin := system.Binary(t)
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const window = 60 * time.Second
	cfg.Genesis.AppState["access"] = map[string]any{"params": map[string]any{"emergency_window": "60s", "recovery_delay": "30s"}}
	for i, v := range cfg.Validators {
		release := "manual"
		if v.Name == "st-mary" || v.Name == "charite" {
			release = "auto"
		}
		cfg.Validators[i].App = map[string]any{"vault": map[string]any{"emergency-release": release, "emergency-release-interval": "1s"}}
	}
	network := startConsortium(t, bin, cfg, 23000, 5*time.Minute)
	ctx, dir, st := network.ctx, network.dir, network.ready.State
	t.Cleanup(func() { // before the network stops and its directory goes
		if !t.Failed() {
			return
		}
		for _, n := range st.Nodes {
			b, _ := os.ReadFile(n.LogFile(dir))
			for _, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, "emergency") || strings.Contains(line, "ERR") {
					t.Logf("%s: %s", n.Name, line)
				}
			}
		}
	})
	c := &chainCLI{t: t, ctx: ctx, b: binary{path: bin}, st: st}
	addr := network.ready.Addresses
	vaultOf := func(name string) string { return network.vault(t, name) }

	// Everyone who seals or opens registers an encryption key.
	var wg sync.WaitGroup
	for _, who := range []string{"alice", "dr-grey", "st-mary", "karolinska", "mayo"} {
		wg.Add(1)
		go func() { defer wg.Done(); c.txWait("tx", "access", "register-key", "--from", who) }()
	}
	wg.Wait()

	before := c.upload("alice", vaultOf("st-mary"), 300_000)
	c.txWait("tx", "access", "set-emergency-policy", "--custodians",
		strings.Join([]string{addr["st-mary"], addr["karolinska"], addr["mayo"]}, ","), "--threshold", "2", "--from", "alice")
	after := c.upload("alice", vaultOf("st-mary"), 200_000) // carries the emergency wrap by itself

	// dr-grey breaks the glass; alice signs nothing from here on.
	c.txWait("tx", "access", "emergency-access", addr["alice"], "--reason", "unable-to-consent", "--from", "dr-grey")
	opened := time.Now()
	var access struct {
		Access struct {
			Practitioner string `json:"practitioner"`
			Organisation string `json:"organisation"`
			Releases     []struct {
				Custodian string `json:"custodian"`
			} `json:"releases"`
		} `json:"access"`
		Open bool `json:"open"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.queryJSON(&access, "query", "access", "emergency", "1")
		if len(access.Access.Releases) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if len(access.Access.Releases) != 1 || access.Access.Releases[0].Custodian != addr["st-mary"] {
		t.Fatalf("St Mary's node should have released by itself, and only it: %+v", access.Access.Releases)
	}

	// One share of two: the download says why it cannot open the record.
	_, err = c.download("dr-grey", vaultOf("charite"), before.id)
	if err == nil || !strings.Contains(err.Error(), "1 of the 2 custodian shares needed have been released") {
		t.Fatalf("dr-grey's download with one share: %v", err)
	}

	// Karolinska's operator releases by hand; now both records open.
	c.txWait("tx", "access", "release-share", "1", "--from", "karolinska")
	for _, r := range []uploaded{before, after} {
		got, err := c.download("dr-grey", vaultOf("charite"), r.id)
		if err != nil {
			t.Fatalf("dr-grey's emergency download of record %s: %v", r.id, err)
		}
		if !bytes.Equal(got, r.data) {
			t.Fatalf("record %s: dr-grey got %d bytes that differ from alice's %d", r.id, len(got), len(r.data))
		}
	}

	// Alice sees it: the public emergency log and the vault's access log.
	var log struct {
		Accesses []struct {
			Practitioner string `json:"practitioner"`
			Organisation string `json:"organisation"`
			Reason       string `json:"reason"`
			Releases     []any  `json:"releases"`
		} `json:"accesses"`
	}
	c.queryJSON(&log, "query", "access", "emergency-log", addr["alice"])
	if len(log.Accesses) != 1 || log.Accesses[0].Practitioner != addr["dr-grey"] || log.Accesses[0].Organisation != addr["charite"] ||
		len(log.Accesses[0].Releases) != 2 || log.Accesses[0].Reason != "EMERGENCY_REASON_PATIENT_UNABLE_TO_CONSENT" {
		t.Fatalf("alice's emergency log: %+v", log)
	}
	stdout, stderr, err := c.b.run(ctx, "", "query", "records", "access-log", before.id, "--from", "alice", "--vault", vaultOf("charite"),
		"--home", st.ClientHome, "--keyring-backend", "test")
	if err != nil {
		t.Fatal(err)
	}
	out := string(stdout) + string(stderr)
	if !strings.Contains(out, "emergency access 1") {
		t.Fatalf("the vault's access log does not show the emergency read:\n%s", out)
	}

	// alice loses her key. A new account asks to take her records over;
	// two of her custodians approve (by hand: they check who asks).
	stdout, stderr, err = c.b.run(ctx, "", "keys", "add", "alice-new", "--keyring-backend", "test", "--home", st.ClientHome, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var newKey struct {
		Address string `json:"address"`
	}
	if err := findJSONObject(&newKey, stdout, stderr); err != nil || newKey.Address == "" {
		t.Fatalf("keys add: %s %s", stdout, stderr)
	}
	c.txWait("tx", "bank", "send", "bob", newKey.Address, "1000000"+st.BondDenom)
	c.txWait("tx", "access", "register-key", "--from", "alice-new")
	c.txWait("tx", "access", "request-recovery", addr["alice"], "--from", "alice-new")
	requested := time.Now()
	c.txWait("tx", "access", "approve-recovery", "1", "--from", "st-mary")
	if _, _, err := c.b.run(ctx, "", c.flags("tx", "access", "complete-recovery", "1", "--from", "alice-new", "--yes")...); err == nil ||
		!strings.Contains(err.Error(), "1 of the 2 custodian shares needed have been released") {
		t.Fatalf("completing with one approval: %v", err)
	}
	c.txWait("tx", "access", "approve-recovery", "1", "--from", "karolinska")

	// After the window: no release, no read.
	time.Sleep(time.Until(opened.Add(window + 3*time.Second)))
	if _, _, err := c.b.run(ctx, "", c.flags("tx", "access", "release-share", "1", "--from", "mayo", "--yes")...); err == nil ||
		!strings.Contains(err.Error(), "no share is released after its window") {
		t.Fatalf("mayo's release after the window: %v", err)
	}
	if _, err := c.download("dr-grey", vaultOf("charite"), after.id); err == nil || !strings.Contains(err.Error(), "no live READ grant") {
		t.Fatalf("dr-grey's download after the window: %v", err)
	}

	// The recovery's delay has passed: the new account takes over and
	// reads every record; the old account reads nothing.
	time.Sleep(time.Until(requested.Add(33 * time.Second)))
	c.txWait("tx", "access", "complete-recovery", "1", "--from", "alice-new")
	for _, r := range []uploaded{before, after} {
		got, err := c.download("alice-new", vaultOf("karolinska"), r.id)
		if err != nil {
			t.Fatalf("the new account's download of record %s: %v", r.id, err)
		}
		if !bytes.Equal(got, r.data) {
			t.Fatalf("record %s: the new account got %d bytes that differ from alice's %d", r.id, len(got), len(r.data))
		}
		if _, err := c.download("alice", vaultOf("karolinska"), r.id); err == nil || !strings.Contains(err.Error(), "no live READ grant") {
			t.Fatalf("the old account's download of record %s after the recovery: %v", r.id, err)
		}
	}
}
