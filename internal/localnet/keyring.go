package localnet

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A node's own key (its hospital's organisation key, with which the vault
// signs replica tickets and emergency releases) lives in the node home's
// encrypted file keyring, as on a hospital's server; its random passphrase
// is in the file the node reads ([vault] keyring-passphrase-file), the
// node's user's alone. The client home keeps an unencrypted test keyring:
// a development convenience, holding config.yml's demo accounts.
const (
	nodeKeyringBackend = "file"
	// nodePassphraseFile is under the node's home.
	nodePassphraseFile = "config/vault-keyring-passphrase"
	clientBackend      = "test"
)

// keyringOf is a keyring for the CLI: a home, its backend and, for the
// file backend, the passphrase `medchaind keys` reads from standard input.
type keyringOf struct {
	home, backend, passphrase string
}

func clientKeyring(home string) keyringOf { return keyringOf{home: home, backend: clientBackend} }

// nodeKeyring is home's file keyring, with the passphrase in its
// passphrase file; create makes a random one (mode 0600) if the home has
// none yet.
func nodeKeyring(home string, create bool) (keyringOf, error) {
	kr := keyringOf{home: home, backend: nodeKeyringBackend}
	path := filepath.Join(home, nodePassphraseFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		line, _, _ := strings.Cut(string(data), "\n")
		if kr.passphrase = strings.TrimSpace(line); kr.passphrase == "" {
			return kr, fmt.Errorf("%s is empty: delete %s and start again", path, home)
		}
		return kr, nil
	case !errors.Is(err, os.ErrNotExist):
		return kr, err
	case !create:
		return kr, err
	}
	if _, err := os.Stat(filepath.Join(home, "keyring-file")); err == nil {
		return kr, fmt.Errorf("%s has a file keyring but no passphrase file %s: a previous run was interrupted; delete %s and start again", home, path, home)
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return kr, err
	}
	kr.passphrase = base64.RawURLEncoding.EncodeToString(secret)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return kr, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return kr, err
	}
	_, err = f.WriteString(kr.passphrase + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return kr, err
}

// flags are the CLI flags that name the keyring.
func (k keyringOf) flags() []string {
	return []string{"--keyring-backend", k.backend, "--home", k.home}
}

// stdin is what a command that opens the keyring reads: the passphrase,
// times times (keys add asks twice when it creates the keyring), after
// what comes before it (a mnemonic).
func (k keyringOf) stdin(before string, times int) string {
	if k.passphrase == "" {
		return before
	}
	return before + strings.Repeat(k.passphrase+"\n", times)
}
