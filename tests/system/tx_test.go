//go:build e2e

package system

import (
	"encoding/json"
	"fmt"
	"github.com/medchain/medchain/testutil/system"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// consensusPubKey makes a fresh consensus key, as a new validator's node
// would have, and returns it in the JSON form create-validator takes.
func (n *node) consensusPubKey() json.RawMessage {
	n.T.Helper()
	home := filepath.Join(n.T.TempDir(), "validator")
	system.MustRun(n.T, n.Bin, "init", "candidate", "--chain-id", n.ChainID, "--home", home)
	return json.RawMessage(strings.TrimSpace(system.MustRun(n.T, n.Bin, "comet", "show-validator", "--home", home)))
}

// validatorFile writes the create-validator JSON for a self-bond of amount.
func (n *node) validatorFile(moniker, amount string) string {
	n.T.Helper()
	v := map[string]any{
		"pubkey":                     n.consensusPubKey(),
		"amount":                     amount,
		"moniker":                    moniker,
		"commission-rate":            "0.1",
		"commission-max-rate":        "0.2",
		"commission-max-change-rate": "0.01",
		"min-self-delegation":        "1",
	}
	data, err := json.Marshal(v)
	if err != nil {
		n.T.Fatal(err)
	}
	file := filepath.Join(n.T.TempDir(), fmt.Sprintf("%s-validator.json", moniker))
	if err := os.WriteFile(file, data, 0o600); err != nil {
		n.T.Fatal(err)
	}
	return file
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func writeTemp(t interface {
	TempDir() string
	Fatal(...any)
}, name, content string) string {
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// valoperOf returns the validator operator address of an account.
func valoperOf(t interface{ Fatal(...any) }, account string) string {
	_, bz, err := bech32.DecodeAndConvert(account)
	if err != nil {
		t.Fatal(err)
	}
	valoper, err := bech32.ConvertAndEncode("medvaloper", bz)
	if err != nil {
		t.Fatal(err)
	}
	return valoper
}

// validatorJailed reports whether the validator is jailed at height (0 for
// the latest).
func (n *node) validatorJailed(valoper string, height int64) bool {
	n.T.Helper()
	args := []string{"staking", "validator", valoper}
	if height > 0 {
		args = append(args, "--height", itoa(height))
	}
	var resp struct {
		Validator struct {
			Jailed bool `json:"jailed"`
		} `json:"validator"`
	}
	n.Query(&resp, args...)
	return resp.Validator.Jailed
}
