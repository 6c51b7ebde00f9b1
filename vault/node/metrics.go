package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/medchain/medchain/vault/gate"
)

// errCatchingUp is a GC skipped because the node is still catching up: its
// state may not list the newest records. It is not a failure: it ends by
// itself once the node has caught up.
var errCatchingUp = errors.New("skipped: the node is catching up, so its state may not list the newest records")

// gcMetrics tells an operator whether garbage collection keeps up: a GC
// that keeps failing (chain state unreadable, a store error) leaves
// released payloads and abandoned uploads on disk.
type gcMetrics struct {
	collected   prometheus.Counter
	failures    prometheus.Counter
	skipped     prometheus.Counter
	consecutive prometheus.Gauge
	lastSuccess prometheus.Gauge
}

func newGCMetrics() *gcMetrics {
	return &gcMetrics{
		collected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_gc_collected_blocks_total",
			Help: "Blocks deleted by garbage collection.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_gc_failures_total",
			Help: "Garbage collections that failed (chain state unreadable, a store error).",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_gc_skipped_total",
			Help: "Garbage collections skipped because the node was catching up.",
		}),
		consecutive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vault_gc_consecutive_failures",
			Help: "Garbage collections that failed in a row since the last one that succeeded (skips while catching up are not counted).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vault_gc_last_success_timestamp_seconds",
			Help: "When garbage collection last succeeded (unix seconds; 0 never since the vault started).",
		}),
	}
}

func (m *gcMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.collected, m.failures, m.skipped, m.consecutive, m.lastSuccess}
}

// record counts one GC that deleted n blocks, or ended with err, at now.
func (m *gcMetrics) record(n int, err error, now time.Time) {
	switch {
	case err == nil:
		m.collected.Add(float64(n))
		m.consecutive.Set(0)
		m.lastSuccess.Set(float64(now.Unix()))
	case errors.Is(err, errCatchingUp):
		m.skipped.Inc()
	default:
		m.failures.Inc()
		m.consecutive.Inc()
	}
}

// storeMonitor checks, every interval, that the store's directory is still
// there and writable, and how much room its file system has left. A vault
// whose directory was deleted under it (a wrong rm, a lost mount) keeps
// serving from open files for a while, and then fails every write: the
// monitor makes that visible before a patient's upload fails.
type storeMonitor struct {
	dir       string
	healthy   atomic.Bool
	free      atomic.Uint64 // bytes available to the vault's user
	total     atomic.Uint64
	diskKnown atomic.Bool // free and total were read at the last check
	log       Logger
}

func newStoreMonitor(dir string, log Logger) *storeMonitor {
	return &storeMonitor{dir: dir, log: log}
}

// check looks at the store once and returns what is wrong with it, if
// anything.
func (m *storeMonitor) check() error {
	free, total, err := diskSpace(m.dir)
	if err == nil {
		m.free.Store(free)
		m.total.Store(total)
	}
	m.diskKnown.Store(err == nil)
	err = probeStore(m.dir)
	m.healthy.Store(err == nil)
	return err
}

// probeStore checks that dir still holds a store (its blocks and datastore
// directories) and that a file can be written and synced in it.
func probeStore(dir string) error {
	for _, sub := range []string{"blocks", "datastore"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil {
			return fmt.Errorf("vault store: %w", err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("vault store: %s is not a directory", filepath.Join(dir, sub))
		}
	}
	f, err := os.CreateTemp(dir, ".health-*")
	if err != nil {
		return fmt.Errorf("vault store: not writable: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write([]byte("ok")); err != nil {
		f.Close()
		return fmt.Errorf("vault store: not writable: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("vault store: not writable: %w", err)
	}
	return f.Close()
}

// run checks at once and then every interval until ctx ends, logging when
// the store turns unhealthy and when it recovers.
func (m *storeMonitor) run(ctx context.Context, interval time.Duration) error {
	wasHealthy := true
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := m.check()
		switch {
		case err != nil && wasHealthy:
			m.log.Error("vault: the store is unusable; uploads and repairs will fail until it is restored", "dir", m.dir, "err", err)
		case err == nil && !wasHealthy:
			m.log.Info("vault: the store is usable again", "dir", m.dir)
		}
		wasHealthy = err == nil
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (m *storeMonitor) collectors() []prometheus.Collector {
	disk := func(v *atomic.Uint64) func() float64 {
		return func() float64 {
			if !m.diskKnown.Load() {
				return math.NaN() // unknown: the directory is gone
			}
			return float64(v.Load())
		}
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_store_healthy",
			Help: "1 when the store's directory exists and a file can be written and synced in it, 0 when not (checked every 30 s).",
		}, func() float64 {
			if m.healthy.Load() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_disk_free_bytes",
			Help: "Bytes available to the vault on the file system of its store (NaN when the store's directory is missing).",
		}, disk(&m.free)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_disk_total_bytes",
			Help: "Size in bytes of the file system of the vault's store (NaN when the store's directory is missing).",
		}, disk(&m.total)),
	}
}

// replayCollectors export how full the ticket nonce stores are: when
// one is full, every ticket of its kind is refused until old ones expire.
func replayCollectors(stores map[string]*gate.ReplayStore) []prometheus.Collector {
	var cs []prometheus.Collector
	for kind, r := range stores {
		labels := prometheus.Labels{"store": kind}
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "vault_replay_store_entries",
				Help:        "Ticket nonces remembered until their tickets expire, by store (read or upload).",
				ConstLabels: labels,
			}, func() float64 { n, _ := r.Usage(time.Now()); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "vault_replay_store_capacity",
				Help:        "The most ticket nonces a store holds; at capacity new tickets are refused.",
				ConstLabels: labels,
			}, func() float64 { _, c := r.Usage(time.Now()); return float64(c) }),
		)
	}
	return cs
}

// releaseMetrics count a custodian's emergency share releases.
type releaseMetrics struct {
	released prometheus.Counter
	failures prometheus.Counter
}

func newReleaseMetrics() *releaseMetrics {
	return &releaseMetrics{
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_emergency_releases_total",
			Help: "Emergency key shares this hospital's node released to practitioners who broke the glass.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_emergency_release_failures_total",
			Help: "Attempts to handle an open emergency access that failed (chain query, key derivation, signing or broadcast), one per access per pass.",
		}),
	}
}

func (m *releaseMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.released, m.failures}
}
