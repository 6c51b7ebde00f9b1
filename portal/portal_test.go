package portal_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/portal"
)

// fakeNode is a CometBFT RPC endpoint that records the methods it was
// asked.
func fakeNode(t *testing.T) (*httptest.Server, *[]string) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var call struct {
			Method string `json:"method"`
		}
		_ = json.NewDecoder(r.Body).Decode(&call)
		seen = append(seen, call.Method)
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/portal/rpc", strings.NewReader(body)))
	return rec
}

// The forwarder passes the queries and broadcasts a client needs and
// nothing else: no subscriptions, no node administration, no batches, no
// oversized bodies.
func TestRPCForwarderPassesOnlyClientMethods(t *testing.T) {
	node, seen := fakeNode(t)
	h := portal.Handler(portal.Config{RPC: strings.Replace(node.URL, "http://", "tcp://", 1)})

	params := map[string]string{
		"abci_query": `{"path":"/medchain.records.v1.Query/Params"}`,
		"tx_search":  `{"query":"tx.hash='AB'"}`,
	}
	for _, m := range []string{"status", "abci_query", "broadcast_tx_sync", "tx", "tx_search"} {
		p := params[m]
		if p == "" {
			p = "{}"
		}
		rec := post(t, h, `{"jsonrpc":"2.0","id":1,"method":"`+m+`","params":`+p+`}`)
		require.Equal(t, http.StatusOK, rec.Code, m)
	}
	require.Equal(t, []string{"status", "abci_query", "broadcast_tx_sync", "tx", "tx_search"}, *seen)

	for _, m := range []string{"unsafe_flush_mempool", "dial_peers", "subscribe", "broadcast_tx_commit", "net_info", ""} {
		rec := post(t, h, `{"jsonrpc":"2.0","id":1,"method":"`+m+`"}`)
		require.Equal(t, http.StatusForbidden, rec.Code, m)
		require.Contains(t, rec.Body.String(), "is not forwarded by the portal")
	}
	rec := post(t, h, `[{"jsonrpc":"2.0","id":1,"method":"status"}]`)
	require.Equal(t, http.StatusBadRequest, rec.Code, "a batch")
	rec = post(t, h, `{"method":"abci_query","params":{"data":"`+strings.Repeat("a", portal.MaxRPCRequest)+`"}}`)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Len(t, *seen, 5, "nothing refused reached the node")
}

func TestRPCForwarderSaysWhenTheNodeIsDown(t *testing.T) {
	h := portal.Handler(portal.Config{RPC: "tcp://127.0.0.1:1"})
	rec := post(t, h, `{"jsonrpc":"2.0","id":1,"method":"status"}`)
	require.Equal(t, http.StatusBadGateway, rec.Code)
	require.Contains(t, rec.Body.String(), "does not answer")
}

// The page and its configuration are served with a strict content
// security policy: the mnemonic in the page can reach only this origin.
func TestPageAndConfig(t *testing.T) {
	h := portal.Handler(portal.Config{
		ChainID: func() string { return "medchain-test" }, GasPrice: "0umed", Denom: "umed", Bech32Prefix: "med",
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `<script src="app.js">`)
	csp := rec.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'self'")
	require.Contains(t, csp, "connect-src 'self'")
	require.Contains(t, csp, "frame-ancestors 'none'")

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/config.json", nil))
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &cfg))
	require.Equal(t, "medchain-test", cfg["chain_id"])
	require.Equal(t, "/portal/rpc", cfg["rpc"])
	require.Equal(t, "med", cfg["bech32_prefix"])
	require.Equal(t, portal.HasWASM(), cfg["wasm"])
}

// chain.json and assetlist.json follow the cosmos/chain-registry format
// with this node's chain id, denom and endpoints, as a browser reaches
// them.
func TestChainRegistryFiles(t *testing.T) {
	h := portal.Handler(portal.Config{
		ChainID: func() string { return "medchain-local-1" }, RPC: "tcp://0.0.0.0:27001", REST: "tcp://127.0.0.1:27003",
		GasPrice: "0.025umed", Denom: "umed", Bech32Prefix: "med",
	})
	get := func(path string) map[string]any {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "hospital.example:27005"
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, path)
		var v map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
		return v
	}
	chain := get("/portal/chain.json")
	for _, field := range []string{"chain_name", "chain_type", "chain_id", "bech32_prefix", "slip44", "fees", "staking", "apis", "daemon_name"} {
		require.Contains(t, chain, field)
	}
	require.Equal(t, "medchain-local-1", chain["chain_id"])
	require.Equal(t, "medchainlocal", chain["chain_name"])
	require.Equal(t, "med", chain["bech32_prefix"])
	require.EqualValues(t, 118, chain["slip44"])
	fee := chain["fees"].(map[string]any)["fee_tokens"].([]any)[0].(map[string]any)
	require.Equal(t, "umed", fee["denom"])
	require.EqualValues(t, 0.025, fee["average_gas_price"])
	apis := chain["apis"].(map[string]any)
	require.Equal(t, "http://hospital.example:27001", apis["rpc"].([]any)[0].(map[string]any)["address"], "a wildcard RPC host is the host asked")
	require.Equal(t, "http://hospital.example:27003", apis["rest"].([]any)[0].(map[string]any)["address"])

	assets := get("/portal/assetlist.json")
	require.Equal(t, "medchainlocal", assets["chain_name"])
	asset := assets["assets"].([]any)[0].(map[string]any)
	require.Equal(t, "umed", asset["base"])
	require.Equal(t, "med", asset["display"])
	require.Equal(t, "MED", asset["symbol"])
	units := asset["denom_units"].([]any)
	require.EqualValues(t, 6, units[1].(map[string]any)["exponent"])
}

// The page may connect to the hospitals' vaults the chain lists, to read
// replicas, and to nothing else; a hostile vault URL on chain cannot add a
// directive.
func TestPageConnectsToRegisteredVaultsOnly(t *testing.T) {
	h := portal.Handler(portal.Config{PeerVaults: func() []string {
		return []string{"http://127.0.0.1:27015", "https://vault.charite.example:8443/", "javascript:alert(1)",
			"http://evil.example; script-src *", "ftp://files.example"}
	}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "connect-src 'self' http://127.0.0.1:27015 https://vault.charite.example:8443;")
	require.NotContains(t, csp, "evil")
	require.NotContains(t, csp, "javascript")
	require.NotContains(t, csp, "ftp")
	require.Equal(t, 1, strings.Count(csp, "script-src"))
}

// Only the portal's files are served: not the build's own dotfiles.
func TestServesNoDotfiles(t *testing.T) {
	rec := httptest.NewRecorder()
	portal.Handler(portal.Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/portal/.gitignore", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
}

// A flood of calls gets "busy" answers once MaxRPCInFlight are being
// forwarded, instead of piling work on the node; calls go through again
// once those are answered.
func TestRPCForwarderBoundsCallsInFlight(t *testing.T) {
	release := make(chan struct{})
	var inFlight atomic.Int32
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		<-release
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(node.Close)
	h := portal.Handler(portal.Config{RPC: node.URL})
	var wg sync.WaitGroup
	for i := 0; i < portal.MaxRPCInFlight; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); post(t, h, `{"jsonrpc":"2.0","id":1,"method":"status"}`) }()
	}
	require.Eventually(t, func() bool { return inFlight.Load() == portal.MaxRPCInFlight }, 5*time.Second, 10*time.Millisecond)
	rec := post(t, h, `{"jsonrpc":"2.0","id":1,"method":"status"}`)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "busy")
	close(release)
	wg.Wait()
	require.Equal(t, http.StatusOK, post(t, h, `{"jsonrpc":"2.0","id":1,"method":"status"}`).Code)
}

// The viewer frame's CSP names the origin it was served from (a sandboxed
// frame's 'self' is not it), and a forged Host header cannot add a
// directive to it.
func TestViewerPolicyNamesOnlyAPlainOrigin(t *testing.T) {
	h := portal.Handler(portal.Config{})
	csp := func(host string) string {
		req := httptest.NewRequest(http.MethodGet, "/portal/viewer.html", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header().Get("Content-Security-Policy")
	}
	require.Contains(t, csp("127.0.0.1:27005"), "script-src 'self' http://127.0.0.1:27005;")
	forged := csp("evil.example;script-src")
	require.NotContains(t, forged, "evil")
	require.Equal(t, 1, strings.Count(forged, "script-src"))
	require.NotContains(t, forged, "unsafe-eval")
	// Opened top level, not framed, the viewer is still sandboxed: an
	// opaque origin, no access to the portal's storage.
	require.Contains(t, csp("127.0.0.1:27005"), "; sandbox allow-scripts")
	require.NotContains(t, csp("127.0.0.1:27005"), "allow-same-origin")
}
