// Package tamperproxy is a CometBFT RPC proxy that lies: in front of a
// node, it forges abci_query answers (a value where there is none or a
// different one, for the access module's keys), answers a question about
// another key, or answers from the block before, or freezes: reports no
// header newer than the one it froze at, as a stalled or withholding node
// would; everything else passes through. It exists to show that the light client refuses such answers
// (tests/system and scripts/tamperproxy for the localnet demo).
package tamperproxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Modes of lying.
const (
	Honest      = ""
	ForgeValue  = "forge-value"
	OtherKey    = "other-key"
	StaleHeight = "stale-height"
	Freeze      = "freeze"
)

// Proxy forwards to a node's RPC, lying as its mode says.
type Proxy struct {
	// URL is the proxy's own address (http://127.0.0.1:port).
	URL    string
	target string
	mu     sync.Mutex
	mode   string
	frozen int64 // Freeze: the newest height it admits to
	srv    *http.Server
}

// Listen starts a proxy on addr in front of target (http://host:port).
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), target: target}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// SetMode changes how the proxy lies from the next request on. Freeze
// freezes at the target's latest height now.
func (p *Proxy) SetMode(mode string) {
	var frozen int64
	if mode == Freeze {
		if resp, err := http.Get(p.target + "/status"); err == nil {
			var st struct {
				Result struct {
					SyncInfo struct {
						Height string `json:"latest_block_height"`
					} `json:"sync_info"`
				} `json:"result"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			frozen, _ = strconv.ParseInt(st.Result.SyncInfo.Height, 10, 64)
		}
	}
	p.mu.Lock()
	p.mode, p.frozen = mode, frozen
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	mode, frozen := p.mode, p.frozen
	p.mu.Unlock()
	if r.Method == http.MethodGet {
		resp, err := http.Get(p.target + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		io.Copy(w, resp.Body)
		return
	}
	// JSON-RPC: one request, or a batch of them.
	body, _ := io.ReadAll(r.Body)
	var reqs []map[string]any
	batch := json.Unmarshal(body, &reqs) == nil
	if !batch {
		var one map[string]any
		if err := json.Unmarshal(body, &one); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reqs = []map[string]any{one}
	}
	isQuery := make([]bool, len(reqs))
	consent := make([]bool, len(reqs))
	for i, req := range reqs {
		params, _ := req["params"].(map[string]any)
		if mode == Freeze {
			switch req["method"] {
			case "commit", "validators", "header", "block", "block_results":
				if params == nil {
					params = map[string]any{}
					req["params"] = params
				}
				if h, _ := strconv.ParseInt(fmt.Sprint(params["height"]), 10, 64); h == 0 || h > frozen {
					params["height"] = strconv.FormatInt(frozen, 10)
				}
			}
		}
		if req["method"] != "abci_query" || params == nil {
			continue
		}
		isQuery[i] = true
		path, _ := params["path"].(string)
		consent[i] = strings.Contains(path, "/consent/")
		switch mode {
		case "other-key": // answer, with its true proof, a question about another key
			if data, _ := params["data"].(string); len(data) > 2 {
				params["data"] = data[:len(data)-2] + "00"
			}
		case "stale-height": // answer from the block before
			if h, err := strconv.ParseInt(fmt.Sprint(params["height"]), 10, 64); err == nil && h > 2 {
				params["height"] = strconv.FormatInt(h-1, 10)
			}
		}
	}
	if batch {
		body, _ = json.Marshal(reqs)
	} else {
		body, _ = json.Marshal(reqs[0])
	}
	resp, err := http.Post(p.target+r.URL.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if mode == "forge-value" {
		var answers []map[string]any
		if batch {
			json.Unmarshal(out, &answers)
		} else {
			var one map[string]any
			json.Unmarshal(out, &one)
			answers = []map[string]any{one}
		}
		for i, a := range answers {
			if i >= len(reqs) || !isQuery[i] || !consent[i] {
				continue
			}
			// Claim a grant where there is none, or a different one.
			if result, ok := a["result"].(map[string]any); ok {
				if response, ok := result["response"].(map[string]any); ok {
					response["value"] = base64.StdEncoding.EncodeToString([]byte("\x08\x01forged grant"))
				}
			}
		}
		if batch {
			out, _ = json.Marshal(answers)
		} else if len(answers) == 1 {
			out, _ = json.Marshal(answers[0])
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}
