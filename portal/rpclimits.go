package portal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/libs/pubsub/query/syntax"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// callClass sorts forwarded calls by what they may cost the node.
type callClass int

const (
	lightCall  callClass = iota
	simulation           // runs a transaction, unmetered (the SDK simulates with an infinite gas meter)
	search               // walks the node's transaction index
)

// paramError is a call refused for its params (JSON-RPC -32602).
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &paramError{fmt.Sprintf(format, args...)} }

// simulatePath is the SDK's Simulate service as an ABCI query path.
const simulatePath = "/cosmos.tx.v1beta1.Service/Simulate"

// grpcPath is a gRPC method as an ABCI query path: /package.Service/Method.
var grpcPath = regexp.MustCompile(`^/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+/[A-Za-z_][A-Za-z0-9_]*$`)

// storeKeyPath is a proven read of one store key: /store/NAME/key.
var storeKeyPath = regexp.MustCompile(`^/store/[A-Za-z0-9_]+/key$`)

// checkCall refuses a call whose params would make the node do unbounded
// work, and says which class of call it is.
func checkCall(c rpcCall) (callClass, error) {
	switch c.Method {
	case "abci_query":
		return checkQuery(c.Params)
	case "tx_search":
		return search, checkSearch(c.Params)
	}
	return lightCall, nil
}

// checkQuery admits gRPC queries, proven store-key reads and
// /app/version, with bounded data; and Simulate within MaxSimulateGas and
// MaxSimulateMessages.
func checkQuery(raw json.RawMessage) (callClass, error) {
	p, err := namedParams(raw, "path", "data", "height", "prove")
	if err != nil {
		return lightCall, err
	}
	path, _, err := p.str("path")
	if err != nil {
		return lightCall, err
	}
	if len(path) > MaxQueryPath {
		return lightCall, refuse("the query path is %d bytes; at most %d are forwarded", len(path), MaxQueryPath)
	}
	hexData, _, err := p.str("data")
	if err != nil {
		return lightCall, err
	}
	data, err := hex.DecodeString(hexData)
	if err != nil {
		return lightCall, refuse("data must be hex: %v", err)
	}
	switch {
	case path == simulatePath:
		return simulation, checkSimulate(data)
	case path == "/app/simulate" || path == "app/simulate":
		return lightCall, refuse("path /app/simulate is not forwarded: simulate with %s", simulatePath)
	case strings.HasPrefix(path, "/store/") && strings.HasSuffix(path, "/subspace"):
		return lightCall, refuse("store subspace queries are not forwarded: they list every key under a prefix, without bound; " +
			"read one key with /store/NAME/key, or use the modules' paginated gRPC queries")
	case !grpcPath.MatchString(path) && !storeKeyPath.MatchString(path) && path != "/app/version":
		return lightCall, refuse("query path %q is not forwarded: gRPC query paths (/package.Service/Method), /store/NAME/key "+
			"and /app/version are", clip(path, 80))
	}
	if len(data) > MaxQueryData {
		return lightCall, refuse("the query data is %d bytes; at most %d are forwarded", len(data), MaxQueryData)
	}
	return lightCall, nil
}

// checkSimulate bounds a Simulate request: the node runs the transaction
// with an unmetered gas meter whatever it declares, so the forwarder
// refuses one that declares more than MaxSimulateGas or carries more than
// MaxSimulateMessages, and runs at most MaxSimulateInFlight at once.
func checkSimulate(data []byte) error {
	var req txtypes.SimulateRequest
	if err := req.Unmarshal(data); err != nil {
		return refuse("the data is not a %s request: %v", simulatePath, err)
	}
	var (
		auth *txtypes.AuthInfo
		body *txtypes.TxBody
	)
	switch {
	case len(req.TxBytes) > 0:
		var raw txtypes.TxRaw
		if err := raw.Unmarshal(req.TxBytes); err != nil {
			return refuse("the simulated transaction does not decode: %v", err)
		}
		auth, body = new(txtypes.AuthInfo), new(txtypes.TxBody)
		if err := auth.Unmarshal(raw.AuthInfoBytes); err != nil {
			return refuse("the simulated transaction's auth info does not decode: %v", err)
		}
		if err := body.Unmarshal(raw.BodyBytes); err != nil {
			return refuse("the simulated transaction's body does not decode: %v", err)
		}
	case req.Tx != nil:
		auth, body = req.Tx.AuthInfo, req.Tx.Body
	default:
		return refuse("the %s request holds no transaction", simulatePath)
	}
	if gas := auth.GetFee().GetGasLimit(); gas > MaxSimulateGas {
		return refuse("the simulated transaction declares %d gas; at most %d is simulated here", gas, MaxSimulateGas)
	}
	if n := len(body.GetMessages()); n > MaxSimulateMessages {
		return refuse("the simulated transaction has %d messages; at most %d are simulated here", n, MaxSimulateMessages)
	}
	return nil
}

// maxSearchConditions bounds the conditions of a tx_search query.
const maxSearchConditions = 8

// checkSearch bounds a tx_search: its query's length, page size and
// depth, and its conditions: equalities (tx.hash='…', message.sender='…',
// tx.height=N) and tx.height ranges bounded on both sides within
// MaxSearchHeightSpan blocks. Ranges on other attributes, CONTAINS and
// EXISTS make the node's indexer walk every value of an attribute and are
// refused.
func checkSearch(raw json.RawMessage) error {
	p, err := namedParams(raw, "query", "prove", "page", "per_page", "order_by")
	if err != nil {
		return err
	}
	q, ok, err := p.str("query")
	switch {
	case err != nil:
		return err
	case !ok || strings.TrimSpace(q) == "":
		return refuse("tx_search needs a query, for example tx.hash='…' or message.sender='…'")
	case len(q) > MaxSearchQuery:
		return refuse("the query is %d bytes; at most %d are forwarded", len(q), MaxSearchQuery)
	}
	conds, err := syntax.Parse(q)
	if err != nil {
		return refuse("the query does not parse: %v", err)
	}
	if len(conds) > maxSearchConditions {
		return refuse("the query has %d conditions; at most %d are forwarded", len(conds), maxSearchConditions)
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	ranged := false
	for _, c := range conds {
		switch c.Op {
		case syntax.TContains, syntax.TExists:
			op := map[syntax.Token]string{syntax.TContains: "CONTAINS", syntax.TExists: "EXISTS"}[c.Op]
			return refuse("%s conditions are not forwarded: they make the node walk every value of %s", op, c.Tag)
		case syntax.TEq:
			continue
		}
		if c.Tag != "tx.height" {
			return refuse("range conditions are forwarded on tx.height only, not on %s", c.Tag)
		}
		n := c.Arg.Number()
		if n == nil || !n.IsInt() {
			return refuse("tx.height must be compared with a whole number, not %s", c.Arg)
		}
		v, _ := n.Int64()
		ranged = true
		switch c.Op {
		case syntax.TGt:
			lo = max(lo, v+1)
		case syntax.TGeq:
			lo = max(lo, v)
		case syntax.TLt:
			hi = min(hi, v-1)
		case syntax.TLeq:
			hi = min(hi, v)
		}
	}
	if ranged && (lo == math.MinInt64 || hi == math.MaxInt64 || hi-lo > MaxSearchHeightSpan) {
		return refuse("a tx.height range must be bounded on both sides and span at most %d blocks (tx.height>=A AND tx.height<=B)",
			MaxSearchHeightSpan)
	}
	perPage, hasPerPage, err := p.num("per_page")
	if err != nil {
		return err
	}
	if !hasPerPage || perPage < 1 {
		perPage = 30 // CometBFT's default
	}
	if perPage > MaxSearchPerPage {
		return refuse("per_page is %d; at most %d are forwarded", perPage, MaxSearchPerPage)
	}
	page, _, err := p.num("page")
	if err != nil {
		return err
	}
	if page > MaxSearchResults/perPage {
		return refuse("page %d of %d results reaches past result %d; searches are forwarded for the first %d results only: narrow the query",
			page, perPage, MaxSearchResults, MaxSearchResults)
	}
	return nil
}

// params are a call's params by name.
type params map[string]json.RawMessage

// namedParams reads params given by name (an object) or by position (an
// array, in the order of names), as CometBFT's JSON-RPC server takes them.
func namedParams(raw json.RawMessage, names ...string) (params, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return params{}, nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, refuse("params: %v", err)
		}
		if len(list) > len(names) {
			return nil, refuse("%d params; this method takes at most %d (%s)", len(list), len(names), strings.Join(names, ", "))
		}
		p := params{}
		for i, v := range list {
			p[names[i]] = v
		}
		return p, nil
	}
	var p params
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, refuse("params must be an object or an array: %v", err)
	}
	return p, nil
}

// str is a string param (ok false when absent or null).
func (p params) str(name string) (string, bool, error) {
	v, ok := p[name]
	if !ok || string(v) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, refuse("%s must be a string", name)
	}
	return s, true, nil
}

// num is an integer param, given as a JSON number or a string of digits
// (CometBFT takes both; ok false when absent or null).
func (p params) num(name string) (int64, bool, error) {
	v, ok := p[name]
	if !ok || string(v) == "null" {
		return 0, false, nil
	}
	s := string(v)
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, false, refuse("%s must be a whole number", name)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, refuse("%s must be a whole number, not %s", name, clip(s, 40))
	}
	return n, true, nil
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
