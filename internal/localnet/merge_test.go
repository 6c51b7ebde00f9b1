package localnet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

func yamlTree(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonTree(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeJSONObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMergeJSON(t *testing.T) {
	genesis := jsonTree(t, `{
	  "chain_id": "medchain-local-1",
	  "initial_height": 1,
	  "app_state": {
	    "staking": {"params": {"bond_denom": "stake", "max_validators": 100, "unbonding_time": "1814400s"}},
	    "gov": {"params": {"min_deposit": [{"denom": "stake", "amount": "10000000"}], "burn_vote_veto": true}},
	    "bank": {"supply": [], "balances": [{"address": "a", "coins": [{"denom": "stake", "amount": "1"}]}]},
	    "big": 123456789012345678901234567890
	  }
	}`)
	over := yamlTree(t, `
initial_height: "5"
app_state:
  staking:
    params:
      bond_denom: umed
      max_validators: "50"
  gov:
    params:
      min_deposit: [{denom: umed, amount: 20000000}]
      burn_vote_veto: "false"
      voting_period: 30s
  newmodule:
    params: {enabled: true}
`)
	MergeJSON(genesis, over)
	want := jsonTree(t, `{
	  "chain_id": "medchain-local-1",
	  "initial_height": 5,
	  "app_state": {
	    "staking": {"params": {"bond_denom": "umed", "max_validators": 50, "unbonding_time": "1814400s"}},
	    "gov": {"params": {"min_deposit": [{"denom": "umed", "amount": "20000000"}], "burn_vote_veto": false, "voting_period": "30s"}},
	    "bank": {"supply": [], "balances": [{"address": "a", "coins": [{"denom": "stake", "amount": "1"}]}]},
	    "big": 123456789012345678901234567890,
	    "newmodule": {"params": {"enabled": true}}
	  }
	}`)
	if got, w := canonical(t, genesis), canonical(t, want); got != w {
		t.Errorf("merge result\n got %s\nwant %s", got, w)
	}
}

func TestMergeJSONReplacesListsAndTypes(t *testing.T) {
	dst := jsonTree(t, `{"list": [1, 2, 3], "obj": {"a": 1}, "scalar": "x", "empty": []}`)
	MergeJSON(dst, yamlTree(t, "list: [9]\nobj: 7\nscalar: {b: 2}\nempty: [{amount: 5}]\n"))
	want := `{"empty":[{"amount":5}],"list":[9],"obj":7,"scalar":{"b":2}}`
	if got := canonical(t, dst); got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

func TestCoerceLike(t *testing.T) {
	cases := []struct {
		template, in, want any
	}{
		{"s", int64(12), "12"},
		{"s", 1.5, "1.5"},
		{"s", 1e21, "1000000000000000000000"},
		{"s", true, "true"},
		{json.Number("1"), "42", json.Number("42")},
		{json.Number("1"), "forty", "forty"},
		{true, "false", false},
		{true, "nope", "nope"},
		{"s", nil, nil},
	}
	for _, c := range cases {
		if got := coerceLike(c.template, c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("coerceLike(%#v, %#v) = %#v, want %#v", c.template, c.in, got, c.want)
		}
	}
}

func TestApplyGenesisOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "genesis.json")
	orig := `{"app_name":"medchaind","chain_id":"medchain-local-1","initial_height":1,"app_state":{"mint":{"params":{"mint_denom":"stake","inflation_max":"0.200000000000000000"}},"auth":{"params":{"max_memo_characters":"256"}}},"consensus":{"params":{"block":{"max_bytes":"22020096","max_gas":"-1"}}}}`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(`
accounts: [{name: v, coins: ["2000000umed"]}]
validators: [{name: v, bonded: 1000000umed}]
genesis:
  chain_id: medchain-local-1
  consensus:
    params:
      block:
        max_gas: 100000000
  app_state:
    mint:
      params:
        mint_denom: umed
    auth:
      params:
        max_memo_characters: 512
`), "config.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := applyGenesisOverrides(path, cfg); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	got := jsonTree(t, string(data))
	want := jsonTree(t, `{"app_name":"medchaind","chain_id":"medchain-local-1","initial_height":1,"app_state":{"mint":{"params":{"mint_denom":"umed","inflation_max":"0.200000000000000000"}},"auth":{"params":{"max_memo_characters":"512"}}},"consensus":{"params":{"block":{"max_bytes":"22020096","max_gas":"100000000"}}}}`)
	if canonical(t, got) != canonical(t, want) {
		t.Errorf("got  %s\nwant %s", canonical(t, got), canonical(t, want))
	}
}

func TestFlattenOverrides(t *testing.T) {
	sets := FlattenOverrides(yamlTree(t, `
p2p:
  pex: false
  max_num_inbound_peers: 10
consensus.timeout_commit: 2s
log_level: debug
`))
	var got []string
	for _, s := range sets {
		v, _ := json.Marshal(s.Value)
		got = append(got, s.Key()+"="+string(v))
	}
	want := []string{`consensus.timeout_commit="2s"`, `log_level="debug"`, `p2p.max_num_inbound_peers=10`, `p2p.pex=false`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}

// A trimmed app.toml / config.toml in the layout of the SDK and CometBFT
// templates: comments, a multi-line array, a trailing-comma array.
const sampleTOML = `# This is a TOML config file.

###############################################################################
###                           Base Configuration                            ###
###############################################################################

# The minimum gas prices a validator is willing to accept.
minimum-gas-prices = ""

# default: the last 362880 states are kept
pruning = "default"
index-events = ["a", "b", ]

[telemetry]

# Prefixed with keys to separate services.
service-name = ""
global-labels = [
]

[api]

# Enable defines if the API server should be enabled.
enable = false

# Address defines the API server to listen on.
address = "tcp://localhost:1317"

[streaming]

[streaming.abci]
keys = []
`

func TestEditTOMLKeepsComments(t *testing.T) {
	out, added, err := EditTOML([]byte(sampleTOML), []TOMLSet{
		{[]string{"minimum-gas-prices"}, "0umed"},
		{[]string{"api", "enable"}, true},
		{[]string{"api", "address"}, "tcp://127.0.0.1:27003"},
		{[]string{"api", "enabled-unsafe-cors"}, true},                   // new key in an existing table
		{[]string{"telemetry", "global-labels"}, []any{[]any{"a", "b"}}}, // multi-line value replaced
		{[]string{"halt-height"}, int64(0)},                              // new root key
		{[]string{"vault", "address"}, "127.0.0.1:27005"},                // new table
		{[]string{"streaming", "abci", "keys"}, []any{"*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "Rewritten by") {
		t.Fatalf("fell back to a full rewrite:\n%s", s)
	}
	for _, w := range []string{
		"# Enable defines if the API server should be enabled.\nenable = true\n",
		"# The minimum gas prices a validator is willing to accept.\nminimum-gas-prices = \"0umed\"\n",
		"address = \"tcp://127.0.0.1:27003\"\nenabled-unsafe-cors = true\n",
		"index-events = [\"a\", \"b\"]\nhalt-height = 0\n\n[telemetry]",
		"[vault]\naddress = \"127.0.0.1:27005\"\n",
		"# Prefixed with keys to separate services.",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %q:\n%s", w, s)
		}
	}
	var got map[string]any
	if err := toml.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, s)
	}
	if v, _ := lookup(got, "telemetry", "global-labels"); canonical(t, v) != `[["a","b"]]` {
		t.Errorf("global-labels = %v", v)
	}
	if v, _ := lookup(got, "streaming", "abci", "keys"); canonical(t, v) != `["*"]` {
		t.Errorf("streaming.abci.keys = %v", v)
	}
	wantAdded := []string{"api.enabled-unsafe-cors", "halt-height", "vault.address"}
	if !reflect.DeepEqual(added, wantAdded) {
		t.Errorf("added keys %v, want %v", added, wantAdded)
	}
}

func TestEditTOMLEmptyDocument(t *testing.T) {
	out, _, err := EditTOML([]byte("# medchaind client configuration\n"), []TOMLSet{
		{[]string{"chain-id"}, "medchain-local-1"},
		{[]string{"node"}, "tcp://127.0.0.1:27001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "# medchaind client configuration\n\nchain-id = \"medchain-local-1\"\nnode = \"tcp://127.0.0.1:27001\"\n"
	if string(out) != want {
		t.Errorf("got %q want %q", out, want)
	}
}

func TestEditTOMLDottedKeysAndInlineTables(t *testing.T) {
	// Dotted keys and inline tables are edited in place, the comment kept.
	doc := "# comment\n[a]\nb.c = 1\nt = {x = 1}\n"
	out, _, err := EditTOML([]byte(doc), []TOMLSet{
		{[]string{"a", "b", "c"}, int64(2)},
		{[]string{"a", "t", "x"}, int64(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(out), tomlRewriteNote) || !strings.Contains(string(out), "# comment") {
		t.Errorf("the comment was lost:\n%s", out)
	}
	var got map[string]any
	if err := toml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if canonical(t, got) != `{"a":{"b":{"c":2},"t":{"x":3}}}` {
		t.Errorf("got %s", canonical(t, got))
	}
}

func TestEditTOMLErrors(t *testing.T) {
	if _, _, err := EditTOML([]byte("a = \n"), nil); err == nil {
		t.Error("broken TOML accepted")
	}
	_, _, err := EditTOML([]byte("[api]\nenable = true\n"), []TOMLSet{{[]string{"api", "enable", "x"}, true}})
	if err == nil || !strings.Contains(err.Error(), "api.enable is a bool, not a table") {
		t.Errorf("got %v", err)
	}
}

func TestEncodeTOMLValue(t *testing.T) {
	for _, v := range []any{"plain", `quote " and \\ backslash`, "tab\tnew\nline\x01", "ünïcødé", int64(-3), 2.5, true, []any{"a", int64(1)}, []any{}} {
		enc, err := encodeTOMLValue(v)
		if err != nil {
			t.Errorf("%#v: %v", v, err)
			continue
		}
		var m map[string]any
		if err := toml.Unmarshal([]byte("k = "+enc), &m); err != nil {
			t.Errorf("%#v encoded as %s: %v", v, enc, err)
			continue
		}
		if canonical(t, m["k"]) != canonical(t, v) {
			t.Errorf("%#v encoded as %s decodes to %#v", v, enc, m["k"])
		}
	}
}

func TestEditTOMLIsIdempotent(t *testing.T) {
	sets := []TOMLSet{{[]string{"api", "enable"}, true}, {[]string{"vault", "address"}, "x"}}
	once, _, err := EditTOML([]byte(sampleTOML), sets)
	if err != nil {
		t.Fatal(err)
	}
	twice, added, err := EditTOML(once, sets)
	if err != nil {
		t.Fatal(err)
	}
	if string(once) != string(twice) || len(added) != 0 {
		t.Errorf("second edit changed the file (added %v):\n%s\n---\n%s", added, once, twice)
	}
}
