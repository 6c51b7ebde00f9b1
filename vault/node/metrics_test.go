package node

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

// value is the value of a counter or gauge.
func value(m prometheus.Metric) float64 {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		panic(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

// TestGCMetrics: a failed GC counts, and in a row; a skip while the node
// catches up is not a failure; a success resets the run and stamps the
// time.
func TestGCMetrics(t *testing.T) {
	m := newGCMetrics()
	now := time.Unix(1_800_000_000, 0)
	m.record(0, errors.New("chain state unavailable"), now)
	m.record(0, errors.New("chain state unavailable"), now)
	require.Equal(t, 2.0, value(m.consecutive))
	require.Equal(t, 2.0, value(m.failures))
	m.record(0, errCatchingUp, now)
	require.Equal(t, 2.0, value(m.consecutive), "a skip while catching up is no failure")
	require.Equal(t, 1.0, value(m.skipped))
	require.Zero(t, value(m.lastSuccess))
	m.record(7, nil, now)
	require.Zero(t, value(m.consecutive))
	require.Equal(t, 7.0, value(m.collected))
	require.Equal(t, float64(now.Unix()), value(m.lastSuccess))
	require.Equal(t, 2.0, value(m.failures), "failures are a total")
}

// TestGCOfACatchingUpNodeIsASkip: collect tells a catching-up node's skip
// from a failure.
func TestGCOfACatchingUpNodeIsASkip(t *testing.T) {
	store := mustStore(t)
	state := newFakeState()
	state.catching = true
	_, err := collect(context.Background(), store, NewReconciler(store, state, nil, nopLog{}), time.Hour)
	require.ErrorIs(t, err, errCatchingUp)
}

// gaugeValue gathers reg and returns the value of the gauge name.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("%s is not exported", name)
	return 0
}

// TestStoreMonitorSeesADeletedStore: a store in place is healthy with its
// disk's free and total bytes; once its directory is deleted under the
// running vault, vault_store_healthy drops to 0 and the disk figures turn
// unknown, and a restored store is healthy again.
func TestStoreMonitorSeesADeletedStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	store, err := vault.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	m := newStoreMonitor(dir, nopLog{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.collectors()...)

	require.NoError(t, m.check())
	require.Equal(t, 1.0, gaugeValue(t, reg, "vault_store_healthy"))
	free, total := gaugeValue(t, reg, "vault_disk_free_bytes"), gaugeValue(t, reg, "vault_disk_total_bytes")
	require.Positive(t, free)
	require.GreaterOrEqual(t, total, free)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), ".health", "the probe leaves nothing behind")
	}

	require.NoError(t, os.RemoveAll(dir))
	require.Error(t, m.check())
	require.Zero(t, gaugeValue(t, reg, "vault_store_healthy"))
	require.True(t, math.IsNaN(gaugeValue(t, reg, "vault_disk_free_bytes")), "free space of a missing directory is unknown")

	// An empty directory where the store was is no store either.
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.Error(t, m.check())
	require.Zero(t, gaugeValue(t, reg, "vault_store_healthy"))
	require.Positive(t, gaugeValue(t, reg, "vault_disk_free_bytes"))

	restored, err := vault.Open(filepath.Join(t.TempDir(), "restored"))
	require.NoError(t, err)
	defer restored.Close()
	m.dir = restored.Dir()
	require.NoError(t, m.check())
	require.Equal(t, 1.0, gaugeValue(t, reg, "vault_store_healthy"))
}

// TestStoreMonitorSeesAReadOnlyStore: a store whose directory cannot be
// written is unhealthy (root writes anywhere, so this runs as a user).
func TestStoreMonitorSeesAReadOnlyStore(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := filepath.Join(t.TempDir(), "vault")
	store, err := vault.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, os.Chmod(dir, 0o500))
	defer os.Chmod(dir, 0o700)
	require.ErrorContains(t, newStoreMonitor(dir, nopLog{}).check(), "not writable")
}

// failingRelease is a custodian chain whose releases fail.
type failingRelease struct{ fakeCustodianChain }

func (failingRelease) Release(context.Context, accesstypes.EmergencyAccess) error {
	return errors.New("broadcast: connection refused")
}

// TestCustodianCountsReleasesAndFailures: every release sent is counted,
// and every pass in which an access could not be released counts a
// failure, logged once.
func TestCustodianCountsReleasesAndFailures(t *testing.T) {
	const self = "med1self"
	policy := accesstypes.EmergencyPolicy{Patient: "med1alice", KeyId: "k1", Threshold: 1,
		Shares: []accesstypes.SealedShare{{Custodian: self}}}
	open := []accesstypes.EmergencyAccess{{Id: 1, Patient: "med1alice", Practitioner: "med1grey", EmergencyKeyId: "k1"}}
	newCustodian := func(chain custodianChain) (*Custodian, *releaseMetrics, *errorLog) {
		m, log := newReleaseMetrics(), &errorLog{}
		return &Custodian{self: self, mode: ReleaseAuto, perDay: 5, log: log, chain: chain, metrics: m,
			released: map[string][]time.Time{}, sent: map[uint64]time.Time{}, warned: map[uint64]bool{}, failed: map[uint64]string{}}, m, log
	}
	ctx := context.Background()
	base := fakeCustodianChain{policy: policy, authorised: map[string]bool{"med1grey": true}}

	c, m, _ := newCustodian(&base)
	c.considerAll(ctx, open)
	require.Equal(t, 1.0, value(m.released))
	require.Zero(t, value(m.failures))

	c, m, log := newCustodian(&failingRelease{base})
	for range 3 {
		c.considerAll(ctx, open)
	}
	require.Zero(t, value(m.released))
	require.Equal(t, 3.0, value(m.failures), "one failure per access per pass")
	require.Len(t, log.errors, 1, "the same error is logged once")
}
