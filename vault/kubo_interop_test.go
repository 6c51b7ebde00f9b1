package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKuboRPCInterop runs KuboClient against a real Kubo daemon: it needs
// KUBO_BIN (scripts/kubo-interop.sh builds Kubo and sets it). The daemon
// runs offline on loopback with a throw-away repository and is killed when
// the test ends.
func TestKuboRPCInterop(t *testing.T) {
	bin := os.Getenv("KUBO_BIN")
	if bin == "" {
		t.Skip("KUBO_BIN is not set; scripts/kubo-interop.sh runs this test against a real Kubo")
	}
	repo := t.TempDir()
	env := append(os.Environ(), "IPFS_PATH="+repo)
	init := exec.Command(bin, "init", "--profile", "test")
	init.Env = env
	out, err := init.CombinedOutput()
	require.NoError(t, err, "ipfs init: %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	daemon := exec.CommandContext(ctx, bin, "daemon", "--offline")
	daemon.Env = env
	var log bytes.Buffer
	daemon.Stdout, daemon.Stderr = &log, &log
	require.NoError(t, daemon.Start())
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })

	// The test profile listens on a random port and writes it to $IPFS_PATH/api.
	var api string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(repo, "api"))
		if err != nil {
			return false
		}
		parts := strings.Split(strings.TrimSpace(string(b)), "/") // /ip4/127.0.0.1/tcp/PORT
		if len(parts) != 5 {
			return false
		}
		api = "http://" + parts[2] + ":" + parts[4]
		return true
	}, 60*time.Second, 200*time.Millisecond, "Kubo did not start: %s", &log)

	data := make([]byte, 5<<20+17)
	_, err = rand.Read(data)
	require.NoError(t, err)
	var car bytes.Buffer
	root, err := BuildCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)

	k := NewKuboClient(api, nil)
	got, err := k.Upload(ctx, &car)
	require.NoError(t, err, "daemon log: %s", &log)
	require.Equal(t, root.String(), got.CID)

	var back bytes.Buffer
	require.NoError(t, k.Fetch(ctx, root, &back))
	require.True(t, bytes.Equal(data, back.Bytes()), "Kubo gave back different bytes")
	t.Logf("Kubo at %s stored and returned %s (%d bytes)", api, root, len(data))
}
