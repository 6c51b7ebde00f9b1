//go:build e2e

package deploy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medchain/medchain/testutil/system"
)

// TestAlertsFireOnARealNode runs Debian's Prometheus with the alert rules
// exactly as shipped against real medchaind nodes, and breaks them the way
// hospitals see it happen: a validator whose process freezes, and a vault
// whose store directory is deleted under it. Each must raise its alert in
// Prometheus, and a healthy node must raise neither.
func TestAlertsFireOnARealNode(t *testing.T) {
	prometheus := os.Getenv("PROMETHEUS_BIN")
	if prometheus == "" {
		t.Fatal("PROMETHEUS_BIN must name Debian's prometheus (make test-e2e sets it; .ci/run installs the package)")
	}
	rules, err := filepath.Abs("prometheus/medchain-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a frozen validator", func(t *testing.T) {
		t.Parallel()
		n, prom := nodeWatchedByPrometheus(t, prometheus, rules)
		prom.waitForScrapes(t)
		prom.requireNotFiring(t, "MedchainNodeDown", "MedchainVaultStoreUnhealthy", "MedchainChainHalted")
		// SIGSTOP: the process is there but answers nothing, as a node
		// stuck on a dead disk or a deadlock does.
		if err := n.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Cmd.Process.Signal(syscall.SIGCONT) })
		prom.waitForFiring(t, "MedchainNodeDown", 4*time.Minute)
	})

	t.Run("a vault whose directory was deleted", func(t *testing.T) {
		t.Parallel()
		n, prom := nodeWatchedByPrometheus(t, prometheus, rules)
		prom.waitForScrapes(t)
		prom.requireNotFiring(t, "MedchainVaultStoreUnhealthy")
		if err := os.RemoveAll(filepath.Join(n.Home, "data", "vault")); err != nil {
			t.Fatal(err)
		}
		prom.waitForFiring(t, "MedchainVaultStoreUnhealthy", 4*time.Minute)
		prom.requireNotFiring(t, "MedchainNodeDown")
	})
}

type prometheusServer struct {
	url string
	log string
}

// nodeWatchedByPrometheus starts a one-validator chain with CometBFT's
// metrics on, and a Prometheus that scrapes its node and vault every second
// with the shipped rules.
func nodeWatchedByPrometheus(t *testing.T, bin, rules string) (*system.Node, prometheusServer) {
	n := system.NewNode(t)
	metrics := fmt.Sprintf("127.0.0.1:%d", system.FreePort(t))
	n.EditConfig("config.toml", map[string]string{
		"prometheus = false":                "prometheus = true",
		`prometheus_listen_addr = ":26660"`: `prometheus_listen_addr = "` + metrics + `"`,
	})
	n.Start()

	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: medchaind
    static_configs:
      - targets: [%q]
  - job_name: medchain-vault
    static_configs:
      - targets: [%q]
`, rules, metrics, strings.TrimPrefix(n.Vault, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", system.FreePort(t))
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logFile.Close() })
	return n, prometheusServer{url: "http://" + addr, log: logPath}
}

func (p prometheusServer) get(path string, out any) error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(p.url + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// waitForScrapes waits until both targets are up and the rules have been
// evaluated on their samples.
func (p prometheusServer) waitForScrapes(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var resp struct {
			Data struct {
				ActiveTargets []struct {
					Health string `json:"health"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		if err := p.get("/api/v1/targets", &resp); err == nil && len(resp.Data.ActiveTargets) == 2 &&
			resp.Data.ActiveTargets[0].Health == "up" && resp.Data.ActiveTargets[1].Health == "up" {
			time.Sleep(5 * time.Second) // a few evaluations on healthy samples
			return
		}
		time.Sleep(time.Second)
	}
	data, _ := os.ReadFile(p.log)
	t.Fatalf("Prometheus did not scrape the node and its vault within 90s; its log:\n%s", system.Tail(string(data), 20))
}

// alerts are the alerts by name, with their state (pending or firing).
func (p prometheusServer) alerts(t *testing.T) map[string]string {
	t.Helper()
	var resp struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := p.get("/api/v1/alerts", &resp); err != nil {
		t.Fatalf("reading Prometheus's alerts: %v", err)
	}
	states := map[string]string{}
	for _, a := range resp.Data.Alerts {
		if states[a.Labels["alertname"]] != "firing" {
			states[a.Labels["alertname"]] = a.State
		}
	}
	return states
}

func (p prometheusServer) requireNotFiring(t *testing.T, names ...string) {
	t.Helper()
	states := p.alerts(t)
	for _, name := range names {
		if states[name] != "" {
			t.Fatalf("%s is %s on a healthy node (all alerts: %v)", name, states[name], states)
		}
	}
}

func (p prometheusServer) waitForFiring(t *testing.T, name string, timeout time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		states := p.alerts(t)
		if states[name] == "firing" {
			t.Logf("%s firing %s after the fault", name, time.Since(start).Round(time.Second))
			return
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s is not firing %s after the fault (alerts: %v)", name, timeout, states)
		}
		time.Sleep(2 * time.Second)
	}
}
