//go:build upgrade

package upgrade_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
)

// cli runs one release's medchaind as a client, with the consortium's
// client home (every account's key, client.toml pointing at st-mary).
type cli struct {
	t    *testing.T
	bin  string
	home string
	env  []string
	// rpc is the CometBFT RPC (http://host:port) transactions are awaited
	// on: a poll of its /tx starts no process.
	rpc string
}

func (c cli) with(bin string) cli { c.bin = bin; return c }

func (c cli) try(args ...string) (string, error) {
	return tryRun("", c.env, c.bin, append(args, "--home", c.home)...)
}

func (c cli) must(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("medchaind %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// addr is the address of a key in the client home.
func (c cli) addr(name string) string {
	c.t.Helper()
	return strings.TrimSpace(c.must("keys", "show", name, "-a", "--keyring-backend", "test"))
}

// query runs `medchaind query ARGS -o json` and decodes the answer.
func (c cli) query(out any, args ...string) {
	c.t.Helper()
	stdout := c.must(append(append([]string{"query"}, args...), "-o", "json")...)
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		c.t.Fatalf("query %s printed %q: %v", strings.Join(args, " "), stdout, err)
	}
}

// tx broadcasts `medchaind tx ARGS` from a key, waits for its block and
// fails the test unless it succeeded.
func (c cli) tx(from string, args ...string) {
	c.t.Helper()
	if err := c.tryTx(from, args...); err != nil {
		c.t.Fatal(err)
	}
}

// tryTx is tx that returns what went wrong instead of failing the test,
// so that several can be sent at once from other goroutines.
func (c cli) tryTx(from string, args ...string) error {
	what := strings.Join(args, " ") + " --from " + from
	full := append(append([]string{"tx"}, args...), "--from", from, "--keyring-backend", "test",
		"--gas", "900000", "--yes", "-o", "json")
	stdout, err := c.try(full...)
	if err != nil {
		return fmt.Errorf("tx %s: %w", what, err)
	}
	var res struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(lastJSON(stdout)), &res); err != nil {
		return fmt.Errorf("tx %s printed %q: %w", what, stdout, err)
	}
	if res.Code != 0 {
		return fmt.Errorf("tx %s refused: code %d: %s", what, res.Code, res.RawLog)
	}
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		found, code, log, _, err := system.CommittedTx(context.Background(), c.rpc, res.TxHash)
		if err == nil && found {
			if code != 0 {
				return fmt.Errorf("tx %s failed in its block: code %d: %s", what, code, log)
			}
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("tx %s (%s) was not included within 45s", what, res.TxHash)
}

// handWritten runs a hand-written transaction command that waits for its
// own block and prints one JSON object (upload, deidentify), and decodes it.
func (c cli) handWritten(out any, from string, args ...string) {
	c.t.Helper()
	full := append(append([]string{"tx"}, args...), "--from", from, "--keyring-backend", "test",
		"--gas", "900000", "--yes", "-o", "json")
	stdout := c.must(full...)
	if err := json.Unmarshal([]byte(lastJSON(stdout)), out); err != nil {
		c.t.Fatalf("tx %s printed %q: %v", strings.Join(args, " "), stdout, err)
	}
}

// lastJSON is the last line of s that holds a JSON object: some commands
// print progress before their answer.
func lastJSON(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "{") {
			return lines[i]
		}
	}
	return s
}

// has reports whether the release's CLI has the command `PARENT... NAME`,
// by its parent's list of commands (cobra answers --help of an unknown
// command with its parent's help).
func (c cli) has(parentAndName ...string) bool {
	parent, name := parentAndName[:len(parentAndName)-1], parentAndName[len(parentAndName)-1]
	out, err := c.try(append(parent, "--help")...)
	return err == nil && strings.Contains(out, "\n  "+name+" ")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
