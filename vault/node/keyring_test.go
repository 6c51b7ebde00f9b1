package node

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	filekeyring "github.com/99designs/keyring"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

const testPassphrase = "a long passphrase of the hospital"

func testCodec() codec.Codec {
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	return codec.NewProtoCodec(ir)
}

// warnLog remembers warnings and errors.
type warnLog struct{ lines []string }

func (*warnLog) Info(string, ...any)          {}
func (l *warnLog) Warn(msg string, _ ...any)  { l.lines = append(l.lines, "WARN "+msg) }
func (l *warnLog) Error(msg string, _ ...any) { l.lines = append(l.lines, "ERROR "+msg) }

// addKeyLikeCLI adds a key named name to home's keyring of backend the way
// `medchaind keys add NAME --keyring-backend BACKEND` does: through the
// SDK's keyring.New, the passphrase typed twice when the keyring is new.
// It returns the hospital address of the key.
func addKeyLikeCLI(t *testing.T, home, backend, name string) string {
	t.Helper()
	// The SDK's prompt reads the terminal instead of the reader when
	// standard input is one.
	stdin := os.Stdin
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	os.Stdin = devnull
	t.Cleanup(func() { os.Stdin = stdin; devnull.Close() })

	kr, err := keyring.New(sdk.KeyringServiceName(), backend, home,
		strings.NewReader(testPassphrase+"\n"+testPassphrase+"\n"), testCodec())
	require.NoError(t, err)
	rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	require.NoError(t, err)
	addr, err := rec.GetAddress()
	require.NoError(t, err)
	s, err := bech32.ConvertAndEncode("med", addr)
	require.NoError(t, err)
	return s
}

func writePassphrase(t *testing.T, home, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(home, "config", "vault-keyring-passphrase")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode)) // whatever the umask
	return path
}

// hospitalConfig is a node's [vault] as app.toml written by this release
// sets it: the file keyring and its passphrase file under the home.
func hospitalConfig(hospital string) Config {
	c := DefaultConfig()
	c.Hospital, c.HospitalKey = hospital, "st-mary"
	return c
}

func TestHospitalKeyFromFileKeyring(t *testing.T) {
	home := t.TempDir()
	hospital := addKeyLikeCLI(t, home, keyring.BackendFile, "st-mary")
	// As an operator writes it: a line, with its newline.
	writePassphrase(t, home, testPassphrase+"\n", 0o600)
	cfg := hospitalConfig(hospital)
	require.NoError(t, cfg.Validate())

	log := &warnLog{}
	kr, addr, err := hospitalKeyring(cfg, home, testCodec(), log)
	require.NoError(t, err)
	want, _ := cfg.HospitalAddress()
	require.Equal(t, sdk.AccAddress(want), addr)
	require.Empty(t, log.lines, "an encrypted key is no cause for warning")

	// It signs replica tickets and releases.
	sig, pub, err := kr.Sign(cfg.HospitalKey, []byte("ticket"), signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	require.NoError(t, err)
	require.True(t, pub.VerifySignature([]byte("ticket"), sig))

	// An absolute passphrase file (systemd's credential) is read as is.
	abs := filepath.Join(t.TempDir(), "vault-keyring-passphrase")
	require.NoError(t, os.WriteFile(abs, []byte(testPassphrase), 0o400))
	cfg.KeyringPassphraseFile = abs
	_, _, err = hospitalKeyring(cfg, home, testCodec(), log)
	require.NoError(t, err)
}

func TestHospitalKeyWrongPassphrase(t *testing.T) {
	home := t.TempDir()
	hospital := addKeyLikeCLI(t, home, keyring.BackendFile, "st-mary")
	path := writePassphrase(t, home, "not the passphrase at all\n", 0o600)
	cfg := hospitalConfig(hospital)

	_, _, err := hospitalKeyring(cfg, home, testCodec(), nopLog{})
	require.ErrorIs(t, err, ErrWrongPassphrase)
	require.ErrorContains(t, err, "wrong passphrase in "+path)
	require.ErrorContains(t, err, "does not unlock the node's keyring")

	// A keyring without the SDK's passphrase hash: the key does not
	// decrypt, which says the same.
	require.NoError(t, os.Remove(filepath.Join(home, fileKeyringDir, fileKeyringHash)))
	_, _, err = hospitalKeyring(cfg, home, testCodec(), nopLog{})
	require.ErrorIs(t, err, ErrWrongPassphrase)
	require.ErrorContains(t, err, "wrong passphrase in "+path)
	_, err = os.Stat(filepath.Join(home, fileKeyringDir, fileKeyringHash))
	require.ErrorIs(t, err, os.ErrNotExist, "the node must not write a passphrase hash of its own")
}

func TestHospitalKeyPassphraseFileRefused(t *testing.T) {
	home := t.TempDir()
	hospital := addKeyLikeCLI(t, home, keyring.BackendFile, "st-mary")
	cfg := hospitalConfig(hospital)
	path := cfg.PassphraseFile(home)

	_, _, err := hospitalKeyring(cfg, home, testCodec(), nopLog{})
	require.ErrorContains(t, err, "keyring-passphrase-file "+path+" does not exist")
	require.ErrorContains(t, err, "readable by that user only")
	require.NotErrorIs(t, err, ErrWrongPassphrase)

	for mode, want := range map[os.FileMode]string{
		0o640: "has mode 0640", // the group may read it
		0o604: "has mode 0604", // anyone may
		0o620: "has mode 0620", // the group may change it
	} {
		writePassphrase(t, home, testPassphrase+"\n", mode)
		_, _, err = hospitalKeyring(cfg, home, testCodec(), nopLog{})
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "chmod 600 "+path)
	}

	writePassphrase(t, home, "  \n"+testPassphrase+"\n", 0o600)
	_, _, err = hospitalKeyring(cfg, home, testCodec(), nopLog{})
	require.ErrorContains(t, err, "keyring-passphrase-file "+path+" is empty")

	cfg.KeyringPassphraseFile = ""
	require.ErrorContains(t, cfg.Validate(), "needs keyring-passphrase-file")
}

func TestHospitalKeyNotInFileKeyring(t *testing.T) {
	home := t.TempDir()
	hospital := addKeyLikeCLI(t, home, keyring.BackendFile, "other")
	writePassphrase(t, home, testPassphrase+"\n", 0o600)
	_, _, err := hospitalKeyring(hospitalConfig(hospital), home, testCodec(), nopLog{})
	require.ErrorContains(t, err, `hospital-key "st-mary" is not in the node's file keyring`)
	require.ErrorContains(t, err, "keys add st-mary --recover --keyring-backend file")

	// Nor in the test keyring, when that is the one named.
	cfg := hospitalConfig(hospital)
	cfg.KeyringBackend = keyring.BackendTest
	_, _, err = hospitalKeyring(cfg, home, testCodec(), nopLog{})
	require.ErrorContains(t, err, `hospital-key "st-mary" is not in the node's test keyring`)
}

// A node upgraded from an earlier release keeps its key where it was:
// explicitly in the test keyring (with a warning), or, if its app.toml
// names no backend, in the test keyring found there.
func TestHospitalKeyInTestKeyring(t *testing.T) {
	home := t.TempDir()
	hospital := addKeyLikeCLI(t, home, keyring.BackendTest, "st-mary")

	// keyring-backend = "test", as app.toml of v0.2.0 to v0.4.0 say.
	cfg, err := ReadConfig(mapOpts{"vault.hospital": hospital, "vault.hospital-key": "st-mary", "vault.keyring-backend": "test"})
	require.NoError(t, err)
	log := &warnLog{}
	_, _, err = hospitalKeyring(cfg, home, testCodec(), log)
	require.NoError(t, err)
	require.Len(t, log.lines, 1)
	require.Contains(t, log.lines[0], `WARN [vault] keyring-backend = "test": the hospital's organisation key is stored UNENCRYPTED`)

	// No keyring-backend (a home made before v0.2.0): the test keyring,
	// with a warning.
	cfg, err = ReadConfig(mapOpts{"vault.hospital": hospital, "vault.hospital-key": "st-mary"})
	require.NoError(t, err)
	log = &warnLog{}
	_, _, err = hospitalKeyring(cfg, home, testCodec(), log)
	require.NoError(t, err)
	require.Len(t, log.lines, 1)
	require.Contains(t, log.lines[0], "app.toml names no keyring-backend")
	require.Contains(t, log.lines[0], "UNENCRYPTED")

	// keyring-backend = "file" said outright: the key must be there.
	cfg.KeyringBackend, cfg.keyringBackendUnset = keyring.BackendFile, false
	_, _, err = hospitalKeyring(cfg, home, testCodec(), log)
	require.ErrorContains(t, err, `is in the unencrypted test keyring`)
	require.ErrorContains(t, err, "Moving the organisation key to the file keyring")
}

// The file keyring keeps no private key in clear: none of its files holds
// the key's bytes, hex or base64, nor opens with the test keyring's
// well-known password, with which a test keyring does.
func TestFileKeyringHoldsNoKeyInClear(t *testing.T) {
	for _, backend := range []string{keyring.BackendFile, keyring.BackendTest} {
		home := t.TempDir()
		addKeyLikeCLI(t, home, backend, "st-mary")
		kr, err := keyring.New(sdk.KeyringServiceName(), backend, home, strings.NewReader(testPassphrase+"\n"), testCodec())
		require.NoError(t, err)
		priv, err := kr.(interface {
			ExportPrivateKeyObject(string) (cryptotypes.PrivKey, error)
		}).ExportPrivateKeyObject("st-mary")
		require.NoError(t, err)
		raw := priv.Bytes()
		require.Len(t, raw, 32)
		hexKey := hex.EncodeToString(raw)
		// What a keyring that stored the record in clear would hold.
		rec, err := kr.Key("st-mary")
		require.NoError(t, err)
		record, err := testCodec().Marshal(rec)
		require.NoError(t, err)

		dir := filepath.Join(home, "keyring-"+backend)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.NotEmpty(t, entries)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			for what, secret := range map[string][]byte{
				"the raw key": raw, "its hex": []byte(hexKey), "its upper-case hex": []byte(strings.ToUpper(hexKey)),
				"its base64":                 []byte(base64.StdEncoding.EncodeToString(raw)),
				"the key's record in base64": []byte(base64.StdEncoding.EncodeToString(record)),
			} {
				require.False(t, bytes.Contains(data, secret), "%s holds %s", e.Name(), what)
			}
		}

		// What a reader of the disk can do with the well-known password.
		db, err := filekeyring.Open(filekeyring.Config{
			AllowedBackends:  []filekeyring.BackendType{filekeyring.FileBackend},
			FileDir:          dir,
			FilePasswordFunc: func(string) (string, error) { return "test", nil },
		})
		require.NoError(t, err)
		item, err := db.Get("st-mary.info")
		if backend == keyring.BackendTest {
			require.NoError(t, err)
			require.NotEmpty(t, item.Data, "the test keyring is open to anyone")
			continue
		}
		require.Error(t, err)
		require.False(t, errors.Is(err, filekeyring.ErrKeyNotFound))
	}
}
