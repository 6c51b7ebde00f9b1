package localnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/cosmos/btcutil/bech32"
	bip39 "github.com/cosmos/go-bip39"
	"gopkg.in/yaml.v3"
)

const (
	// AccountPrefix is the bech32 prefix of medchain account addresses.
	AccountPrefix = "med"
	// ValidatorPrefix is the bech32 prefix of validator operator addresses.
	ValidatorPrefix = AccountPrefix + "valoper"

	// minBond is sdk.DefaultPowerReduction: a validator bonding less than
	// this has zero consensus power and cannot sign blocks.
	minBond = 1_000_000
)

// Config is a parsed and validated config.yml.
type Config struct {
	Version    int         `yaml:"version"`
	Build      Build       `yaml:"build"`
	Accounts   []Account   `yaml:"accounts"`
	Validators []Validator `yaml:"validators"`
	Genesis    Genesis     `yaml:"genesis"`

	// Path is the file the config was read from ("" when parsed from bytes).
	Path string `yaml:"-"`
	// Digest is the SHA-256 (hex) of the file's bytes; Init records it so a
	// later run can tell that config.yml changed since the network was built.
	Digest string `yaml:"-"`
}

// Build mirrors Ignite's build section; only the binary name is used, and only
// for messages (the driver runs whatever binary it is given).
type Build struct {
	Binary string `yaml:"binary"`
}

// Account is a genesis account. It has a key (from Mnemonic, or generated at
// init when Mnemonic is empty) unless Address is given, in which case only a
// balance is created for that address.
type Account struct {
	Name     string   `yaml:"name"`
	Coins    []string `yaml:"coins"`
	Mnemonic string   `yaml:"mnemonic,omitempty"`
	Address  string   `yaml:"address,omitempty"`

	coins []Coin
}

// Validator is a genesis validator. Name refers to an account, whose key
// signs the gentx and whose balance funds the Bonded self-delegation.
type Validator struct {
	Name   string         `yaml:"name"`
	Bonded string         `yaml:"bonded"`
	App    map[string]any `yaml:"app,omitempty"`
	Config map[string]any `yaml:"config,omitempty"`
	Client map[string]any `yaml:"client,omitempty"`

	bonded Coin
}

// Genesis holds the genesis overrides. ChainID is required; AppState and any
// other top-level genesis.json fields (for example consensus) are deep-merged
// into the genesis file produced by medchaind init.
type Genesis struct {
	ChainID  string         `yaml:"chain_id"`
	AppState map[string]any `yaml:"app_state,omitempty"`
	Other    map[string]any `yaml:",inline"`
}

// Coin is a parsed coin: a positive integer amount of a base denom.
type Coin struct {
	Amount *big.Int
	Denom  string
}

func (c Coin) String() string { return c.Amount.String() + c.Denom }

// ParsedCoins returns the account's parsed coins (valid after LoadConfig).
func (a Account) ParsedCoins() []Coin { return a.coins }

// BondedCoin returns the validator's parsed self-delegation (valid after LoadConfig).
func (v Validator) BondedCoin() Coin { return v.bonded }

// HasKey reports whether the account is backed by a key in the keyrings (as
// opposed to a bare address that only receives a genesis balance).
func (a Account) HasKey() bool { return a.Address == "" }

// Account returns the account with the given name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// BondDenom is the denom every validator bonds (validation makes them equal).
func (c *Config) BondDenom() string {
	if len(c.Validators) == 0 {
		return ""
	}
	return c.Validators[0].bonded.Denom
}

// ConfigError lists everything wrong with a config file.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	name := e.Path
	if name == "" {
		name = "config"
	}
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%s: %s", name, e.Problems[0])
	}
	return fmt.Sprintf("%s: %d problems:\n  - %s", name, len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// LoadConfig reads, parses and validates an Ignite-style config.yml.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses and validates config.yml content; path is used in
// messages only.
func ParseConfig(data []byte, path string) (*Config, error) {
	fail := func(problems ...string) error { return &ConfigError{Path: path, Problems: problems} }

	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("file is empty")
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			out := make([]string, len(te.Errors))
			for i, e := range te.Errors {
				out[i] = friendlyYAMLError(e)
			}
			return nil, fail(out...)
		}
		if errors.Is(err, io.EOF) {
			return nil, fail("file is empty")
		}
		msg := "malformed YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")
		if strings.Contains(msg, "did not find expected") || strings.Contains(msg, "not allowed in this context") {
			msg += " (the mistake may be a few lines further down: check indentation, and that lists and brackets are closed)"
		}
		return nil, fail(msg)
	}
	// A second document would be silently ignored otherwise.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fail(fmt.Sprintf("line %d: more than one YAML document (remove the second '---')", extra.Line))
	}

	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	lines := itemLines(&root)

	cfg.Path = path
	sum := sha256.Sum256(data)
	cfg.Digest = hex.EncodeToString(sum[:])
	if problems := cfg.validate(lines); len(problems) > 0 {
		return nil, fail(problems...)
	}
	return &cfg, nil
}

var (
	reFieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type localnet\.(\w+)$`)
	reCannot        = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+)(?: .*)? into (.+)$`)
)

var typeWhere = map[string]string{
	"Config":    "at the top level (allowed: version, build, accounts, validators, genesis)",
	"Build":     "in build (allowed: binary)",
	"Account":   "in an account (allowed: name, coins, mnemonic, address)",
	"Validator": "in a validator (allowed: name, bonded, app, config, client)",
}

var yamlKinds = map[string]string{
	"map": "a mapping", "seq": "a list", "str": "a string", "int": "a number",
	"float": "a number", "bool": "a boolean", "null": "nothing",
}

func friendlyYAMLError(s string) string {
	if m := reFieldNotFound.FindStringSubmatch(s); m != nil {
		where := typeWhere[m[3]]
		if where == "" {
			where = "in " + m[3]
		}
		return fmt.Sprintf("line %s: unknown field %q %s", m[1], m[2], where)
	}
	if m := reCannot.FindStringSubmatch(s); m != nil {
		want := m[3]
		switch {
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case strings.HasPrefix(want, "map["):
			want = "a mapping"
		case want == "string":
			want = "a string"
		case want == "int":
			want = "a whole number"
		case strings.HasPrefix(want, "localnet."):
			want = "a mapping"
		}
		got := yamlKinds[m[2]]
		if got == "" {
			got = m[2]
		}
		return fmt.Sprintf("line %s: expected %s, found %s", m[1], want, got)
	}
	return s
}

// itemLines maps "accounts[i]" and "validators[i]" to their line in the file.
func itemLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	if root == nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return lines
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i].Value, m.Content[i+1]
		lines[key] = m.Content[i].Line
		if val.Kind == yaml.SequenceNode {
			for j, item := range val.Content {
				lines[fmt.Sprintf("%s[%d]", key, j)] = item.Line
			}
		}
	}
	return lines
}

var (
	reName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	reCoin    = regexp.MustCompile(`^([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$`)
	reDecCoin = regexp.MustCompile(`^[0-9]*\.[0-9]+[a-zA-Z]`)
	reChainID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$`)
)

// reservedNames cannot name a validator: they are directories of the network.
var reservedNames = map[string]bool{"client": true, "logs": true, "gentxs": true}

// ParseCoin parses one coin such as "1000umed". Amounts are whole numbers of
// the base denom; zero and decimals are rejected.
func ParseCoin(s string) (Coin, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Coin{}, errors.New("empty coin")
	}
	if strings.Contains(t, ",") {
		return Coin{}, fmt.Errorf("%q holds several coins; write one coin per list item", s)
	}
	if reDecCoin.MatchString(t) {
		return Coin{}, fmt.Errorf("%q: amount must be a whole number of the base denom (e.g. 1500000umed, not 1.5med)", s)
	}
	m := reCoin.FindStringSubmatch(t)
	if m == nil {
		return Coin{}, fmt.Errorf("%q is not a coin: expected <amount><denom> such as 1000umed (denom: a letter then 2-127 of [a-zA-Z0-9/:._-])", s)
	}
	amt, _ := new(big.Int).SetString(m[1], 10)
	if amt.Sign() == 0 {
		return Coin{}, fmt.Errorf("%q: amount must be positive", s)
	}
	return Coin{Amount: amt, Denom: m[2]}, nil
}

func (c *Config) validate(lines map[string]int) []string {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	at := func(key string) string {
		if l, ok := lines[key]; ok {
			return fmt.Sprintf("line %d: ", l)
		}
		return ""
	}

	if c.Version != 0 && c.Version != 1 {
		addf("%sversion: only version 1 of the config schema is supported (got %d)", at("version"), c.Version)
	}

	// genesis.chain_id
	switch {
	case strings.TrimSpace(c.Genesis.ChainID) == "":
		addf("%sgenesis.chain_id is missing (e.g. genesis: {chain_id: medchain-local-1})", at("genesis"))
	case !reChainID.MatchString(c.Genesis.ChainID):
		addf("%sgenesis.chain_id %q is invalid: use 1-50 characters of [A-Za-z0-9._-]", at("genesis"), c.Genesis.ChainID)
	}
	if _, ok := c.Genesis.Other["chain-id"]; ok {
		addf("%sgenesis: the key is chain_id, not chain-id", at("genesis"))
	}

	// accounts
	if len(c.Accounts) == 0 {
		addf("%sno accounts: list at least the validators' accounts under accounts", at("accounts"))
	}
	seenName := map[string]string{}
	seenMnemonic := map[string]string{}
	seenAddr := map[string]string{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		key := fmt.Sprintf("accounts[%d]", i)
		who := key
		if a.Name != "" {
			who = fmt.Sprintf("%s (%s)", key, a.Name)
		}
		where := at(key) + who
		switch {
		case a.Name == "":
			addf("%s: name is missing", where)
		case !reName.MatchString(a.Name):
			addf("%s: name %q is invalid: use 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit", where, a.Name)
		default:
			low := strings.ToLower(a.Name)
			if prev, dup := seenName[low]; dup {
				addf("%s: duplicate account name %q (also %s)", where, a.Name, prev)
			} else {
				seenName[low] = key
			}
		}
		if len(a.Coins) == 0 {
			addf("%s: coins is empty: give the account at least one coin, e.g. coins: [\"1000000umed\"]", where)
		}
		denoms := map[string]bool{}
		a.coins = nil
		for _, s := range a.Coins {
			coin, err := ParseCoin(s)
			if err != nil {
				addf("%s: bad coin: %v", where, err)
				continue
			}
			if denoms[coin.Denom] {
				addf("%s: denom %s appears twice in coins", where, coin.Denom)
				continue
			}
			denoms[coin.Denom] = true
			a.coins = append(a.coins, coin)
		}
		sort.Slice(a.coins, func(i, j int) bool { return a.coins[i].Denom < a.coins[j].Denom })

		if a.Mnemonic != "" && a.Address != "" {
			addf("%s: give either mnemonic or address, not both", where)
		}
		if a.Mnemonic != "" {
			a.Mnemonic = strings.Join(strings.Fields(a.Mnemonic), " ")
			n := len(strings.Fields(a.Mnemonic))
			switch {
			case n != 12 && n != 15 && n != 18 && n != 21 && n != 24:
				addf("%s: mnemonic has %d words; a BIP39 mnemonic has 12, 15, 18, 21 or 24", where, n)
			default:
				if err := checkMnemonic(a.Mnemonic); err != nil {
					addf("%s: mnemonic is not a valid BIP39 mnemonic: %v", where, err)
				}
			}
			if prev, dup := seenMnemonic[a.Mnemonic]; dup {
				addf("%s: same mnemonic as %s (both would be the same address)", where, prev)
			} else {
				seenMnemonic[a.Mnemonic] = who
			}
		}
		if a.Address != "" {
			if err := checkAddress(a.Address); err != nil {
				addf("%s: address: %v", where, err)
			}
			if prev, dup := seenAddr[a.Address]; dup {
				addf("%s: same address as %s", where, prev)
			} else {
				seenAddr[a.Address] = who
			}
		}
	}

	// validators
	if len(c.Validators) == 0 {
		addf("%sno validators: list at least one under validators (name: <account>, bonded: 100000000umed)", at("validators"))
	}
	seenVal := map[string]string{}
	bondDenom := ""
	for i := range c.Validators {
		v := &c.Validators[i]
		key := fmt.Sprintf("validators[%d]", i)
		who := key
		if v.Name != "" {
			who = fmt.Sprintf("%s (%s)", key, v.Name)
		}
		where := at(key) + who
		var acct Account
		var haveAcct bool
		switch {
		case v.Name == "":
			addf("%s: name is missing (it must name an account)", where)
		case reservedNames[strings.ToLower(v.Name)]:
			addf("%s: %q cannot name a validator: the network directory uses it", where, v.Name)
		default:
			low := strings.ToLower(v.Name)
			if prev, dup := seenVal[low]; dup {
				addf("%s: duplicate validator %q (also %s)", where, v.Name, prev)
			}
			seenVal[low] = key
			acct, haveAcct = c.Account(v.Name)
			if !haveAcct {
				addf("%s: unknown validator account %q: every validator must also be listed under accounts", where, v.Name)
			} else if !acct.HasKey() {
				addf("%s: account %q has only an address; a validator needs a key (give it a mnemonic or nothing)", where, v.Name)
			}
		}
		if strings.TrimSpace(v.Bonded) == "" {
			addf("%s: bonded is missing (e.g. bonded: 100000000umed)", where)
			continue
		}
		coin, err := ParseCoin(v.Bonded)
		if err != nil {
			addf("%s: bad bonded coin: %v", where, err)
			continue
		}
		v.bonded = coin
		if coin.Amount.Cmp(big.NewInt(minBond)) < 0 {
			addf("%s: bonded %s is below %d%s, which gives no voting power", where, coin, minBond, coin.Denom)
		}
		if bondDenom == "" {
			bondDenom = coin.Denom
		} else if coin.Denom != bondDenom {
			addf("%s: bonds %s but validators[0] bonds %s; all validators must bond the same denom", where, coin.Denom, bondDenom)
		}
		if haveAcct && acct.HasKey() {
			have := new(big.Int)
			for _, ac := range acct.coins {
				if ac.Denom == coin.Denom {
					have = ac.Amount
				}
			}
			if have.Cmp(coin.Amount) < 0 {
				addf("%s: bonds %s but account %q holds only %s%s", where, coin, v.Name, have, coin.Denom)
			}
		}
		for section, m := range map[string]map[string]any{"app": v.App, "config": v.Config, "client": v.Client} {
			if err := checkOverrides(m); err != nil {
				addf("%s: %s: %v", where, section, err)
			}
		}
	}

	// A staking bond_denom override must agree with what validators bond.
	if bondDenom != "" {
		if bd, ok := lookup(c.Genesis.AppState, "staking", "params", "bond_denom"); ok {
			if s, _ := bd.(string); s != bondDenom {
				addf("%sgenesis.app_state.staking.params.bond_denom is %v but validators bond %s", at("genesis"), bd, bondDenom)
			}
		}
	}
	return problems
}

// checkOverrides rejects override trees that cannot be written to TOML.
func checkOverrides(m map[string]any) error {
	for k, v := range m {
		if k == "" {
			return errors.New("empty key")
		}
		if v == nil {
			return fmt.Errorf("%s has no value", k)
		}
		if sub, ok := asMap(v); ok {
			if err := checkOverrides(sub); err != nil {
				return fmt.Errorf("%s.%w", k, err)
			}
		}
	}
	return nil
}

// checkMnemonic verifies that every word is in the BIP39 English word list
// and that the checksum (the last words' trailing bits, which must equal the
// first bits of SHA-256 of the entropy) matches, catching typos that would
// otherwise silently give a different address.
func checkMnemonic(m string) error {
	words := strings.Fields(m)
	bits := new(big.Int)
	for i, w := range words {
		idx, ok := bip39.ReverseWordMap[w]
		if !ok {
			return fmt.Errorf("word %d (%q) is not in the BIP39 English word list", i+1, w)
		}
		bits.Lsh(bits, 11)
		bits.Or(bits, big.NewInt(int64(idx)))
	}
	total := len(words) * 11
	csBits := total / 33
	entBits := total - csBits
	checksum := new(big.Int).And(bits, big.NewInt(int64(1)<<csBits-1))
	entropy := new(big.Int).Rsh(bits, uint(csBits)).FillBytes(make([]byte, entBits/8))
	sum := sha256.Sum256(entropy)
	if want := int64(sum[0] >> (8 - csBits)); checksum.Int64() != want {
		return errors.New("bad checksum (a word is wrong or out of order)")
	}
	return nil
}

func checkAddress(addr string) error {
	hrp, data, err := bech32.DecodeNoLimit(addr)
	if err != nil {
		return fmt.Errorf("%q is not a bech32 address: %v", addr, err)
	}
	if hrp != AccountPrefix {
		return fmt.Errorf("%q has prefix %q, want %q", addr, hrp, AccountPrefix)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || (len(raw) != 20 && len(raw) != 32) {
		return fmt.Errorf("%q does not hold a 20- or 32-byte address", addr)
	}
	return nil
}

// ValoperAddress converts an account address to its validator operator form.
func ValoperAddress(acc string) (string, error) {
	hrp, data, err := bech32.DecodeNoLimit(acc)
	if err != nil {
		return "", err
	}
	if hrp != AccountPrefix {
		return "", fmt.Errorf("address %s has prefix %s, want %s", acc, hrp, AccountPrefix)
	}
	return bech32.Encode(ValidatorPrefix, data)
}

func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := asMap(cur)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}
