package localnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNodeKeyringPassphrase(t *testing.T) {
	home := t.TempDir()
	if _, err := nodeKeyring(home, false); !os.IsNotExist(err) {
		t.Fatalf("a home without a passphrase file: %v", err)
	}
	kr, err := nodeKeyring(home, true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, nodePassphraseFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %04o, want 0600: the node refuses a passphrase file others may read", path, fi.Mode().Perm())
	}
	// Long enough for `medchaind keys` (8 characters at least), one line.
	if len(kr.passphrase) < 32 || strings.ContainsAny(kr.passphrase, " \n") {
		t.Fatalf("passphrase %q", kr.passphrase)
	}
	if got := kr.stdin("MNEMONIC\n", 2); got != "MNEMONIC\n"+kr.passphrase+"\n"+kr.passphrase+"\n" {
		t.Fatalf("stdin: %q", got)
	}
	if strings.Join(kr.flags(), " ") != "--keyring-backend file --home "+home {
		t.Fatalf("flags: %v", kr.flags())
	}

	// The next call, and another run, read the same passphrase.
	again, err := nodeKeyring(home, true)
	if err != nil || again != kr {
		t.Fatalf("again: %+v %v, want %+v", again, err, kr)
	}
	if other, _ := nodeKeyring(t.TempDir(), true); other.passphrase == kr.passphrase {
		t.Fatal("two homes share a passphrase")
	}

	// A keyring whose passphrase file is gone cannot be opened: say so
	// rather than create a keyring it cannot read.
	home = t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "keyring-file"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeKeyring(home, true); err == nil || !strings.Contains(err.Error(), "has a file keyring but no passphrase file") {
		t.Fatalf("a file keyring without its passphrase: %v", err)
	}

	// The client home stays a test keyring, with nothing on stdin.
	client := clientKeyring("/c")
	if client.stdin("", 2) != "" || strings.Join(client.flags(), " ") != "--keyring-backend test --home /c" {
		t.Fatalf("client keyring: %+v", client)
	}
}

func TestVaultSetsNameTheFileKeyring(t *testing.T) {
	app := filepath.Join(t.TempDir(), "app.toml")
	toml := "[vault]\naddress = \"127.0.0.1:8095\"\nhospital = \"\"\nhospital-key = \"\"\nkeyring-backend = \"test\"\nkeyring-passphrase-file = \"x\"\n"
	if err := os.WriteFile(app, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	sets, err := vaultSets(app, 27005, "med1hospital", "st-mary")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, s := range sets {
		got[s.Key()] = s.Value
	}
	for k, want := range map[string]any{
		"vault.address": "127.0.0.1:27005", "vault.hospital": "med1hospital", "vault.hospital-key": "st-mary",
		"vault.keyring-backend": "file", "vault.keyring-passphrase-file": nodePassphraseFile,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], want, got)
		}
	}
}
