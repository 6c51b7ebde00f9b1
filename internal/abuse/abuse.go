// Package abuse is a hostile client of a medchain vault: each function
// sends one kind of attack a stranger with a funded account and curl can
// send, and counts how the vault answered. The abuse system test asserts
// that every attack is refused while an honest reader keeps reading;
// scripts/bench-abuse prints the same attacks' figures against a running
// localnet. Traffic goes only to the vault URL given (127.0.0.1 in both).
package abuse

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	format "github.com/ipfs/go-ipld-format"
	car "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/multiformats/go-multihash"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/medchain/medchain/vault/gate"
)

// Result is how a vault answered one attack.
type Result struct {
	Attack   string
	Sent     int
	Refused  int         // 4xx answers and connections the vault cut
	Accepted int         // 2xx answers: a defect unless the attack says so
	Statuses map[int]int // by HTTP status (0: no answer)
	Sample   string      // one refusal's message
}

func (r *Result) record(status int, msg string) {
	r.Sent++
	if r.Statuses == nil {
		r.Statuses = map[int]int{}
	}
	r.Statuses[status]++
	switch {
	case status >= 200 && status < 300:
		r.Accepted++
	default:
		r.Refused++
		if r.Sample == "" {
			r.Sample = strings.TrimSpace(msg)
			if len(r.Sample) > 200 {
				r.Sample = r.Sample[:200] + "…"
			}
		}
	}
}

// Target is the vault under attack.
type Target struct {
	Vault   string
	ChainID string
	Client  *http.Client
	// UploadTicket signs an upload ticket of an account with a registered
	// key for size bytes (the attacker has a funded account).
	UploadTicket func(size int64) (string, error)
	// ReadTicket signs a read ticket of an account for record/cid.
	ReadTicket func(record uint64, cid string) (string, error)
}

func (t Target) do(ctx context.Context, method, path string, body io.Reader, header http.Header) (int, string) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(t.Vault, "/")+path, body)
	if err != nil {
		return 0, err.Error()
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(msg)
}

// parallel runs f n times on workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// AnonymousUploads sends n uploads without a ticket.
func AnonymousUploads(ctx context.Context, t Target, n int) Result {
	r := Result{Attack: "anonymous uploads"}
	var mu sync.Mutex
	car := TinyBlocksCAR(64)
	parallel(n, 8, func(int) {
		status, msg := t.do(ctx, http.MethodPost, "/api/v1/upload", bytes.NewReader(car), http.Header{"Content-Type": {"application/vnd.ipld.car"}})
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// TinyBlockUploads sends n ticketed uploads of a CAR of blocks one-byte
// leaves each (the memory and inode attack).
func TinyBlockUploads(ctx context.Context, t Target, n, blocks int) Result {
	r := Result{Attack: fmt.Sprintf("uploads of %d one-byte blocks, with tickets", blocks)}
	body := TinyBlocksCAR(blocks)
	for range n {
		ticket, err := t.UploadTicket(int64(len(body)))
		if err != nil {
			r.record(0, err.Error())
			continue
		}
		status, msg := t.do(ctx, http.MethodPost, "/api/v1/upload", bytes.NewReader(body),
			http.Header{"Content-Type": {"application/vnd.ipld.car"}, "X-Medchain-Ticket": {ticket}})
		r.record(status, msg)
	}
	return r
}

// HugeTickets sends n reads whose ticket header is size bytes of '<'.
func HugeTickets(ctx context.Context, t Target, n, size int, c string) Result {
	r := Result{Attack: fmt.Sprintf("reads with a %d KiB ticket header", size>>10)}
	h := http.Header{"X-Medchain-Ticket": {strings.Repeat("<", size)}}
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		status, msg := t.do(ctx, http.MethodGet, "/ipfs/"+c+"?format=raw", nil, h)
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// ReplayedTicket signs one read ticket and sends it n times: at most the
// first may be served.
func ReplayedTicket(ctx context.Context, t Target, n int, record uint64, c string) Result {
	r := Result{Attack: "one read ticket replayed"}
	ticket, err := t.ReadTicket(record, c)
	if err != nil {
		r.record(0, err.Error())
		return r
	}
	h := http.Header{"X-Medchain-Ticket": {ticket}}
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		status, msg := t.do(ctx, http.MethodHead, "/ipfs/"+c+"?format=raw", nil, h)
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// PoisonedTickets sends n reads with tickets that verify (signed by a
// stranger's own key, bound to this chain and vault) but whose CID is a
// long run of '<' and never the root asked for: each is denied and logged,
// the access-log poisoning attack.
func PoisonedTickets(ctx context.Context, t Target, n int, c string) Result {
	r := Result{Attack: "signed tickets with a CID of 250 '<'"}
	key := secp256k1.GenPrivKey()
	reader, _ := bech32.ConvertAndEncode("med", key.PubKey().Address())
	vaultID := t.vaultID(ctx)
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		tk, _ := gate.NewTicket(gate.PurposeRead, 1, strings.Repeat("<", 250), reader, time.Minute)
		tk.ChainID, tk.Vault = t.ChainID, vaultID
		h, err := gate.Sign(tk, func(doc []byte) ([]byte, []byte, error) {
			sig, err := key.Sign(doc)
			return sig, key.PubKey().Bytes(), err
		})
		status, msg := 0, ""
		if err != nil {
			msg = err.Error()
		} else {
			status, msg = t.do(ctx, http.MethodGet, "/ipfs/"+c+"?format=raw", nil, http.Header{"X-Medchain-Ticket": {h}})
		}
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// NonceFlood sends n reads of record's payload c, each with a read ticket
// that verifies (bound to this chain and vault) signed by a fresh key of
// its own: the nonce-flood attack. Tickets of throwaway keys used to have
// their nonces stored before the chain was asked, filling the vault's
// bounded replay store until every read, the honest reader's too, was
// answered 503. Each must now be refused by the chain (403) and leave no
// nonce behind.
func NonceFlood(ctx context.Context, t Target, n int, record uint64, c string) Result {
	r := Result{Attack: "read tickets of fresh keys (nonce flood)"}
	vaultID := t.vaultID(ctx)
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		key := secp256k1.GenPrivKey()
		reader, _ := bech32.ConvertAndEncode("med", key.PubKey().Address())
		tk, _ := gate.NewTicket(gate.PurposeRead, record, c, reader, time.Minute)
		tk.ChainID, tk.Vault = t.ChainID, vaultID
		h, err := gate.Sign(tk, func(doc []byte) ([]byte, []byte, error) {
			sig, err := key.Sign(doc)
			return sig, key.PubKey().Bytes(), err
		})
		status, msg := 0, ""
		if err != nil {
			msg = err.Error()
		} else {
			status, msg = t.do(ctx, http.MethodGet, "/ipfs/"+c+"?format=raw", nil, http.Header{"X-Medchain-Ticket": {h}})
		}
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// HostileRPC sends n calls to the portal's RPC forwarder (/portal/rpc),
// taking turns among those that would make the node do unbounded work: a
// search of 10,000 transactions a page, an open tx.height range, a
// CONTAINS search, a simulation declaring 2^50 gas, a store subspace
// listing. Each must be refused (400) before it reaches the node.
func HostileRPC(ctx context.Context, t Target, n int) Result {
	r := Result{Attack: "portal RPC calls with unbounded params"}
	calls := []string{
		`{"jsonrpc":"2.0","id":1,"method":"tx_search","params":{"query":"tx.height>=1 AND tx.height<=5","per_page":"10000"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tx_search","params":{"query":"tx.height>0"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tx_search","params":{"query":"message.sender CONTAINS 'med'"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":"/cosmos.tx.v1beta1.Service/Simulate","data":"` + SimulateRequestHex(1<<50, 1) + `"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":"/store/records/subspace","data":"01"}}`,
	}
	var mu sync.Mutex
	parallel(n, 8, func(i int) {
		status, msg := t.do(ctx, http.MethodPost, "/portal/rpc", strings.NewReader(calls[i%len(calls)]),
			http.Header{"Content-Type": {"application/json"}})
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// SimulateRequestHex is the hex data of an abci_query to the SDK's
// Simulate service: a transaction of msgs (empty) bank sends declaring
// gas.
func SimulateRequestHex(gas uint64, msgs int) string {
	body := txtypes.TxBody{}
	for range msgs {
		body.Messages = append(body.Messages, &codectypes.Any{TypeUrl: "/cosmos.bank.v1beta1.MsgSend"})
	}
	bodyBytes, _ := body.Marshal()
	auth := txtypes.AuthInfo{Fee: &txtypes.Fee{GasLimit: gas}}
	authBytes, _ := auth.Marshal()
	raw := txtypes.TxRaw{BodyBytes: bodyBytes, AuthInfoBytes: authBytes, Signatures: [][]byte{{}}}
	txBytes, _ := raw.Marshal()
	req := txtypes.SimulateRequest{TxBytes: txBytes}
	bz, _ := req.Marshal()
	return hex.EncodeToString(bz)
}

func (t Target) vaultID(ctx context.Context) string {
	status, msg := t.do(ctx, http.MethodGet, "/api/v1/status", nil, nil)
	var st struct {
		VaultID string `json:"vault_id"`
	}
	if status == http.StatusOK {
		_ = json.Unmarshal([]byte(msg), &st)
	}
	return st.VaultID
}

// PinProbes asks n times whether the vault holds c, without a ticket.
func PinProbes(ctx context.Context, t Target, n int, c string) Result {
	r := Result{Attack: "pin probes without a ticket"}
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		status, msg := t.do(ctx, http.MethodGet, "/api/v1/pins/"+c, nil, nil)
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}

// TinyBlocksCAR is a CAR of n one-byte-ish raw leaves under dag-pb nodes
// of 174 links: a valid DAG whose shape no file importer makes.
func TinyBlocksCAR(n int) []byte {
	leaf := func(i int) (cid.Cid, []byte) {
		data := []byte(fmt.Sprintf("%08d", i))
		mh, _ := multihash.Sum(data, multihash.SHA2_256, -1)
		return cid.NewCidV1(cid.Raw, mh), data
	}
	node := func(children []cid.Cid, sizes []uint64) (cid.Cid, []byte) {
		fsn := unixfs.NewFSNode(unixfs.TFile)
		for _, s := range sizes {
			fsn.AddBlockSize(s)
		}
		data, _ := fsn.GetBytes()
		nd := merkledag.NodeWithData(data)
		nd.SetCidBuilder(cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256})
		for i, c := range children {
			_ = nd.AddRawLink(fmt.Sprint(i), &format.Link{Cid: c, Size: sizes[i]})
		}
		return nd.Cid(), nd.RawData()
	}
	type blk struct {
		c    cid.Cid
		data []byte
	}
	var leaves, parents []blk
	for i := range n {
		c, d := leaf(i)
		leaves = append(leaves, blk{c, d})
	}
	for i := 0; i < len(leaves); i += 174 {
		var cs []cid.Cid
		var sizes []uint64
		for _, l := range leaves[i:min(i+174, len(leaves))] {
			cs, sizes = append(cs, l.c), append(sizes, uint64(len(l.data)))
		}
		c, d := node(cs, sizes)
		parents = append(parents, blk{c, d})
	}
	var cs []cid.Cid
	var sizes []uint64
	for _, p := range parents {
		cs, sizes = append(cs, p.c), append(sizes, uint64(len(p.data)))
	}
	rootC, rootD := node(cs, sizes)
	var buf bytes.Buffer
	w, _ := storage.NewWritable(&buf, []cid.Cid{rootC}, car.WriteAsCarV1(true), car.UseWholeCIDs(true))
	_ = w.Put(context.Background(), rootC.KeyString(), rootD)
	for i, p := range parents {
		_ = w.Put(context.Background(), p.c.KeyString(), p.data)
		for _, l := range leaves[i*174 : min((i+1)*174, len(leaves))] {
			_ = w.Put(context.Background(), l.c.KeyString(), l.data)
		}
	}
	return buf.Bytes()
}

// Random returns n random bytes.
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Latencies collects durations and reports percentiles.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
	// Failures counts honest operations that failed.
	Failures int
}

// Add records one operation.
func (l *Latencies) Add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.Failures++
		return
	}
	l.d = append(l.d, d)
}

// P returns the p-th percentile (0..100) and the count.
func (l *Latencies) P(p float64) (time.Duration, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), l.d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i], len(s)
}

// CARHeader is a CARv1 header naming root.
func CARHeader(root cid.Cid) []byte {
	var buf bytes.Buffer
	w, _ := storage.NewWritable(&buf, []cid.Cid{root}, car.WriteAsCarV1(true))
	_ = w.Finalize()
	return buf.Bytes()
}

// RandomBlockSection is one CAR section of a random raw block of size
// bytes: a valid block that no DAG of anyone's links to.
func RandomBlockSection(size int) []byte {
	data := Random(size)
	mh, _ := multihash.Sum(data, multihash.SHA2_256, -1)
	c := cid.NewCidV1(cid.Raw, mh)
	var sec bytes.Buffer
	cb := c.Bytes()
	var lenBuf [10]byte
	n := putUvarint(lenBuf[:], uint64(len(cb)+len(data)))
	sec.Write(lenBuf[:n])
	sec.Write(cb)
	sec.Write(data)
	return sec.Bytes()
}

func putUvarint(buf []byte, x uint64) int {
	i := 0
	for x >= 0x80 {
		buf[i] = byte(x) | 0x80
		x >>= 7
		i++
	}
	buf[i] = byte(x)
	return i + 1
}

// StolenPseudonyms sends n requests to the vault's pseudonym service
// (POST /api/v1/pseudonym), each with a pseudonym ticket for record (a
// patient's, which the attacker does not own) signed by a fresh key of its
// own and naming its own address: a stranger trying to get the hospital
// to vouch, at the hospital's expense, for an account that would mint
// under the patient's producer. Each must be refused 403 by the chain's
// word on the record's owner, with no nonce stored and no transaction
// sent.
func StolenPseudonyms(ctx context.Context, t Target, n int, record uint64) Result {
	r := Result{Attack: "pseudonym tickets of strangers for a patient's record"}
	vaultID := t.vaultID(ctx)
	var mu sync.Mutex
	parallel(n, 8, func(int) {
		key := secp256k1.GenPrivKey()
		signer, _ := bech32.ConvertAndEncode("med", key.PubKey().Address())
		tk, _ := gate.NewTicket(gate.PurposePseudonym, record, "", signer, time.Minute)
		tk.ChainID, tk.Vault, tk.Pseudonym = t.ChainID, vaultID, signer
		h, err := gate.Sign(tk, func(doc []byte) ([]byte, []byte, error) {
			sig, err := key.Sign(doc)
			return sig, key.PubKey().Bytes(), err
		})
		status, msg := 0, ""
		if err != nil {
			msg = err.Error()
		} else {
			status, msg = t.do(ctx, http.MethodPost, "/api/v1/pseudonym", nil, http.Header{"X-Medchain-Ticket": {h}})
		}
		mu.Lock()
		r.record(status, msg)
		mu.Unlock()
	})
	return r
}
