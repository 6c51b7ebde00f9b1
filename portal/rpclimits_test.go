package portal_test

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/medchain/medchain/portal"
)

// simulateData is the hex data of an abci_query to the SDK's Simulate
// service: a transaction of msgs messages that declares gas.
func simulateData(t *testing.T, gas uint64, msgs int) string {
	t.Helper()
	body := txtypes.TxBody{}
	for range msgs {
		body.Messages = append(body.Messages, &codectypes.Any{TypeUrl: "/cosmos.bank.v1beta1.MsgSend"})
	}
	bodyBytes, err := body.Marshal()
	require.NoError(t, err)
	auth := txtypes.AuthInfo{Fee: &txtypes.Fee{GasLimit: gas}}
	authBytes, err := auth.Marshal()
	require.NoError(t, err)
	raw := txtypes.TxRaw{BodyBytes: bodyBytes, AuthInfoBytes: authBytes, Signatures: [][]byte{{}}}
	txBytes, err := raw.Marshal()
	require.NoError(t, err)
	req := txtypes.SimulateRequest{TxBytes: txBytes}
	bz, err := req.Marshal()
	require.NoError(t, err)
	return hex.EncodeToString(bz)
}

const simulatePath = "/cosmos.tx.v1beta1.Service/Simulate"

// TestRPCForwarderBoundsWhatItForwards is the portal RPC attack: the
// forwarder passed abci_query to Simulate whatever gas a transaction
// declared (and the node simulates unmetered), and tx_search with any page
// size, page and range, so one caller could make the node walk its whole
// transaction index or simulate without end. Each is now refused with a
// JSON-RPC "invalid params" error that says the bound, before it reaches
// the node; what clients (CosmJS, the portal page) send still goes
// through, in either params form.
func TestRPCForwarderBoundsWhatItForwards(t *testing.T) {
	node, seen := fakeNode(t)
	h := portal.Handler(portal.Config{RPC: node.URL})
	call := func(method, params string) *httptest.ResponseRecorder {
		return post(t, h, `{"jsonrpc":"2.0","id":7,"method":"`+method+`","params":`+params+`}`)
	}
	passes := func(what, method, params string) {
		t.Helper()
		before := len(*seen)
		rec := call(method, params)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", what, rec.Body.String())
		require.Len(t, *seen, before+1, "%s reached the node", what)
	}
	refused := func(what, method, params, want string) {
		t.Helper()
		before := len(*seen)
		rec := call(method, params)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", what, rec.Body.String())
		body := rec.Body.String()
		require.Contains(t, body, `"code":-32602`, what)
		require.Contains(t, body, `"id":7`, what)
		require.Contains(t, body, want, what)
		require.Len(t, *seen, before, "%s did not reach the node", what)
	}

	// Simulate.
	passes("a simulation as CosmJS sends it (gas 0)", "abci_query", `{"path":"`+simulatePath+`","data":"`+simulateData(t, 0, 1)+`"}`)
	passes("a simulation declaring 300,000 gas", "abci_query", `["`+simulatePath+`","`+simulateData(t, 300_000, 2)+`","0",false]`)
	refused("a simulation declaring absurd gas", "abci_query",
		`{"path":"`+simulatePath+`","data":"`+simulateData(t, 1<<50, 1)+`"}`, "gas")
	refused("a simulation of too many messages", "abci_query",
		`{"path":"`+simulatePath+`","data":"`+simulateData(t, 0, portal.MaxSimulateMessages+1)+`"}`, "messages")
	refused("a simulation that is not a transaction", "abci_query", `{"path":"`+simulatePath+`","data":"0a03ffffff"}`, "Simulate")
	refused("the legacy simulate path", "abci_query", `{"path":"/app/simulate","data":"00"}`, "/app/simulate")

	// Other queries.
	passes("a gRPC query", "abci_query", `{"path":"/medchain.records.v1.Query/Record","data":"0801"}`)
	passes("a store key with a proof", "abci_query", `{"path":"/store/records/key","data":"01","prove":true}`)
	refused("a store subspace (every key under a prefix)", "abci_query", `{"path":"/store/records/subspace","data":"01"}`, "subspace")
	refused("a p2p filter", "abci_query", `{"path":"/p2p/filter/addr/1.2.3.4:26656"}`, "path")
	refused("a long path", "abci_query", `{"path":"/`+strings.Repeat("a", 300)+`/B"}`, "path")
	refused("large query data", "abci_query", `{"path":"/medchain.records.v1.Query/Record","data":"`+strings.Repeat("00", portal.MaxQueryData+1)+`"}`, "data")

	// tx_search.
	passes("a search by hash, as CosmJS waits for a transaction", "tx_search", `{"query":"tx.hash='AB12'","prove":false,"page":"1","per_page":"30"}`)
	passes("a bounded height range", "tx_search", `{"query":"tx.height>=5 AND tx.height<=200","per_page":100}`)
	passes("a search by sender, positional", "tx_search", `["message.sender='med1xyz'",false,"2","100","desc"]`)
	refused("a page of 1,000", "tx_search", `{"query":"tx.hash='AB12'","per_page":"1000"}`, "per_page")
	refused("a deep page", "tx_search", `{"query":"tx.hash='AB12'","page":"5000","per_page":"100"}`, "page")
	refused("an open height range", "tx_search", `{"query":"tx.height>0"}`, "tx.height")
	refused("a wide height range", "tx_search", `{"query":"tx.height>0 AND tx.height<99999999"}`, "tx.height")
	refused("a range on another attribute", "tx_search", `{"query":"transfer.amount>5 AND tx.height=3"}`, "range")
	refused("CONTAINS", "tx_search", `{"query":"message.sender CONTAINS 'med'"}`, "CONTAINS")
	refused("EXISTS", "tx_search", `{"query":"message.sender EXISTS"}`, "EXISTS")
	refused("a long query", "tx_search", `{"query":"message.sender='`+strings.Repeat("a", portal.MaxSearchQuery)+`'"}`, "query")
	refused("no query", "tx_search", `{}`, "query")
	refused("a query that does not parse", "tx_search", `{"query":"tx.height >>> 3"}`, "query")
}

// Simulations (the node runs them unmetered) and searches are bounded at
// a few at once, apart from the other calls: a flood of them gets "busy"
// while other calls go through.
func TestRPCForwarderBoundsHeavyCallsInFlight(t *testing.T) {
	release := make(chan struct{})
	var inFlight atomic.Int32
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "Simulate") {
			inFlight.Add(1)
			<-release
		}
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(node.Close)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the node closes, even if the test fails
	h := portal.Handler(portal.Config{RPC: node.URL})
	sim := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":%q,"data":%q}}`, simulatePath, simulateData(t, 0, 1))
	var wg sync.WaitGroup
	for range portal.MaxSimulateInFlight {
		wg.Add(1)
		go func() { defer wg.Done(); post(t, h, sim) }()
	}
	require.Eventually(t, func() bool { return inFlight.Load() == portal.MaxSimulateInFlight }, 5*time.Second, 10*time.Millisecond)
	rec := post(t, h, sim)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "simulations")
	require.Equal(t, http.StatusOK, post(t, h, `{"jsonrpc":"2.0","id":1,"method":"status"}`).Code, "other calls go through meanwhile")
	free()
	wg.Wait()
	require.Equal(t, http.StatusOK, post(t, h, sim).Code)
}
