package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	// The node's own metric (medchain_upgrade_plan_height) is registered
	// in Prometheus's default registry when the app package loads.
	_ "github.com/medchain/medchain/app"
	"github.com/medchain/medchain/vault/node"
)

// metricName matches the metric names of medchain's exporters in PromQL,
// and up, which Prometheus records for every target it scrapes.
var metricName = regexp.MustCompile(`\b(?:(?:cometbft|vault|medchain)_[a-zA-Z0-9_]+|up)\b`)

// quoted matches PromQL string literals, whose contents are label values
// (job="medchain-vault"), not metric names.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)

// namesIn returns the exporters' metric names expr uses.
func namesIn(expr string) []string {
	return metricName.FindAllString(quoted.ReplaceAllString(expr, `""`), -1)
}

// ruleNames returns, by alert, the metric names of every rule's expr.
func ruleNames(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	out := map[string][]string{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			out[r.Alert+r.Record] = append(out[r.Alert+r.Record], namesIn(r.Expr)...)
		}
	}
	return out
}

// dashboardNames returns, by panel title, the metric names of every query
// of the dashboard.
func dashboardNames(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var dash struct {
		SchemaVersion int `json:"schemaVersion"`
		Inputs        []struct {
			Name string `json:"name"`
		} `json:"__inputs"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.GreaterOrEqual(t, dash.SchemaVersion, 36)
	require.Len(t, dash.Inputs, 1)
	require.Equal(t, "DS_PROMETHEUS", dash.Inputs[0].Name)
	out := map[string][]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			out[p.Title] = append(out[p.Title], namesIn(tg.Expr)...)
		}
	}
	return out
}

// exported is what an exporter serves: metric family names and their
// types ("counter", "gauge", "histogram", "summary", "untyped").
type exported map[string]string

// unexported returns the names that no family in e serves: a histogram's
// _bucket, _sum and _count series and a summary's _sum and _count belong
// to their family.
func (e exported) unexported(names []string) []string {
	var missing []string
	for _, n := range names {
		if _, ok := e[n]; ok {
			continue
		}
		found := false
		for suffix, types := range map[string][]string{"_bucket": {"histogram"}, "_sum": {"histogram", "summary"}, "_count": {"histogram", "summary"}} {
			if base, ok := strings.CutSuffix(n, suffix); ok {
				for _, typ := range types {
					found = found || e[base] == typ
				}
			}
		}
		if !found {
			missing = append(missing, n)
		}
	}
	return missing
}

// recordingRegisterer notes the families registered with it: CometBFT's
// metrics register themselves with Prometheus's default registerer, and a
// vector with no series yet is not gathered, but is described.
type recordingRegisterer struct{ families exported }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r recordingRegisterer) Register(c prometheus.Collector) error {
	typ := "untyped"
	switch c.(type) {
	case *prometheus.CounterVec, prometheus.Counter:
		typ = "counter"
	case *prometheus.GaugeVec, prometheus.Gauge:
		typ = "gauge"
	case *prometheus.HistogramVec, prometheus.Histogram:
		typ = "histogram"
	case *prometheus.SummaryVec, prometheus.Summary:
		typ = "summary"
	}
	descs := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(descs); close(descs) }()
	for d := range descs {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			return fmt.Errorf("no name in %s", d)
		}
		r.families[m[1]] = typ
	}
	return nil
}

func (r recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (recordingRegisterer) Unregister(prometheus.Collector) bool { return true }

// nodeMetrics is what medchaind serves on CometBFT's Prometheus endpoint:
// CometBFT's metrics in the namespace `medchaind init` writes to
// config.toml, as the SDK's start command makes them, and the metrics of
// Prometheus's default registry (medchain's own).
func nodeMetrics(t *testing.T) exported {
	t.Helper()
	instr := cmtcfg.DefaultConfig().Instrumentation
	require.Equal(t, "cometbft", instr.Namespace, "the namespace medchaind init writes, which the rules use")
	instr.Prometheus = true
	rec := recordingRegisterer{families: exported{}}
	saved := prometheus.DefaultRegisterer
	prometheus.DefaultRegisterer = rec
	defer func() { prometheus.DefaultRegisterer = saved }()
	cmtnode.DefaultMetricsProvider(instr)("medchain-test")

	mfs, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		rec.families[mf.GetName()] = strings.ToLower(mf.GetType().String())
	}
	require.Contains(t, rec.families, "cometbft_consensus_height")
	require.Contains(t, rec.families, "medchain_upgrade_plan_height")
	return rec.families
}

// nopLog is the vault's logger, silent.
type nopLog struct{}

func (nopLog) Info(string, ...any)  {}
func (nopLog) Error(string, ...any) {}

// vaultMetrics starts a real vault, configured as `medchaind init` writes
// [vault] (following a chain, gated reads, ticket uploads), and reads the
// families its /metrics serves. The chain's RPC does not answer: the vault
// serves and exports all the same.
func vaultMetrics(t *testing.T) exported {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rpc := "tcp://" + dead.Addr().String()
	require.NoError(t, dead.Close())

	cfg := node.DefaultConfig()
	cfg.Address = addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx, cfg, t.TempDir(), rpc, nopLog{}) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	var body string
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			var b strings.Builder
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				b.WriteString(sc.Text() + "\n")
			}
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			body = b.String()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the vault stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the vault did not serve /metrics: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fams := exported{}
	for _, line := range strings.Split(body, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			fams[f[2]] = f[3]
		}
	}
	require.Contains(t, fams, "vault_pinned_roots")
	return fams
}

// TestEveryMetricTheMonitoringNamesIsExported: each metric the alert rules
// and the dashboard use is served by medchaind's CometBFT endpoint or by
// its vault's /metrics, so no alert waits on a series that never comes.
func TestEveryMetricTheMonitoringNamesIsExported(t *testing.T) {
	served := exported{"up": "gauge"} // Prometheus's own, per scrape target
	for name, typ := range nodeMetrics(t) {
		served[name] = typ
	}
	for name, typ := range vaultMetrics(t) {
		served[name] = typ
	}

	rules := ruleNames(t, "prometheus/medchain-alerts.yml")
	dashboard := dashboardNames(t, "grafana/medchain-hospital.json")
	used := map[string]bool{}
	for source, byName := range map[string]map[string][]string{"prometheus/medchain-alerts.yml alert": rules, "grafana/medchain-hospital.json panel": dashboard} {
		for name, metrics := range byName {
			require.NotEmpty(t, metrics, "%s %q names no medchain metric (does the pattern miss it?)", source, name)
			for _, m := range metrics {
				used[m] = true
			}
			if missing := served.unexported(metrics); len(missing) > 0 {
				t.Errorf("%s %q uses metrics nobody exports: %s", source, name, strings.Join(missing, ", "))
			}
		}
	}
	// The pattern finds what the rules are about: a regression in it must
	// not let the test pass on nothing.
	for _, m := range []string{"cometbft_consensus_height", "cometbft_consensus_validator_missed_blocks", "medchain_upgrade_plan_height",
		"vault_store_healthy", "vault_disk_free_bytes", "vault_gc_consecutive_failures", "vault_replay_store_entries",
		"vault_emergency_release_failures_total", "vault_under_replicated", "cometbft_consensus_block_interval_seconds_sum"} {
		require.True(t, used[m], "%s is used by the rules or the dashboard", m)
	}
	var names []string
	for m := range used {
		names = append(names, m)
	}
	sort.Strings(names)
	t.Logf("%d metrics used, all exported: %s", len(names), strings.Join(names, " "))

	t.Run("an invented name fails", func(t *testing.T) {
		// Run with `vault_nonexistent` added to a rule's expr, this test
		// failed with: alert "MedchainVaultGCFailing" uses metrics nobody
		// exports: vault_nonexistent.
		require.Equal(t, []string{"vault_nonexistent", "cometbft_consensus_heigth"},
			served.unexported(namesIn(`vault_nonexistent > 0 and cometbft_consensus_heigth > 0`)))
		require.Equal(t, []string{"vault_uploads_total_bucket", "cometbft_p2p_peers_count"},
			served.unexported([]string{"vault_uploads_total_bucket", "cometbft_p2p_peers_count"}),
			"only a histogram or summary has _bucket, _sum and _count series")
		require.Equal(t, []string{"vault_pinned_roots"}, namesIn(`vault_pinned_roots{job="medchain-vault", instance=~"vault_x"}`),
			"label values are not metric names")
	})
}
