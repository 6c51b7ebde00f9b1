package bridge

import "github.com/prometheus/client_golang/prometheus"

// metrics are the bridge's Prometheus figures (GET /metrics). None carries
// a UID, a patient identifier or an address.
type metrics struct {
	reg           *prometheus.Registry
	instances     *prometheus.CounterVec
	records       *prometheus.CounterVec
	bytes         prometheus.Counter
	stowSeconds   prometheus.Histogram
	qido          *prometheus.CounterVec
	wadoInstances prometheus.Counter
	refused       *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		instances: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_stow_instances_total",
			Help: "Instances pushed by STOW-RS, by outcome: stored, refused (unknown patient, no consent), malformed, too_large, failed.",
		}, []string{"outcome"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_study_records_total",
			Help: "Study records written: created (a new record) or versioned (instances added to a study's record).",
		}, []string{"how"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_stored_bytes_total",
			Help: "Plaintext bytes of study containers encrypted and uploaded.",
		}),
		stowSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_stow_request_seconds",
			Help:    "Time from a STOW-RS request's arrival to its answer, the records committed.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 10),
		}),
		qido: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_qido_requests_total",
			Help: "QIDO-RS searches, by level.",
		}, []string{"level"}),
		wadoInstances: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_wado_instances_total",
			Help: "Instances returned by WADO-RS.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_refusals_total",
			Help: "Requests refused before any work: unauthenticated callers, indexes that could not be read.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.instances, m.records, m.bytes, m.stowSeconds, m.qido, m.wadoInstances, m.refused,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
