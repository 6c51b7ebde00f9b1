package app

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/version"

	"github.com/medchain/medchain/app/upgrades"
)

// TestCurrentReleaseIsThisTree: the last release lists the consensus
// versions this binary's modules have, and is what `medchaind version`
// reports.
func TestCurrentReleaseIsThisTree(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	current := upgrades.Current()
	vm := a.ModuleManager.GetVersionMap()
	for module, v := range current.Modules {
		if vm[module] != v {
			t.Errorf("release %s lists %s at consensus version %d; the binary has %d", current.Version, module, v, vm[module])
		}
	}
	for _, module := range []string{"issuers", "records", "access", "datanft"} {
		if _, ok := current.Modules[module]; !ok {
			t.Errorf("release %s does not list module %s", current.Version, module)
		}
	}
	if version.Version != current.Version {
		t.Errorf("medchaind version reports %q, the current release is %s", version.Version, current.Version)
	}
	if current.Commit != "" {
		t.Errorf("the current release %s names commit %s; only published releases have one", current.Version, current.Commit)
	}
}

// TestEveryReleasedUpgradeHasAHandler: a chain of an old release may carry
// any upgrade name that ever shipped in its plan, so none may be dropped.
func TestEveryReleasedUpgradeHasAHandler(t *testing.T) {
	names := map[string]bool{}
	for _, u := range Upgrades {
		names[u.Name] = true
	}
	for i, r := range upgrades.Releases {
		switch {
		case i == 0 && r.Upgrade != "":
			t.Errorf("the first release %s has upgrade %q; a chain starts at it from genesis", r.Version, r.Upgrade)
		case i > 0 && !names[r.Upgrade]:
			t.Errorf("release %s's upgrade %q has no handler in this binary", r.Version, r.Upgrade)
		case i > 0 && r.Commit == "" && i != len(upgrades.Releases)-1:
			t.Errorf("published release %s names no commit", r.Version)
		}
	}
}

// TestReleasesDocument: RELEASES.md has a row for every release with its
// commit, upgrade name and module versions, as upgrades.Releases says.
func TestReleasesDocument(t *testing.T) {
	doc, err := os.ReadFile("../RELEASES.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !regexp.MustCompile(`^\s*v\d+\.\d+\.\d+\s*$`).MatchString(cells[1]) {
			continue
		}
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		rows[cells[1]] = cells[1:]
	}
	for _, r := range upgrades.Releases {
		row, ok := rows[r.Version]
		if !ok {
			t.Errorf("RELEASES.md has no row for %s", r.Version)
			continue
		}
		commit := r.Commit
		if commit == "" {
			commit = "this tree"
		}
		upgrade := r.Upgrade
		if upgrade == "" {
			upgrade = "none (genesis)"
		}
		modules := []string{}
		for _, m := range []string{"issuers", "records", "access", "datanft"} {
			modules = append(modules, m+" "+string(rune('0'+r.Modules[m])))
		}
		want := []string{r.Version, commit, upgrade, strings.Join(modules, ", ")}
		for i, w := range want {
			if row[i] != w {
				t.Errorf("RELEASES.md, %s: column %d is %q, want %q", r.Version, i+1, row[i], w)
			}
		}
	}
}
