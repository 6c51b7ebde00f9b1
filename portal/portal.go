// Package portal serves the patient and clinician web portal: a static
// page (dist/, embedded at build time) that signs with the user's own key
// in the browser and encrypts, decrypts and verifies payloads there with
// medchain's own Go client code compiled to WebAssembly (package
// portal/wasm). The node never sees a key or a plaintext.
//
// The vault serves the portal under /portal/ on its own listener, so the
// page reaches the vault's HTTP API without CORS. Chain queries and
// broadcasts go to /portal/rpc, which forwards the few CometBFT JSON-RPC
// methods a client needs to the node's RPC; every other method is refused.
package portal

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// Prefix is where the portal is served.
const Prefix = "/portal/"

// Config is what the page needs to know about the chain.
type Config struct {
	// ChainID returns the chain id once the node knows it ("" before).
	ChainID func() string
	// RPC is the node's CometBFT RPC address (tcp://host:port or
	// http://host:port) that /portal/rpc forwards to.
	RPC string
	// GasPrice is the price the page offers per unit of gas, for example
	// "0umed" (the node's minimum-gas-prices).
	GasPrice string
	// Denom is the fee denomination.
	Denom string
	// Bech32Prefix is the account address prefix.
	Bech32Prefix string
	// PeerVaults returns the vault URLs registered on chain (the other
	// hospitals'), which the page may read replicas from; nil: none.
	PeerVaults func() []string
	// REST is the node's REST (gRPC-gateway) address, tcp://host:port, or
	// "" when the API server is off. Wallets such as Keplr read accounts
	// and balances there.
	REST string
}

// clientConfig is GET /portal/config.json.
type clientConfig struct {
	ChainID      string `json:"chain_id"`
	RPC          string `json:"rpc"`
	GasPrice     string `json:"gas_price"`
	Denom        string `json:"denom"`
	Bech32Prefix string `json:"bech32_prefix"`
	Vault        string `json:"vault"`
	// PublicRPC and REST are the node's own endpoints, for wallets that
	// talk to the node directly (Keplr); the page itself uses RPC.
	PublicRPC string `json:"public_rpc"`
	REST      string `json:"rest,omitempty"`
	// WASM is false when the node was built without the WebAssembly
	// client (plain `go build`, not `make build`).
	WASM bool `json:"wasm"`
}

// rpcMethods are the CometBFT JSON-RPC methods the page may call: queries,
// broadcasts and reading blocks and transactions (CosmJS waits for a
// transaction with tx_search). Subscriptions and
// node-administration methods are not forwarded.
var rpcMethods = map[string]bool{
	"status": true, "abci_query": true, "abci_info": true, "broadcast_tx_sync": true,
	"tx": true, "tx_search": true, "block": true, "block_results": true, "validators": true,
}

// MaxRPCRequest bounds a forwarded JSON-RPC request: a broadcast of the
// largest transaction the chain takes, in base64, fits.
const MaxRPCRequest = 4 << 20

// MaxRPCInFlight bounds the calls forwarded at once: a flood of them gets
// "busy" answers instead of queueing work on the node.
const MaxRPCInFlight = 32

// Bounds of what the forwarder passes on (see checkCall).
const (
	// MaxSimulateGas is the most gas a simulated transaction may declare.
	MaxSimulateGas = 50_000_000
	// MaxSimulateMessages bounds a simulated transaction's messages.
	MaxSimulateMessages = 16
	// MaxSimulateInFlight bounds the simulations forwarded at once.
	MaxSimulateInFlight = 4
	// MaxQueryPath bounds an abci_query path.
	MaxQueryPath = 256
	// MaxQueryData bounds an abci_query's data (bytes) other than a
	// simulation's.
	MaxQueryData = 64 << 10
	// MaxSearchQuery bounds a tx_search query (bytes).
	MaxSearchQuery = 512
	// MaxSearchPerPage bounds a tx_search page (CometBFT's own bound).
	MaxSearchPerPage = 100
	// MaxSearchResults bounds how deep tx_search pages go (page × per_page).
	MaxSearchResults = 10_000
	// MaxSearchHeightSpan bounds a tx.height range in a tx_search.
	MaxSearchHeightSpan = 10_000
	// MaxSearchInFlight bounds the searches forwarded at once.
	MaxSearchInFlight = 4
)

// HasWASM reports whether the WebAssembly client was embedded.
func HasWASM() bool {
	_, err := fs.Stat(dist, "dist/medchain.wasm")
	return err == nil
}

// Handler serves the portal at Prefix and its RPC forwarder at
// Prefix+"rpc".
func Handler(cfg Config) http.Handler {
	static, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(static))
	rpc := &forwarder{target: httpAddress(cfg.RPC), client: &http.Client{Timeout: 30 * time.Second},
		slots: make(chan struct{}, MaxRPCInFlight), heavy: map[callClass]chan struct{}{
			simulation: make(chan struct{}, MaxSimulateInFlight),
			search:     make(chan struct{}, MaxSearchInFlight),
		}}
	mux := http.NewServeMux()
	mux.Handle("POST "+Prefix+"rpc", rpc)
	mux.HandleFunc("GET "+Prefix+"config.json", func(w http.ResponseWriter, r *http.Request) {
		c := clientConfig{
			RPC: Prefix + "rpc", GasPrice: cfg.GasPrice, Denom: cfg.Denom,
			Bech32Prefix: cfg.Bech32Prefix, Vault: "/", WASM: HasWASM(),
			PublicRPC: publicAddress(cfg.RPC, r), REST: publicAddress(cfg.REST, r),
		}
		if cfg.ChainID != nil {
			c.ChainID = cfg.ChainID()
		}
		writeJSON(w, c)
	})
	mux.HandleFunc("GET "+Prefix+"chain.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, registryChain(cfg, r))
	})
	mux.HandleFunc("GET "+Prefix+"assetlist.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, registryAssets(cfg))
	})
	mux.HandleFunc("GET "+Prefix+"{path...}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.PathValue("path") == "viewer.html" {
			// The DICOM viewer's frame runs sandboxed (an opaque origin, no
			// access to the page or its keys): it may load its own scripts
			// and nothing else, and reach no network at all. A sandboxed
			// document's 'self' is not its server's origin, so that is named.
			// The policy sandboxes it itself too, so that opened on its own,
			// top level, it still runs at an opaque origin, away from the
			// portal's storage and wallet, and it takes files only from the
			// page that framed it (viewer-frame.ts).
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'"+requestOrigin(r)+"; "+
				"style-src 'unsafe-inline'; img-src data: blob:; frame-ancestors 'self'; sandbox allow-scripts")
		} else {
			// The page holds a mnemonic in memory: no framing, no
			// third-party scripts, no eval, and it connects to this origin
			// and to the hospitals' vaults the chain lists (for replicas)
			// only.
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "+
				"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'"+peerOrigins(cfg)+"; frame-ancestors 'none'")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			h.Set("Content-Type", "application/wasm")
			h.Add("Vary", "Accept-Encoding")
			// make build stores the module gzipped too (15 MB, 4 MB
			// compressed): send that to a browser that takes it.
			if gz := r.PathValue("path") + ".gz"; acceptsGzip(r) && exists(static, gz) {
				h.Set("Content-Encoding", "gzip")
				http.ServeFileFS(w, r, static, gz)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /portal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
	return mux
}

// requestOrigin is " scheme://host" of the origin r was sent to, for a
// CSP, or "" when the Host header holds anything but a host name or
// address and a port: a request's own header never adds a directive.
func requestOrigin(r *http.Request) string {
	for _, c := range r.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return ""
		}
	}
	if r.Host == "" {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return " " + scheme + "://" + r.Host
}

// peerOrigins lists the registered vaults' origins for a CSP, each
// checked to be a plain http(s) origin so that no chain value can inject a
// directive.
func peerOrigins(cfg Config) string {
	if cfg.PeerVaults == nil {
		return ""
	}
	var b strings.Builder
	for _, v := range cfg.PeerVaults() {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
			continue
		}
		b.WriteString(" " + u.Scheme + "://" + u.Host)
	}
	return b.String()
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// httpAddress turns tcp://host:port into http://host:port, with a
// wildcard host replaced by the loopback address.
func httpAddress(rpc string) string {
	u, err := url.Parse(rpc)
	if err != nil || u.Host == "" {
		return rpc
	}
	if u.Scheme == "tcp" || u.Scheme == "" {
		u.Scheme = "http"
	}
	if host, port, err := net.SplitHostPort(u.Host); err == nil && (host == "0.0.0.0" || host == "::" || host == "") {
		u.Host = net.JoinHostPort("127.0.0.1", port)
	}
	return u.String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// publicAddress is addr (tcp://host:port) as a browser on the machine
// that asked reaches it: http, and a wildcard host replaced by the host the
// request came to.
func publicAddress(addr string, r *http.Request) string {
	if addr == "" {
		return ""
	}
	u, err := url.Parse(httpAddress(addr))
	if err != nil {
		return ""
	}
	if host, port, err := net.SplitHostPort(u.Host); err == nil && (host == "127.0.0.1" || host == "localhost") {
		if reqHost, _, err := net.SplitHostPort(r.Host); err == nil && reqHost != "127.0.0.1" && reqHost != "localhost" {
			u.Host = net.JoinHostPort(reqHost, port)
		}
	}
	return u.String()
}

// forwarder passes allowed JSON-RPC calls to the node, within the bounds
// checkCall sets.
type forwarder struct {
	target string
	client *http.Client
	slots  chan struct{}
	heavy  map[callClass]chan struct{} // simulations and searches, each bounded apart
}

// heavyNames name the bounded classes in a "busy" answer.
var heavyNames = map[callClass]string{simulation: "simulations", search: "transaction searches"}

type rpcCall struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case f.slots <- struct{}{}:
		defer func() { <-f.slots }()
	default:
		w.Header().Set("Retry-After", "1")
		rpcError(w, http.StatusServiceUnavailable, fmt.Sprintf("busy: %d calls are being forwarded; retry in a second", MaxRPCInFlight))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRPCRequest))
	if err != nil {
		rpcError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d bytes", MaxRPCRequest))
		return
	}
	var call rpcCall
	if err := json.Unmarshal(body, &call); err != nil {
		rpcError(w, http.StatusBadRequest, "not a JSON-RPC call (batches are not forwarded): "+err.Error())
		return
	}
	if !rpcMethods[call.Method] {
		rpcError(w, http.StatusForbidden, fmt.Sprintf("method %q is not forwarded by the portal", call.Method))
		return
	}
	class, err := checkCall(call)
	if err != nil {
		rpcErrorFor(w, http.StatusBadRequest, codeInvalidParams, call.ID, call.Method+": "+err.Error())
		return
	}
	if slots := f.heavy[class]; slots != nil {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			w.Header().Set("Retry-After", "1")
			rpcErrorFor(w, http.StatusServiceUnavailable, codeInvalidRequest, call.ID,
				fmt.Sprintf("busy: %d %s are being forwarded, this portal's limit; retry in a second", cap(slots), heavyNames[class]))
			return
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, f.target, bytes.NewReader(body))
	if err != nil {
		rpcError(w, http.StatusInternalServerError, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		rpcError(w, http.StatusBadGateway, "the node's RPC does not answer: "+err.Error())
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// JSON-RPC error codes.
const (
	codeInvalidRequest = -32600
	codeInvalidParams  = -32602
)

func rpcError(w http.ResponseWriter, status int, msg string) {
	rpcErrorFor(w, status, codeInvalidRequest, nil, msg)
}

// rpcErrorFor answers call id (nil: -1, the call was not read) with a
// JSON-RPC error.
func rpcErrorFor(w http.ResponseWriter, status, code int, id json.RawMessage, msg string) {
	if len(id) == 0 {
		id = json.RawMessage("-1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": code, "message": "portal: " + msg},
	})
}
