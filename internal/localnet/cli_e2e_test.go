//go:build e2e

package localnet

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
)

// chainCLI runs medchaind against a running network with the client home.
type chainCLI struct {
	t   *testing.T
	ctx context.Context
	b   binary
	st  *State
}

// flags adds the transaction flags to a tx command.
func (c *chainCLI) flags(args ...string) []string {
	return append(c.qflags(args...), "--chain-id", c.st.ChainID)
}

// qflags adds the client home and node to a query (queries take no chain
// id).
func (c *chainCLI) qflags(args ...string) []string {
	return append(args, "--home", c.st.ClientHome, "--keyring-backend", "test", "--node", "tcp://"+hostPort(c.st.Nodes[0].Ports.RPC))
}

func (c *chainCLI) queryJSON(v any, args ...string) {
	c.t.Helper()
	stdout, stderr, err := c.b.run(c.ctx, "", append(args, "--node", "tcp://"+hostPort(c.st.Nodes[0].Ports.RPC), "--output", "json")...)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := findJSONObject(v, stdout, stderr); err != nil {
		c.t.Fatalf("%v: %s", args, stdout)
	}
}

// txWait sends a transaction (every client setting spelt out, so nothing
// depends on client.toml) and waits until another node has it in a block,
// which must have accepted it; it returns the block's height.
func (c *chainCLI) txWait(args ...string) int64 {
	c.t.Helper()
	stdout, stderr, err := c.b.run(c.ctx, "", c.flags(append(args, "--yes", "--output", "json")...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	var res struct {
		Code   int    `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := findJSONObject(&res, stdout, stderr); err != nil || res.TxHash == "" {
		c.t.Fatalf("%v: cannot read the result: %s %s", args, stdout, stderr)
	}
	if res.Code != 0 {
		c.t.Fatalf("%v rejected: code %d: %s", args, res.Code, res.RawLog)
	}
	other := "tcp://" + hostPort(c.st.Nodes[len(c.st.Nodes)-1].Ports.RPC)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// The RPC's /tx, not `medchaind query tx`: a poll must not start a
		// process on a machine that runs four nodes.
		found, code, log, h, err := system.CommittedTx(c.ctx, other, res.TxHash)
		if err == nil && found {
			if code != 0 {
				c.t.Fatalf("%v failed in block %d: code %d: %s", args, h, code, log)
			}
			return h
		}
		time.Sleep(300 * time.Millisecond)
	}
	c.t.Fatalf("%v: %s not committed within 30s", args, res.TxHash)
	return 0
}

type uploaded struct {
	id   string
	data []byte
}

// upload stores n random bytes as a record of owner's through vault.
func (c *chainCLI) upload(owner, vault string, n int) uploaded {
	c.t.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	path := filepath.Join(c.t.TempDir(), "payload.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
	stdout, stderr, err := c.b.run(c.ctx, "", c.flags("tx", "records", "upload", path, "--from", owner, "--vault", vault, "--yes", "-o", "json")...)
	if err != nil {
		c.t.Fatal(err)
	}
	var res struct {
		RecordID json.Number `json:"record_id"`
	}
	if err := findJSONObject(&res, stdout, stderr); err != nil || res.RecordID == "" {
		c.t.Fatalf("upload: cannot read the record id: %s %s", stdout, stderr)
	}
	return uploaded{id: res.RecordID.String(), data: data}
}

// download fetches and opens record id as who through vault.
func (c *chainCLI) download(who, vault, id string) ([]byte, error) {
	path := filepath.Join(c.t.TempDir(), "download.bin")
	if _, _, err := c.b.run(c.ctx, "", c.qflags("query", "records", "download", id, "-o", path, "--from", who, "--vault", vault)...); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}
