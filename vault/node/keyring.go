package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	filekeyring "github.com/99designs/keyring"
	"golang.org/x/crypto/bcrypt"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// ErrWrongPassphrase is returned when the passphrase file does not open
// the node's file keyring.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// The directory and passphrase hash of the SDK's file keyring under a home
// (the SDK keeps these names unexported; keyring_test.go checks that the
// CLI's keyring and this one are the same).
const (
	fileKeyringDir  = "keyring-file"
	fileKeyringHash = "keyhash"
	testKeyringDir  = "keyring-test"
)

// openHospitalKey opens the node's keyring and finds the hospital's key in
// it. The file backend reads its passphrase from cfg's passphrase file,
// and only once a key is there to decrypt: a missing key is reported as
// such, not as a missing passphrase. A home whose app.toml names no
// backend, and whose hospital key only the test keyring holds, keeps that
// keyring with a warning.
func openHospitalKey(cfg Config, home string, cdc codec.Codec, log Logger) (keyring.Keyring, *keyring.Record, error) {
	kr, pass, err := openKeyring(cfg, home, cdc)
	if err != nil {
		return nil, nil, err
	}
	rec, err := kr.Key(cfg.HospitalKey)
	switch {
	case err == nil:
	case errors.Is(err, sdkerrors.ErrKeyNotFound) && cfg.KeyringBackend == keyring.BackendFile:
		var (
			test keyring.Keyring
			trec *keyring.Record
		)
		_, terr := os.Stat(filepath.Join(home, testKeyringDir))
		if terr == nil {
			if test, terr = keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, home, nil, cdc); terr == nil {
				trec, terr = test.Key(cfg.HospitalKey)
			}
		}
		if terr != nil {
			return nil, nil, fmt.Errorf("[vault] hospital-key %q is not in the node's file keyring %s: add it there (medchaind keys add %s --recover --keyring-backend file --home %s, with the passphrase of %s), or name the key that is",
				cfg.HospitalKey, filepath.Join(home, fileKeyringDir), cfg.HospitalKey, home, cfg.PassphraseFile(home))
		}
		if !cfg.keyringBackendUnset {
			return nil, nil, fmt.Errorf("[vault] hospital-key %q is in the unencrypted test keyring %s but keyring-backend is \"file\": move it to the file keyring (docs/operations.md, \"Moving the organisation key to the file keyring\"), or set keyring-backend = \"test\" to keep it unencrypted",
				cfg.HospitalKey, filepath.Join(home, testKeyringDir))
		}
		warn(log, "[vault] app.toml names no keyring-backend and the hospital's organisation key is only in the UNENCRYPTED test keyring: using it, as earlier releases did. Anyone who can read the node's home can release this hospital's custodian shares and sign its replica tickets. Move the key to the file keyring: docs/operations.md, \"Moving the organisation key to the file keyring\"",
			"hospital_key", cfg.HospitalKey, "keyring", filepath.Join(home, testKeyringDir))
		return test, trec, nil
	case pass != nil && pass.err != nil:
		// The passphrase file is missing, open to others, empty or wrong:
		// its own words say so.
		return nil, nil, pass.err
	case pass != nil && pass.handed:
		// The keyring has no passphrase hash to check against (one made by
		// other tools), and the key does not decrypt.
		return nil, nil, fmt.Errorf("[vault] %w in %s: it does not decrypt hospital-key %q in %s (or that key's file is damaged: %v)",
			ErrWrongPassphrase, pass.path, cfg.HospitalKey, pass.dir, err)
	case errors.Is(err, sdkerrors.ErrKeyNotFound):
		return nil, nil, fmt.Errorf("[vault] hospital-key %q is not in the node's %s keyring under %s: add it there (medchaind keys add %s --recover --keyring-backend %s --home %s), or name the key that is",
			cfg.HospitalKey, cfg.KeyringBackend, home, cfg.HospitalKey, cfg.KeyringBackend, home)
	default:
		return nil, nil, fmt.Errorf("[vault] hospital-key %q: %w", cfg.HospitalKey, err)
	}
	if cfg.KeyringBackend == keyring.BackendTest {
		warn(log, "[vault] keyring-backend = \"test\": the hospital's organisation key is stored UNENCRYPTED. Anyone who can read the node's home can release this hospital's custodian shares and sign its replica tickets. Move it to the file keyring: docs/operations.md, \"Moving the organisation key to the file keyring\"",
			"hospital_key", cfg.HospitalKey, "keyring", filepath.Join(home, testKeyringDir))
	}
	return kr, rec, nil
}

// openKeyring opens the keyring of cfg under home. For the file backend it
// also returns the passphrase source, which says whether the keyring asked
// for the passphrase.
//
// The file keyring is the SDK's (the same directory, passphrase hash and
// encryption that `medchaind keys --keyring-backend file` use), opened with
// a passphrase function of the node's own rather than through
// keyring.New's prompt: that prompt reads the terminal instead of the
// reader it is given whenever standard input is one (a node started by
// hand would stop to ask), retries on a wrong passphrase, and on a keyring
// without a passphrase hash asks twice and writes one.
func openKeyring(cfg Config, home string, cdc codec.Codec) (keyring.Keyring, *passphraseFile, error) {
	if cfg.KeyringBackend != keyring.BackendFile {
		kr, err := keyring.New(sdk.KeyringServiceName(), cfg.KeyringBackend, home, nil, cdc)
		if err != nil {
			return nil, nil, fmt.Errorf("[vault] keyring-backend %q in %s: %w", cfg.KeyringBackend, home, err)
		}
		return kr, nil, nil
	}
	pass := &passphraseFile{path: cfg.PassphraseFile(home), dir: filepath.Join(home, fileKeyringDir)}
	db, err := filekeyring.Open(filekeyring.Config{
		AllowedBackends:  []filekeyring.BackendType{filekeyring.FileBackend},
		ServiceName:      sdk.KeyringServiceName(),
		FileDir:          pass.dir,
		FilePasswordFunc: pass.prompt,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("[vault] file keyring %s: %w", pass.dir, err)
	}
	return keyring.NewInMemoryWithKeyring(db, cdc), pass, nil
}

// passphraseFile answers the file keyring's passphrase prompt from a file.
type passphraseFile struct {
	path string // the passphrase file
	dir  string // the keyring's directory
	// handed: a passphrase was handed to the keyring (it then decrypts
	// with it, and a failure means a wrong one); err: why none was.
	handed bool
	err    error
}

func (p *passphraseFile) prompt(string) (string, error) {
	pass, err := p.read()
	p.err = err
	p.handed = err == nil
	return pass, err
}

func (p *passphraseFile) read() (string, error) {
	pass, err := readPassphrase(p.path)
	if err != nil {
		return "", err
	}
	hash, err := os.ReadFile(filepath.Join(p.dir, fileKeyringHash))
	switch {
	case errors.Is(err, os.ErrNotExist):
		// No hash to check: decrypting the key will tell.
	case err != nil:
		return "", fmt.Errorf("[vault] file keyring %s: %w", p.dir, err)
	case bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil:
		return "", fmt.Errorf("[vault] %w in %s: it does not unlock the node's keyring %s. Put the passphrase chosen when the hospital key was added to that keyring (medchaind keys add --keyring-backend file) on the file's first line, then check it: medchaind keys list --keyring-backend file --home %s < %s lists the key only with the right one",
			ErrWrongPassphrase, p.path, p.dir, filepath.Dir(p.dir), p.path)
	}
	return pass, nil
}

// readPassphrase reads a file keyring's passphrase from path: its first
// line without surrounding white space, as `medchaind keys` reads one from
// a terminal or a pipe. Only the file's owner may read or write it.
func readPassphrase(path string) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("[vault] keyring-passphrase-file %s does not exist. The hospital key is in the encrypted file keyring and the node reads its passphrase from that file: write the passphrase on its first line, as the node's user, readable by that user only (umask 077; cat > %s), or point keyring-passphrase-file at the file that holds it (docs/operations.md, \"The organisation key\")",
			path, path)
	case err != nil:
		return "", fmt.Errorf("[vault] keyring-passphrase-file: %w", err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("[vault] keyring-passphrase-file %s is not a regular file", path)
	case fi.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("[vault] keyring-passphrase-file %s has mode %04o: others than its owner may read or change it, and it opens the hospital's organisation key. Make it the node user's alone (chmod 600 %s), and consider the key exposed if anyone else could read it",
			path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("[vault] keyring-passphrase-file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pass := strings.TrimSpace(line)
	if pass == "" {
		return "", fmt.Errorf("[vault] keyring-passphrase-file %s is empty: its first line must be the passphrase of the node's file keyring", path)
	}
	return pass, nil
}

// warn logs at warning level where the logger has one.
func warn(log Logger, msg string, keyvals ...any) {
	if w, ok := log.(interface{ Warn(string, ...any) }); ok {
		w.Warn(msg, keyvals...)
		return
	}
	log.Error(msg, keyvals...)
}
