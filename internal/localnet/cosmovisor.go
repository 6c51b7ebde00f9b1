package localnet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// With Options.Cosmovisor set, every node runs as `cosmovisor run start`,
// the way hospitals run theirs: a governance upgrade plan then switches each
// node to the binary in <home>/cosmovisor/upgrades/<plan name>/bin at the
// plan's height, with no one at the keyboard.

// prepareCosmovisor lays out a node home for cosmovisor: the localnet's
// medchaind as cosmovisor/genesis/bin/medchaind. A node that an upgrade
// already switched keeps the binary cosmovisor chose; otherwise the copy is
// refreshed, so that a rebuilt medchaind is what runs.
func prepareCosmovisor(bin binary, home string) error {
	cv := filepath.Join(home, "cosmovisor")
	if target, err := os.Readlink(filepath.Join(cv, "current")); err == nil &&
		filepath.Base(filepath.Clean(target)) != "genesis" {
		return nil
	}
	return installBinary(bin.path, filepath.Join(cv, "genesis", "bin", "medchaind"))
}

// installBinary copies an executable into place atomically.
func installBinary(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("installing %s for cosmovisor: %w", dst, err)
	}
	return nil
}

// cosmovisorEnv is the environment cosmovisor reads for a node home.
// Binaries are never downloaded: an operator (or the upgrade test) puts
// the new release in cosmovisor/upgrades/<name>/bin before the height.
func cosmovisorEnv(home string) []string {
	return []string{
		"DAEMON_NAME=medchaind",
		"DAEMON_HOME=" + home,
		"DAEMON_ALLOW_DOWNLOAD_BINARIES=false",
		"DAEMON_RESTART_AFTER_UPGRADE=true",
		// A localnet is disposable; a hospital keeps the backup of data/
		// that cosmovisor takes before each upgrade.
		"UNSAFE_SKIP_BACKUP=true",
	}
}

// StageUpgrade installs the medchaind at binPath as the binary of upgrade
// plan name in every node home of the network in dir
// (<home>/cosmovisor/upgrades/<name>/bin/medchaind), as each hospital's
// operator does before the plan's height, and returns the paths written.
func StageUpgrade(dir, binPath, name string) ([]string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, fmt.Errorf("upgrade name %q cannot be a directory name", name)
	}
	bin, err := newBinary(binPath)
	if err != nil {
		return nil, err
	}
	st, err := ReadState(dir)
	if err != nil {
		return nil, fmt.Errorf("no initialised network in %s: %w", dir, err)
	}
	var written []string
	for _, n := range st.Nodes {
		dst := filepath.Join(n.Home, "cosmovisor", "upgrades", name, "bin", "medchaind")
		if err := installBinary(bin.path, dst); err != nil {
			return written, err
		}
		written = append(written, dst)
	}
	return written, nil
}
