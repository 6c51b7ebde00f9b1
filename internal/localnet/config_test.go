package localnet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/btcutil/bech32"
)

// Valid BIP39 test mnemonics (public, for tests only).
const (
	mnemonicA = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	mnemonicB = "legal winner thank year wave sausage worth useful legal winner thank yellow"
)

const goodConfig = `
version: 1
build:
  binary: medchaind
accounts:
  - name: st-mary
    coins: ["1000000000umed", "5token"]
    mnemonic: "` + mnemonicA + `"
  - name: charite
    coins: ["1000000000umed"]
  - name: alice
    coins: ["1000umed"]
    mnemonic: "` + mnemonicB + `"
validators:
  - name: st-mary
    bonded: 100000000umed
    app:
      api:
        enabled-unsafe-cors: true
    config:
      consensus:
        timeout_commit: 2s
  - name: charite
    bonded: 100000000umed
genesis:
  chain_id: medchain-local-1
  consensus:
    params:
      block:
        max_gas: "100000000"
  app_state:
    staking:
      params:
        bond_denom: umed
`

func TestParseConfigGood(t *testing.T) {
	cfg, err := ParseConfig([]byte(goodConfig), "config.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Genesis.ChainID != "medchain-local-1" {
		t.Errorf("chain id %q", cfg.Genesis.ChainID)
	}
	if len(cfg.Accounts) != 3 || len(cfg.Validators) != 2 {
		t.Fatalf("got %d accounts, %d validators", len(cfg.Accounts), len(cfg.Validators))
	}
	if cfg.BondDenom() != "umed" {
		t.Errorf("bond denom %q", cfg.BondDenom())
	}
	if got := cfg.Validators[0].BondedCoin().String(); got != "100000000umed" {
		t.Errorf("bonded %s", got)
	}
	coins := cfg.Accounts[0].ParsedCoins()
	if len(coins) != 2 || coins[0].Denom != "token" || coins[1].Denom != "umed" {
		t.Errorf("coins not parsed and sorted by denom: %v", coins)
	}
	if !cfg.Accounts[1].HasKey() {
		t.Error("an account without address must have a key")
	}
	if _, ok := cfg.Genesis.Other["consensus"]; !ok {
		t.Error("extra genesis fields (consensus) must be kept for merging")
	}
	if _, ok := cfg.Genesis.Other["chain_id"]; ok {
		t.Error("chain_id must not also land in Other")
	}
	if v, ok := lookup(cfg.Validators[0].App, "api", "enabled-unsafe-cors"); !ok || v != true {
		t.Errorf("app override not decoded: %v", cfg.Validators[0].App)
	}
	if len(cfg.Digest) != 64 {
		t.Errorf("digest %q", cfg.Digest)
	}
}

// The repository's own config.yml must be valid and describe the consortium.
func TestRepositoryConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Genesis.ChainID != "medchain-local-1" {
		t.Errorf("chain id %q", cfg.Genesis.ChainID)
	}
	if len(cfg.Validators) != 4 {
		t.Errorf("%d validators, want 4 hospitals", len(cfg.Validators))
	}
	for _, name := range []string{"alice", "bob", "carol", "dr-house", "dr-grey"} {
		a, ok := cfg.Account(name)
		if !ok {
			t.Errorf("no account %s", name)
			continue
		}
		if a.Mnemonic == "" {
			t.Errorf("%s has no fixed mnemonic; README addresses would change on every init", name)
		}
	}
	if cfg.BondDenom() != "umed" {
		t.Errorf("bond denom %s", cfg.BondDenom())
	}
	gov := func(key string) time.Duration {
		v, ok := lookup(cfg.Genesis.AppState, "gov", "params", key)
		if !ok {
			t.Fatalf("gov.params.%s not set", key)
		}
		d, err := time.ParseDuration(v.(string))
		if err != nil {
			t.Fatalf("gov.params.%s: %v", key, err)
		}
		return d
	}
	if e, v := gov("expedited_voting_period"), gov("voting_period"); e >= v {
		t.Errorf("expedited voting period %s must be shorter than voting period %s", e, v)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := func(accounts, validators, genesis string) string {
		return "version: 1\naccounts:\n" + accounts + "validators:\n" + validators + "genesis:\n" + genesis
	}
	okAccounts := "  - name: v1\n    coins: [\"200000000umed\"]\n  - name: alice\n    coins: [\"10umed\"]\n"
	okValidators := "  - name: v1\n    bonded: 100000000umed\n"
	okGenesis := "  chain_id: medchain-local-1\n"
	cosmosAddr := mustBech32(t, "cosmos", make([]byte, 20))
	medAddr := mustBech32(t, AccountPrefix, make([]byte, 20))

	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"empty file", "", []string{"file is empty"}},
		{"comments only", "# nothing\n", []string{"file is empty"}},
		{"malformed YAML", "version: 1\naccounts:\n  - name: a\n   coins: [\n", []string{"malformed YAML", "line"}},
		{"tab indentation", "version: 1\naccounts:\n\t- name: a\n", []string{"malformed YAML", "line 3"}},
		{"unknown top-level field", "version: 1\nfaucet:\n  name: bob\n" + "accounts:\n" + okAccounts + "validators:\n" + okValidators + "genesis:\n" + okGenesis,
			[]string{`line 2: unknown field "faucet" at the top level`}},
		{"unknown account field", base(okAccounts+"    cointype: 118\n", okValidators, okGenesis), []string{`unknown field "cointype" in an account`}},
		{"unknown validator field", base(okAccounts, okValidators+"    gentx: {}\n", okGenesis), []string{`unknown field "gentx" in a validator`}},
		{"coins not a list", base("  - name: v1\n    coins: 200000000umed\n", okValidators, okGenesis), []string{"line 4: expected a list, found a string"}},
		{"two documents", base(okAccounts, okValidators, okGenesis) + "---\nversion: 1\n", []string{"more than one YAML document"}},
		{"missing chain id", base(okAccounts, okValidators, "  app_state: {}\n"), []string{"genesis.chain_id is missing"}},
		{"no genesis at all", "accounts:\n" + okAccounts + "validators:\n" + okValidators, []string{"genesis.chain_id is missing"}},
		{"chain-id spelled with a dash", base(okAccounts, okValidators, okGenesis+"  chain-id: x\n"), []string{"the key is chain_id, not chain-id"}},
		{"bad chain id", base(okAccounts, okValidators, "  chain_id: \"medchain local\"\n"), []string{`genesis.chain_id "medchain local" is invalid`}},
		{"no validators", "accounts:\n" + okAccounts + "validators: []\ngenesis:\n" + okGenesis, []string{"no validators"}},
		{"validators missing", "accounts:\n" + okAccounts + "genesis:\n" + okGenesis, []string{"no validators"}},
		{"no accounts", "validators:\n" + okValidators + "genesis:\n" + okGenesis, []string{"no accounts", `unknown validator account "v1"`}},
		{"unknown validator account", base(okAccounts, "  - name: mayo\n    bonded: 100000000umed\n", okGenesis),
			[]string{`line 8: validators[0] (mayo): unknown validator account "mayo"`}},
		{"validator name missing", base(okAccounts, "  - bonded: 100000000umed\n", okGenesis), []string{"validators[0]: name is missing"}},
		{"validator with address-only account", base("  - name: v1\n    coins: [\"200000000umed\"]\n    address: "+medAddr+"\n", okValidators, okGenesis),
			[]string{`account "v1" has only an address`}},
		{"reserved validator name", base("  - name: client\n    coins: [\"200000000umed\"]\n", "  - name: client\n    bonded: 100000000umed\n", okGenesis),
			[]string{`"client" cannot name a validator`}},
		{"bad coin: garbage", base("  - name: v1\n    coins: [\"lots of money\"]\n", okValidators, okGenesis), []string{`bad coin: "lots of money" is not a coin`}},
		{"bad coin: space", base("  - name: v1\n    coins: [\"100 umed\"]\n", okValidators, okGenesis), []string{`"100 umed" is not a coin`}},
		{"bad coin: decimal", base("  - name: v1\n    coins: [\"1.5med\"]\n", okValidators, okGenesis), []string{"must be a whole number"}},
		{"bad coin: zero", base("  - name: v1\n    coins: [\"0umed\"]\n", okValidators, okGenesis), []string{"amount must be positive"}},
		{"bad coin: short denom", base("  - name: v1\n    coins: [\"100u\"]\n", okValidators, okGenesis), []string{`"100u" is not a coin`}},
		{"bad coin: several in one", base("  - name: v1\n    coins: [\"100umed,5foo\"]\n", okValidators, okGenesis), []string{"holds several coins"}},
		{"bad coin: repeated denom", base("  - name: v1\n    coins: [\"100umed\", \"5umed\"]\n", okValidators, okGenesis), []string{"denom umed appears twice"}},
		{"no coins", base("  - name: v1\n", okValidators, okGenesis), []string{"coins is empty"}},
		{"bad bonded coin", base(okAccounts, "  - name: v1\n    bonded: lots\n", okGenesis), []string{`bad bonded coin: "lots" is not a coin`}},
		{"bonded missing", base(okAccounts, "  - name: v1\n", okGenesis), []string{"bonded is missing"}},
		{"bonded exceeds balance", base(okAccounts, "  - name: v1\n    bonded: 300000000umed\n", okGenesis), []string{`bonds 300000000umed but account "v1" holds only 200000000umed`}},
		{"bonded denom not held", base(okAccounts, "  - name: v1\n    bonded: 100000000stake\n", okGenesis), []string{"holds only 0stake"}},
		{"bonded below power reduction", base(okAccounts, "  - name: v1\n    bonded: 999999umed\n", okGenesis), []string{"below 1000000umed"}},
		{"validators bond different denoms", base("  - name: v1\n    coins: [\"200000000umed\"]\n  - name: v2\n    coins: [\"200000000stake\"]\n",
			okValidators+"  - name: v2\n    bonded: 100000000stake\n", okGenesis), []string{"all validators must bond the same denom"}},
		{"bond_denom override disagrees", base(okAccounts, okValidators, okGenesis+"  app_state:\n    staking:\n      params:\n        bond_denom: stake\n"),
			[]string{"bond_denom is stake but validators bond umed"}},
		{"duplicate account", base(okAccounts+"  - name: alice\n    coins: [\"1umed\"]\n", okValidators, okGenesis), []string{`duplicate account name "alice" (also accounts[1])`}},
		{"duplicate account, other case", base(okAccounts+"  - name: Alice\n    coins: [\"1umed\"]\n", okValidators, okGenesis), []string{`duplicate account name "Alice"`}},
		{"duplicate validator", base(okAccounts, okValidators+okValidators, okGenesis), []string{`duplicate validator "v1"`}},
		{"invalid name", base(okAccounts+"  - name: \"dr house\"\n    coins: [\"1umed\"]\n", okValidators, okGenesis), []string{`name "dr house" is invalid`}},
		{"account name missing", base(okAccounts+"  - coins: [\"1umed\"]\n", okValidators, okGenesis), []string{"accounts[2]: name is missing"}},
		{"bad mnemonic checksum", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    mnemonic: \"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon\"\n", okValidators, okGenesis),
			[]string{"not a valid BIP39 mnemonic: bad checksum"}},
		{"mnemonic with unknown word", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    mnemonic: \"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon aboot\"\n", okValidators, okGenesis),
			[]string{`word 12 ("aboot") is not in the BIP39 English word list`}},
		{"bad mnemonic length", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    mnemonic: \"abandon about\"\n", okValidators, okGenesis), []string{"mnemonic has 2 words"}},
		{"same mnemonic twice", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    mnemonic: \""+mnemonicA+"\"\n  - name: carol\n    coins: [\"1umed\"]\n    mnemonic: \""+mnemonicA+"\"\n", okValidators, okGenesis),
			[]string{"same mnemonic as accounts[2] (bob)"}},
		{"mnemonic and address", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    mnemonic: \""+mnemonicA+"\"\n    address: "+medAddr+"\n", okValidators, okGenesis), []string{"either mnemonic or address"}},
		{"address with wrong prefix", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    address: "+cosmosAddr+"\n", okValidators, okGenesis), []string{`has prefix "cosmos", want "med"`}},
		{"address not bech32", base(okAccounts+"  - name: bob\n    coins: [\"1umed\"]\n    address: med1nope\n", okValidators, okGenesis), []string{"is not a bech32 address"}},
		{"version 2", "version: 2\naccounts:\n" + okAccounts + "validators:\n" + okValidators + "genesis:\n" + okGenesis, []string{"only version 1"}},
		{"override without value", base(okAccounts, okValidators+"    config:\n      p2p:\n        seeds:\n", okGenesis), []string{"config: p2p.seeds has no value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.yaml), "config.yml")
			if err == nil {
				t.Fatalf("no error; parsed %+v", cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *ConfigError: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "config.yml: ") {
				t.Errorf("error does not name the file: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	y := `
accounts:
  - name: alice
    coins: ["abc"]
  - name: alice
    coins: ["1umed"]
validators:
  - name: mayo
    bonded: 1umed
genesis: {}
`
	_, err := ParseConfig([]byte(y), "config.yml")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
	if len(ce.Problems) < 4 {
		t.Fatalf("want at least 4 problems (chain id, coin, duplicate, validator account, bond), got:\n%v", err)
	}
	for _, w := range []string{"line 3: accounts[0] (alice)", "line 5: accounts[1] (alice)", "line 8: validators[0] (mayo)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
}

func TestParseCoin(t *testing.T) {
	for in, want := range map[string]string{
		"1umed":                             "1umed",
		" 100000000umed ":                   "100000000umed",
		"123456789012345678901234567890xyz": "123456789012345678901234567890xyz",
		"5ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2": "5ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
	} {
		c, err := ParseCoin(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if c.String() != want {
			t.Errorf("%q parsed as %s", in, c)
		}
	}
	for _, in := range []string{"", "umed", "10", "-5umed", "1.0umed", "0umed", "5 umed", "5Umed!", "1,5umed"} {
		if _, err := ParseCoin(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestValoperAddress(t *testing.T) {
	acc := mustBech32(t, AccountPrefix, []byte("01234567890123456789"))
	val, err := ValoperAddress(acc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(val, "medvaloper1") {
		t.Errorf("got %s", val)
	}
	if _, err := ValoperAddress(mustBech32(t, "cosmos", make([]byte, 20))); err == nil {
		t.Error("foreign prefix accepted")
	}
}

func mustBech32(t *testing.T, hrp string, raw []byte) string {
	t.Helper()
	data, err := bech32.ConvertBits(raw, 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bech32.Encode(hrp, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckMnemonic(t *testing.T) {
	for _, m := range []string{
		mnemonicA, mnemonicB,
		// BIP39 test vectors (24 and 18 words).
		"letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless",
		"zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo when",
	} {
		if err := checkMnemonic(m); err != nil {
			t.Errorf("%q: %v", m, err)
		}
	}
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Accounts {
		if a.Mnemonic != "" {
			if err := checkMnemonic(a.Mnemonic); err != nil {
				t.Errorf("%s: %v", a.Name, err)
			}
		}
	}
	if err := checkMnemonic("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo"); err == nil {
		t.Error("bad checksum accepted")
	}
}
