package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/medchain/medchain/vault/dagfile"
	"github.com/medchain/medchain/vault/gate/tickets"
)

// Media types of the trustless gateway responses and of uploads.
const (
	MediaTypeRaw = "application/vnd.ipld.raw"
	MediaTypeCAR = "application/vnd.ipld.car"

	// carContentType is what the vault sends: CARv1, depth-first, each block
	// once (see WriteCAR).
	carContentType = MediaTypeCAR + "; version=1; order=dfs; dups=n"

	// DefaultMaxUploadBytes applies when Config.MaxUploadBytes is zero.
	DefaultMaxUploadBytes int64 = 4 << 30

	immutableCacheControl = "public, max-age=29030400, immutable"
)

// Logger is what the server logs through. Both *slog.Logger and the Cosmos
// SDK's cosmossdk.io/log.Logger satisfy it.
type Logger interface {
	Info(msg string, keyvals ...any)
	Error(msg string, keyvals ...any)
}

// Config configures NewServer.
type Config struct {
	// MaxUploadBytes bounds one CAR upload; zero means
	// DefaultMaxUploadBytes. An upload that declares a larger
	// Content-Length is refused before its body is read.
	MaxUploadBytes int64
	// Logger receives one line per upload and per server-side failure; nil
	// discards them.
	Logger Logger
	// ChainPins leaves pinning to the chain follower: an accepted upload
	// is not pinned but stays, unpinned since its write, for GC's grace
	// period, within which its record must reach the chain. A vault that
	// follows no chain keeps the default and pins every upload.
	ChainPins bool
	// Status, if set, adds fields to GET /api/v1/status (the follower's
	// height, for example).
	Status func() map[string]any
	// Gate, if set, must allow every read of /ipfs/{cid}: only a record's
	// current root is then served, to readers the chain lets in (see
	// package vault/gate). Its LogHandler, if it has one, is served at
	// GET /api/v1/access-log.
	Gate ReadGate
	// UploadGate, if set, must allow every upload: who sends it, and how
	// many bytes it may send (see package vault/gate: signed upload
	// tickets and per-account quotas).
	UploadGate UploadGate
	// Receipts, if set, signs the receipt of each upload the UploadGate
	// let in (it needs the gate's account and chain): the hospital's
	// statement that this account uploaded the DAG under that root, which
	// the chain asks for before a record may claim the root. If signing
	// fails the upload is refused, since nobody could register it.
	Receipts func(chainID, uploader, root string) (*Receipt, error)
}

// Receipt is an upload receipt: the hospital's signature, with its
// account key, of x/records' receipt text for (chain, uploader, root). Its
// JSON (bytes in base64) is the chain's medchain.records.v1.UploadReceipt
// in proto JSON, so a hand-built message can carry it as it is.
type Receipt struct {
	Hospital  string `json:"hospital"`
	PubKey    []byte `json:"pub_key"`
	Signature []byte `json:"signature"`
}

// UploadGate decides uploads. AllowUpload returns a permit, or an error
// (with an HTTPStatus method to set the response status).
type UploadGate interface {
	AllowUpload(r *http.Request) (UploadPermit, error)
}

// UploadPermit lets one upload in.
type UploadPermit struct {
	// Account is who uploads, for the log.
	Account string
	// MaxBytes bounds the CAR this upload may send (0: the vault's limit).
	MaxBytes int64
	// Done, if set, is called once the upload ends, with the CAR bytes
	// stored (0 when it was refused).
	Done func(stored int64)
	// ChainID is the chain the upload's ticket named, for its receipt.
	ChainID string
}

// ReadGate decides reads. AllowRead returns nil to serve root, or an
// error; an error with an HTTPStatus method sets the response status.
type ReadGate interface {
	AllowRead(r *http.Request, root cid.Cid) error
}

type server struct {
	store  *Store
	gate   ReadGate
	upGate UploadGate
	max    int64
	log    Logger
	reg    *prometheus.Registry
	m      metrics
	routes *http.ServeMux

	chainPins bool
	status    func() map[string]any
	receipts  func(chainID, uploader, root string) (*Receipt, error)
}

type metrics struct {
	uploads       *prometheus.CounterVec
	rejections    *prometheus.CounterVec
	uploadedBytes prometheus.Counter
	blocksServed  *prometheus.CounterVec
}

// NewServer returns the vault's HTTP API:
//
//	GET|HEAD /ipfs/{cid}?format=raw   one block (trustless gateway)
//	GET|HEAD /ipfs/{cid}?format=car   the DAG as a CARv1 (trustless gateway)
//	POST     /api/v1/upload           a CARv1 body; 201 {"cid","size","receipt"} once stored and pinned
//	                                  (?root=last: the root is the last block, see StreamCAR)
//	GET      /api/v1/status           {"max_upload_bytes", "pinned_roots", "chain_pins", "vault_id", ...}
//	GET      /api/v1/pins/{cid}       {"cid", "pinned", "reason", "pinned_at", "unpinned_at"}
//	GET      /healthz                 200 "ok"
//	GET      /metrics                 Prometheus text, from a registry of its own
func NewServer(store *Store, cfg Config) http.Handler {
	s := &server{store: store, max: cfg.MaxUploadBytes, log: cfg.Logger, reg: prometheus.NewRegistry(),
		chainPins: cfg.ChainPins, status: cfg.Status, gate: cfg.Gate, upGate: cfg.UploadGate, receipts: cfg.Receipts}
	if s.max <= 0 {
		s.max = DefaultMaxUploadBytes
	}
	if s.log == nil {
		s.log = nopLogger{}
	}
	s.m = metrics{
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vault_uploads_total",
			Help: "CAR uploads by result (accepted or rejected).",
		}, []string{"result"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vault_upload_rejections_total",
			Help: "Rejected CAR uploads by reason.",
		}, []string{"reason"}),
		uploadedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vault_stored_bytes_total",
			Help: "Bytes of CAR uploads accepted and stored.",
		}),
		blocksServed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vault_blocks_served_total",
			Help: "Blocks sent to readers, by response format (raw or car).",
		}, []string{"format"}),
	}
	// Start every series at zero so that rates work from the first scrape.
	for _, r := range []string{"accepted", "rejected"} {
		s.m.uploads.WithLabelValues(r)
	}
	for _, f := range []string{"raw", "car"} {
		s.m.blocksServed.WithLabelValues(f)
	}
	for _, reason := range uploadRejectionReasons {
		s.m.rejections.WithLabelValues(reason)
	}
	s.reg.MustRegister(s.m.uploads, s.m.rejections, s.m.uploadedBytes, s.m.blocksServed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vault_pinned_roots",
			Help: "Roots currently pinned.",
		}, func() float64 { return float64(store.PinnedCount()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "vault_gc_undecodable_blocks_total",
			Help: "Kept blocks garbage collection could not decode under their CID's codec (a pinned codec twin): kept, nothing under them followed.",
		}, func() float64 { return float64(store.GCUndecodable()) }))

	mux := http.NewServeMux()
	// Reads and the status are open to pages of any origin (the web portal
	// of another hospital reading a replica): nothing rides on cookies,
	// and a gated read needs a ticket the reader signed for this vault.
	mux.HandleFunc("GET /ipfs/{cid}", crossOrigin(s.getIPFS))
	mux.HandleFunc("OPTIONS /ipfs/{cid}", crossOrigin(nil))
	mux.HandleFunc("OPTIONS /api/v1/status", crossOrigin(nil))
	mux.HandleFunc("GET /ipfs/{cid}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "content paths are not served: the vault holds single files; request /ipfs/{cid}", http.StatusBadRequest)
	})
	mux.HandleFunc("POST /api/v1/upload", s.upload)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /api/v1/status", crossOrigin(s.serveStatus))
	mux.HandleFunc("GET /api/v1/pins/{cid}", s.servePin)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	if lh, ok := s.gate.(interface{ LogHandler() http.Handler }); ok {
		mux.Handle("GET /api/v1/access-log", lh.LogHandler())
	}
	s.routes = mux
	return s
}

// crossOrigin lets pages of any origin call h with a ticket header, and
// answers their preflight (h nil: the preflight only).
func crossOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD")
		hd.Set("Access-Control-Allow-Headers", "Accept, "+tickets.Header)
		hd.Set("Access-Control-Max-Age", "600")
		if h == nil || r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r)
	}
}

// Registry is where the server's metrics live, for a caller that adds
// its own (the chain follower's height).
func Registry(h http.Handler) *prometheus.Registry {
	if s, ok := h.(*server); ok {
		return s.reg
	}
	return nil
}

// serveStatus answers what a client needs before it uploads, and what an
// operator checks: the upload limit, pinned roots, pinning mode and the
// caller's extra fields.
func (s *server) serveStatus(w http.ResponseWriter, r *http.Request) {
	st := map[string]any{
		"max_upload_bytes": s.max,
		"pinned_roots":     s.store.PinnedCount(),
		"chain_pins":       s.chainPins,
	}
	if id, err := s.store.ID(r.Context()); err == nil {
		st["vault_id"] = id
	}
	if s.status != nil {
		for k, v := range s.status() {
			st[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// servePin tells whether a root is pinned, and why: operators and tests
// check with it that pinning follows the chain.
func (s *server) servePin(w http.ResponseWriter, r *http.Request) {
	c, err := cid.Decode(r.PathValue("cid"))
	if err != nil {
		http.Error(w, fmt.Sprintf("%q is not a CID: %v", r.PathValue("cid"), err), http.StatusBadRequest)
		return
	}
	if pg, ok := s.gate.(interface {
		AllowPinInfo(*http.Request, cid.Cid) error
	}); ok {
		if err := pg.AllowPinInfo(r, c); err != nil {
			status := http.StatusForbidden
			if hs, ok := err.(interface{ HTTPStatus() int }); ok {
				status = hs.HTTPStatus()
			}
			http.Error(w, err.Error(), status)
			return
		}
	}
	p, found, err := s.store.PinInfo(r.Context(), c)
	if err != nil {
		s.serverError(w, "pin", c, err)
		return
	}
	if !found {
		http.Error(w, "the vault has no record of "+c.String(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		CID    string `json:"cid"`
		Pinned bool   `json:"pinned"`
		PinInfo
	}{c.String(), p.Pinned(), p})
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.routes.ServeHTTP(w, r)
}

type nopLogger struct{}

func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}

type responseFormat int

const (
	formatRaw responseFormat = iota + 1
	formatCAR
)

const trustlessHint = "this vault is a trustless gateway: ask for ?format=raw (one block) or ?format=car (the whole DAG), or send Accept: " + MediaTypeRaw + " or " + MediaTypeCAR

func (s *server) getIPFS(w http.ResponseWriter, r *http.Request) {
	c, err := cid.Decode(r.PathValue("cid"))
	if err != nil {
		http.Error(w, fmt.Sprintf("invalid CID %q: %v", r.PathValue("cid"), err), http.StatusBadRequest)
		return
	}
	format, status, msg := negotiate(r)
	if status != 0 {
		http.Error(w, msg, status)
		return
	}
	rootOnly := false
	if format == formatCAR {
		if rootOnly, err = carParams(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}

	if s.gate != nil {
		if err := s.gate.AllowRead(r, c); err != nil {
			status := http.StatusForbidden
			var hs interface{ HTTPStatus() int }
			if errors.As(err, &hs) {
				status = hs.HTTPStatus()
			}
			http.Error(w, err.Error(), status)
			return
		}
	}
	if isIdentity(c) {
		s.serveIdentity(w, r, c, format)
		return
	}
	// Behind a gate, only a CID that came in as a root under its own codec
	// is served: the gate checked that the ticket's record names c, and a
	// record may name a twin or an inner block of someone else's payload.
	held := s.store.Has
	if s.gate != nil {
		held = s.store.HasRoot
	}
	has, err := held(r.Context(), c)
	if err != nil {
		s.serverError(w, "has", c, err)
		return
	}
	if !has {
		if strings.Contains(r.Header.Get("Cache-Control"), "only-if-cached") {
			http.Error(w, fmt.Sprintf("%s is not in this vault", c), http.StatusPreconditionFailed)
			return
		}
		http.Error(w, fmt.Sprintf("%s is not in this vault", c), http.StatusNotFound)
		return
	}

	if format == formatRaw {
		s.serveRaw(w, r, c)
		return
	}
	s.serveCAR(w, r, c, rootOnly)
}

func (s *server) serveRaw(w http.ResponseWriter, r *http.Request, c cid.Cid) {
	data, err := s.store.Block(r.Context(), c)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, fmt.Sprintf("%s is not in this vault", c), http.StatusNotFound)
		return
	}
	if err != nil {
		s.serverError(w, "read block", c, err)
		return
	}
	etag := `"` + c.String() + `.raw"`
	setImmutableHeaders(w, r, c, MediaTypeRaw, etag, "bin", "raw")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodGet {
		s.m.blocksServed.WithLabelValues("raw").Inc()
	}
	// ServeContent adds Content-Length and answers HEAD and Range.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func (s *server) serveCAR(w http.ResponseWriter, r *http.Request, c cid.Cid, rootOnly bool) {
	scope := "all"
	if rootOnly {
		scope = "block"
	}
	etag := `"` + c.String() + ".car." + scope + `.dfs.n"`
	setImmutableHeaders(w, r, c, carContentType, etag, "car", "car")
	w.Header().Set("Accept-Ranges", "none")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	n, err := s.store.writeCAR(r.Context(), c, w, rootOnly)
	s.m.blocksServed.WithLabelValues("car").Add(float64(n))
	if err != nil {
		// The status line is gone: abort the response so the client sees
		// a broken transfer rather than a CAR that merely looks short.
		if r.Context().Err() == nil {
			s.log.Error("vault: CAR stream failed", "cid", c.String(), "blocks", n, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}

// serveIdentity answers the trustless gateway probe (GET /ipfs/bafkqaaa):
// an identity CID carries its block in itself, so nothing is stored.
func (s *server) serveIdentity(w http.ResponseWriter, r *http.Request, c cid.Cid, format responseFormat) {
	dmh, err := multihash.Decode(c.Hash())
	if err != nil {
		http.Error(w, fmt.Sprintf("invalid identity CID %s: %v", c, err), http.StatusBadRequest)
		return
	}
	if format == formatRaw {
		setImmutableHeaders(w, r, c, MediaTypeRaw, `"`+c.String()+`.raw"`, "bin", "raw")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(dmh.Digest))
		return
	}
	setImmutableHeaders(w, r, c, carContentType, `"`+c.String()+`.car"`, "car", "car")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The header alone: identity blocks never go into a CAR.
	if _, err := storage.NewWritable(struct{ io.Writer }{w}, []cid.Cid{c}, car.WriteAsCarV1(true)); err != nil {
		panic(http.ErrAbortHandler)
	}
}

func isIdentity(c cid.Cid) bool { return c.Prefix().MhType == multihash.IDENTITY }

func setImmutableHeaders(w http.ResponseWriter, r *http.Request, c cid.Cid, contentType, etag, ext, format string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, c, ext))
	h.Set("Etag", etag)
	h.Set("Cache-Control", immutableCacheControl)
	h.Set("Vary", "Accept")
	h.Set("X-Ipfs-Path", "/ipfs/"+c.String())
	h.Set("X-Ipfs-Roots", c.String())
	if r.URL.Query().Get("format") == "" {
		// Negotiated through Accept: name the URL that always gives this
		// representation, as the path gateway specification asks.
		h.Set("Content-Location", "/ipfs/"+c.String()+"?format="+format)
	}
}

func etagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// negotiate picks the response format: the format query parameter wins
// over Accept, as the trustless gateway specification says. A request that
// asks for neither gets 400 (the specification's answer for a missing
// Accept in strict trustless mode) when it expressed no preference, and 406
// when it asked only for types the vault does not serve (a browser's
// text/html, or a CAR variant such as dups=y).
func negotiate(r *http.Request) (responseFormat, int, string) {
	switch f := r.URL.Query().Get("format"); f {
	case "raw":
		return formatRaw, 0, ""
	case "car":
		return formatCAR, 0, ""
	case "":
	default:
		return 0, http.StatusBadRequest, fmt.Sprintf("unsupported format %q; %s", f, trustlessHint)
	}
	accept := r.Header.Values("Accept")
	explicit := false
	for _, mr := range parseAccept(strings.Join(accept, ",")) {
		switch mr.mediaType {
		case MediaTypeRaw:
			return formatRaw, 0, ""
		case MediaTypeCAR:
			if carVariantSupported(mr.params) {
				return formatCAR, 0, ""
			}
			explicit = true
		case "*/*", "application/*":
		default:
			explicit = true
		}
	}
	if !explicit {
		return 0, http.StatusBadRequest, trustlessHint
	}
	return 0, http.StatusNotAcceptable, "none of the types in Accept is served here; " + trustlessHint
}

type mediaRange struct {
	mediaType string
	params    map[string]string
	q         float64
}

// parseAccept parses an Accept header into the media ranges it accepts
// (q > 0), most preferred first.
func parseAccept(header string) []mediaRange {
	var out []mediaRange
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q <= 0 {
			continue
		}
		out = append(out, mediaRange{mediaType: mt, params: params, q: q})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}

// carVariantSupported: the vault writes CARv1, depth-first, without
// duplicates; a request for anything else cannot be met.
func carVariantSupported(params map[string]string) bool {
	if v, ok := params["version"]; ok && v != "1" {
		return false
	}
	if o, ok := params["order"]; ok && o != "dfs" && o != "unk" {
		return false
	}
	if d, ok := params["dups"]; ok && d != "n" {
		return false
	}
	return true
}

// carParams validates the CAR query parameters and reports whether only
// the root block was asked for (dag-scope=block). For a UnixFS file,
// dag-scope=entity and all are the same DAG.
func carParams(r *http.Request) (rootOnly bool, err error) {
	q := r.URL.Query()
	if v := q.Get("car-version"); v != "" && v != "1" {
		return false, fmt.Errorf("unsupported car-version %q: the vault serves CARv1", v)
	}
	if v := q.Get("car-order"); v != "" && v != "dfs" && v != "unk" {
		return false, fmt.Errorf("unsupported car-order %q: the vault serves order=dfs", v)
	}
	if v := q.Get("car-dups"); v != "" && v != "n" {
		return false, fmt.Errorf("unsupported car-dups %q: the vault serves dups=n", v)
	}
	if q.Has("entity-bytes") {
		return false, errors.New("entity-bytes is not supported: fetch the whole CAR (dag-scope=all)")
	}
	switch v := q.Get("dag-scope"); v {
	case "", "all", "entity":
		return false, nil
	case "block":
		return true, nil
	default:
		return false, fmt.Errorf("unsupported dag-scope %q: use block, entity or all", v)
	}
}

// UploadResponse is the body of a 201 answer to POST /api/v1/upload.
type UploadResponse struct {
	CID  string `json:"cid"`
	Size int64  `json:"size"` // bytes of file content under the root
	// Receipt is the hospital's receipt for the uploader (see
	// Config.Receipts); absent from a vault that signs none.
	Receipt *Receipt `json:"receipt,omitempty"`
}

func (s *server) upload(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != MediaTypeCAR {
		s.reject(w, "bad_content_type", http.StatusUnsupportedMediaType,
			fmt.Sprintf("upload a CARv1 with Content-Type: %s (got %q)", MediaTypeCAR, r.Header.Get("Content-Type")))
		return
	}
	limit, account, chainID := s.max, "", ""
	var stored int64 // CAR bytes of an accepted upload, for the permit
	if s.upGate != nil {
		permit, err := s.upGate.AllowUpload(r)
		if err != nil {
			status := http.StatusUnauthorized
			if hs, ok := err.(interface{ HTTPStatus() int }); ok {
				status = hs.HTTPStatus()
			}
			s.reject(w, "not_allowed", status, err.Error())
			return
		}
		account, chainID = permit.Account, permit.ChainID
		if permit.MaxBytes > 0 && permit.MaxBytes < limit {
			limit = permit.MaxBytes
		}
		if permit.Done != nil {
			defer func() { permit.Done(stored) }()
		}
	}
	if r.ContentLength > limit {
		// Refuse before reading: with Expect: 100-continue the client never
		// sends the body.
		s.reject(w, "too_large", http.StatusRequestEntityTooLarge,
			fmt.Sprintf("upload of %d bytes exceeds the limit of %d bytes (this vault's, or the upload ticket's)", r.ContentLength, limit))
		return
	}
	body := &dagfile.CountingReader{Ctx: r.Context(), R: http.MaxBytesReader(w, r.Body, limit+1)}
	root, size, err := s.store.importCARStream(r.Context(), body, limit, rootLastRequested(r), cid.Undef)
	if err != nil {
		status, reason := uploadErrorStatus(err)
		if status == http.StatusInternalServerError {
			s.log.Error("vault: upload failed", "err", err)
			s.reject(w, reason, status, "internal error storing the upload")
			return
		}
		s.reject(w, reason, status, err.Error())
		return
	}
	var receipt *Receipt
	if s.receipts != nil && account != "" {
		if receipt, err = s.receipts(chainID, account, root.String()); err != nil {
			s.log.Error("vault: signing the upload receipt", "cid", root.String(), "account", account, "err", err)
			s.reject(w, "error", http.StatusInternalServerError,
				"the upload is stored but the vault could not sign its receipt, without which no record can claim it; try again later")
			return
		}
	}
	if s.chainPins {
		// The chain follower pins it once a record points at it.
	} else if err := s.store.Pin(r.Context(), root, "upload"); err != nil {
		s.log.Error("vault: pin upload", "cid", root.String(), "err", err)
		s.reject(w, "error", http.StatusInternalServerError, "internal error pinning the upload")
		return
	}
	stored = body.N
	s.m.uploads.WithLabelValues("accepted").Inc()
	s.m.uploadedBytes.Add(float64(body.N))
	s.log.Info("vault: upload stored", "cid", root.String(), "size", size, "car_bytes", body.N, "account", account)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/ipfs/"+root.String())
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(UploadResponse{CID: root.String(), Size: size, Receipt: receipt})
}

func (s *server) reject(w http.ResponseWriter, reason string, status int, msg string) {
	s.m.uploads.WithLabelValues("rejected").Inc()
	s.m.rejections.WithLabelValues(reason).Inc()
	if status != http.StatusInternalServerError {
		s.log.Info("vault: upload rejected", "status", status, "reason", msg)
	}
	http.Error(w, msg, status)
}

// uploadRejectionReasons are the reason labels of
// vault_upload_rejections_total, exported at zero from the start so that
// the series exist before the first rejection.
var uploadRejectionReasons = []string{"bad_content_type", "not_allowed", "too_large", "block_mismatch",
	"incomplete_dag", "dag_shape", "unsupported_cid", "bad_car", "interrupted", "error"}

func uploadErrorStatus(err error) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge), errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, ErrBlockMismatch):
		return http.StatusBadRequest, "block_mismatch"
	case errors.Is(err, ErrIncompleteDAG):
		return http.StatusBadRequest, "incomplete_dag"
	case errors.Is(err, ErrDAGShape):
		return http.StatusBadRequest, "dag_shape"
	case errors.Is(err, ErrUnsupportedCID):
		return http.StatusBadRequest, "unsupported_cid"
	case errors.Is(err, ErrBadCAR):
		return http.StatusBadRequest, "bad_car"
	case errors.As(err, new(*readError)), errors.Is(err, context.Canceled):
		return http.StatusBadRequest, "interrupted"
	default:
		return http.StatusInternalServerError, "error"
	}
}

func (s *server) serverError(w http.ResponseWriter, op string, c cid.Cid, err error) {
	s.log.Error("vault: "+op, "cid", c.String(), "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
