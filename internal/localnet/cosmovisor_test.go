package localnet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func executable(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o755))
}

// TestPrepareCosmovisorRefreshesUntilAnUpgrade: a node that still runs the
// genesis binary gets the rebuilt medchaind at every start; one that an
// upgrade switched keeps the binary cosmovisor chose.
func TestPrepareCosmovisorRefreshesUntilAnUpgrade(t *testing.T) {
	home := t.TempDir()
	build := filepath.Join(t.TempDir(), "medchaind")
	genesisBin := filepath.Join(home, "cosmovisor", "genesis", "bin", "medchaind")

	executable(t, build, "first build")
	require.NoError(t, prepareCosmovisor(binary{path: build}, home))
	got, err := os.ReadFile(genesisBin)
	require.NoError(t, err)
	require.Equal(t, "first build", string(got))
	info, err := os.Stat(genesisBin)
	require.NoError(t, err)
	require.NotZero(t, info.Mode()&0o100, "cosmovisor must be able to run it")

	// Rebuilt, still at genesis (cosmovisor's current link points there).
	require.NoError(t, os.Symlink(filepath.Join(home, "cosmovisor", "genesis"), filepath.Join(home, "cosmovisor", "current")))
	executable(t, build, "second build")
	require.NoError(t, prepareCosmovisor(binary{path: build}, home))
	got, _ = os.ReadFile(genesisBin)
	require.Equal(t, "second build", string(got))

	// An upgrade moved current; the genesis binary is left as it was.
	require.NoError(t, os.Remove(filepath.Join(home, "cosmovisor", "current")))
	require.NoError(t, os.Symlink(filepath.Join(home, "cosmovisor", "upgrades", "next"), filepath.Join(home, "cosmovisor", "current")))
	executable(t, build, "third build")
	require.NoError(t, prepareCosmovisor(binary{path: build}, home))
	got, _ = os.ReadFile(genesisBin)
	require.Equal(t, "second build", string(got))
}

// TestStageUpgrade installs the binary of a plan in every node home, and
// refuses a name that is not a plain directory name.
func TestStageUpgrade(t *testing.T) {
	dir := t.TempDir()
	st := &State{ChainID: "medchain-local-1", Nodes: []Node{
		{Name: "st-mary", Home: filepath.Join(dir, "st-mary")},
		{Name: "charite", Home: filepath.Join(dir, "charite")},
	}}
	require.NoError(t, writeState(dir, st))
	bin := filepath.Join(t.TempDir(), "medchaind")
	executable(t, bin, "next release")

	written, err := StageUpgrade(dir, bin, "multihash-identity")
	require.NoError(t, err)
	require.Len(t, written, 2)
	for _, n := range st.Nodes {
		got, err := os.ReadFile(filepath.Join(n.Home, "cosmovisor", "upgrades", "multihash-identity", "bin", "medchaind"))
		require.NoError(t, err)
		require.Equal(t, "next release", string(got))
	}
	for _, bad := range []string{"", "..", "../escape", `a\b`} {
		_, err := StageUpgrade(dir, bin, bad)
		require.Error(t, err, "name %q", bad)
	}
}
