package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Logger is the bridge's log (the node's logger, or one to stderr).
type Logger interface {
	Info(msg string, keyvals ...any)
	Error(msg string, keyvals ...any)
}

// PractitionerHeader names the practitioner on whose behalf a calling
// system reads (their account address): the bridge then lists and returns
// only what the chain lets both the hospital and that practitioner read.
const PractitionerHeader = "X-Medchain-Practitioner"

// Server is the bridge's HTTP API.
type Server struct {
	cfg      Config
	chain    Chain
	store    *Store
	patients Patients
	log      Logger
	metrics  *metrics
	now      func() time.Time

	// stores holds a token per store request running (STOW-RS, ITI-65).
	stores chan struct{}

	// studies serialises the writes of one study (a new version must see
	// the one before).
	studyMu sync.Mutex
	studies map[string]*sync.Mutex
}

// NewServer makes the bridge's API over chain, keeping its tables in store.
func NewServer(cfg Config, chain Chain, store *Store, log Logger) *Server {
	n := cfg.MaxConcurrentStores
	if n <= 0 {
		n = DefaultMaxConcurrentStores
	}
	return &Server{
		cfg: cfg, chain: chain, store: store, patients: Patients{store}, log: log,
		metrics: newMetrics(), now: time.Now, studies: map[string]*sync.Mutex{},
		stores: make(chan struct{}, n),
	}
}

// Patients is the server's table of enrolled patients.
func (s *Server) Patients() Patients { return s.patients }

// Registry is the Prometheus registry of the bridge's metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Handler routes the DICOMweb API under /dicom-web, MHD under /fhir,
// /metrics and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	api := http.NewServeMux()
	api.HandleFunc("POST /dicom-web/studies", s.bounded(s.stow))
	api.HandleFunc("POST /dicom-web/studies/{study}", s.bounded(s.stow))
	api.HandleFunc("GET /dicom-web/studies", s.qido)
	api.HandleFunc("GET /dicom-web/series", s.qido)
	api.HandleFunc("GET /dicom-web/instances", s.qido)
	api.HandleFunc("GET /dicom-web/studies/{study}/series", s.qido)
	api.HandleFunc("GET /dicom-web/studies/{study}/instances", s.qido)
	api.HandleFunc("GET /dicom-web/studies/{study}/series/{series}/instances", s.qido)
	api.HandleFunc("GET /dicom-web/studies/{study}", s.wado)
	api.HandleFunc("GET /dicom-web/studies/{study}/series/{series}", s.wado)
	api.HandleFunc("GET /dicom-web/studies/{study}/series/{series}/instances/{instance}", s.wado)
	api.HandleFunc("GET /dicom-web/studies/{study}/metadata", s.metadata)
	api.HandleFunc("GET /dicom-web/studies/{study}/series/{series}/metadata", s.metadata)
	api.HandleFunc("GET /dicom-web/studies/{study}/series/{series}/instances/{instance}/metadata", s.metadata)
	// IHE MHD (mhd.go): ITI-65, ITI-67, ITI-68.
	api.HandleFunc("POST /fhir", s.bounded(s.provideDocuments))
	api.HandleFunc("POST /fhir/{$}", s.bounded(s.provideDocuments))
	api.HandleFunc("GET /fhir/DocumentReference", s.findDocuments)
	api.HandleFunc("GET /fhir/DocumentReference/{id}", s.readDocumentReference)
	api.HandleFunc("GET /fhir/Binary/{id}", s.retrieveDocument)
	api.HandleFunc("/fhir/", fhirNotFound)
	mux.Handle("/dicom-web/", s.authenticated(api))
	mux.Handle("/fhir", s.authenticated(api))
	mux.Handle("/fhir/", s.authenticated(api))
	return mux
}

type callerKey struct{}

// caller is who called: the client system's name and the practitioner it
// acts for ("" for the hospital itself).
type caller struct {
	client       string
	practitioner string
}

func callerOf(ctx context.Context) caller { c, _ := ctx.Value(callerKey{}).(caller); return c }

// reader is the account a read is checked for: the practitioner named by
// the caller, or the hospital.
func (s *Server) reader(ctx context.Context) string {
	if p := callerOf(ctx).practitioner; p != "" {
		return p
	}
	return s.chain.Self()
}

// authenticated lets through only the configured client systems.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := s.cfg.caller(r)
		if name == "" {
			s.metrics.refused.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="medchain bridge", Basic realm="medchain bridge"`)
			httpError(w, http.StatusUnauthorized, "this bridge answers only its hospital's systems: give the client's token (Authorization: Bearer TOKEN, or basic auth as the client's name)")
			return
		}
		c := caller{client: name, practitioner: strings.TrimSpace(r.Header.Get(PractitionerHeader))}
		if c.practitioner != "" {
			if !strings.HasPrefix(c.practitioner, s.chain.Bech32Prefix()+"1") || len(c.practitioner) > 90 {
				httpError(w, http.StatusBadRequest, PractitionerHeader+" must be a practitioner's account address ("+s.chain.Bech32Prefix()+"1...)")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// bounded lets at most MaxConcurrentStores store requests run at once:
// each may hold a whole request in memory. Others are told to come back.
func (s *Server) bounded(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.stores <- struct{}{}:
			defer func() { <-s.stores }()
			h(w, r)
		default:
			s.metrics.refused.WithLabelValues("busy").Inc()
			w.Header().Set("Retry-After", "5")
			httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("the bridge is storing %d requests already; send this one again shortly (nothing of it was stored)", cap(s.stores)))
		}
	}
}

// studyLock returns the lock of one study of one patient.
func (s *Server) studyLock(key string) *sync.Mutex {
	s.studyMu.Lock()
	defer s.studyMu.Unlock()
	m, ok := s.studies[key]
	if !ok {
		m = &sync.Mutex{}
		s.studies[key] = m
	}
	return m
}

var errStop = errors.New("stopped reading")

// statusOf maps a read error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNoConsent):
		return http.StatusForbidden
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}
