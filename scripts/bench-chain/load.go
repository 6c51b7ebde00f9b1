package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// world is what the uploaders share: read-only configuration, the
// tracker, and two registries other uploaders only read (who has a
// registered key, which records exist). No uploader waits for another.
type world struct {
	c           *chain
	tr          *tracker
	nodes       []string
	maxPerBlock int
	gas         [numKinds]uint64
	accounts    []*account // every load account (send targets)

	regMu      sync.RWMutex
	registered []*account

	recMu   sync.Mutex
	records []benchRecord
}

type benchRecord struct {
	id      uint64
	owner   string
	grantee string // a READ grantee, or ""
}

func (w *world) addRegistered(a *account) {
	w.regMu.Lock()
	w.registered = append(w.registered, a)
	w.regMu.Unlock()
}

func (w *world) randomRegistered(not string, r *rand.Rand) *account {
	w.regMu.RLock()
	defer w.regMu.RUnlock()
	if len(w.registered) == 0 {
		return nil
	}
	for i := 0; i < 8; i++ {
		a := w.registered[r.Intn(len(w.registered))]
		if a.bech != not {
			return a
		}
	}
	return nil
}

func (w *world) addRecord(r benchRecord) {
	w.recMu.Lock()
	w.records = append(w.records, r)
	w.recMu.Unlock()
}

func (w *world) recordCount() int {
	w.recMu.Lock()
	defer w.recMu.Unlock()
	return len(w.records)
}

// ownRecord is a committed record of an uploader, with its key.
type ownRecord struct {
	id       uint64
	cid      string
	key      envelope.RecordKey
	grantees map[string]bool
}

// plan is what one uploader sends.
type plan struct {
	records, sends, grants int
	batch                  int  // MsgCreateRecord per tx (prefill)
	presigned              bool // sign everything first, then send
	register               bool
}

// uploader is one independent client: its own account, RPC connection,
// goroutine and sequence.
type uploader struct {
	w      *world
	a      *account
	rpc    *rpchttp.HTTP
	i      int // which node and gRPC endpoint it uses
	stats  *phaseStats
	window chan struct{} // uncommitted txs of the uploader (-window)
	// recWindow holds uncommitted MsgCreateRecord txs: no more than
	// max_records_per_owner_per_block records are ever in flight, so none
	// can hit the chain's per-owner, per-block bound.
	recWindow chan struct{}
	rnd       *rand.Rand

	mu       sync.Mutex
	records  []*ownRecord
	recordCh chan struct{}
	skipped  int
}

func newUploader(w *world, a *account, i int, stats *phaseStats, window, recWindow int) (*uploader, error) {
	rpc, err := newRPC(w.nodes[i%len(w.nodes)])
	if err != nil {
		return nil, err
	}
	window, recWindow = max(window, 1), max(recWindow, 1)
	return &uploader{w: w, a: a, rpc: rpc, i: i, stats: stats, window: make(chan struct{}, window), recWindow: make(chan struct{}, recWindow),
		rnd: rand.New(rand.NewSource(time.Now().UnixNano() + int64(i))), recordCh: make(chan struct{}, 1)}, nil
}

// item is one transaction to send, signed beforehand when presigned.
type item struct {
	kind     msgKind
	msgs     []sdk.Msg
	seq      uint64
	bz       []byte
	onCommit func(committed)
}

// submit broadcasts one transaction (broadcast_tx_sync) once a window
// slot is free; the slot is freed when its block is seen.
func (u *uploader) submit(ctx context.Context, it item) error {
	var rec chan struct{}
	if it.kind == kindCreate {
		rec = u.recWindow
		select {
		case rec <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case u.window <- struct{}{}:
	case <-ctx.Done():
		if rec != nil {
			<-rec
		}
		return ctx.Err()
	}
	free := func() {
		<-u.window
		if rec != nil {
			<-rec
		}
	}
	released := false
	release := func() {
		if !released {
			released = true
			free()
		}
	}
	gas := u.w.gas[it.kind] * uint64(len(it.msgs))
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			release()
			return ctx.Err()
		}
		bz := it.bz
		if bz == nil || it.seq != u.a.seq {
			var err error
			if bz, err = u.w.c.sign(u.a, u.a.seq, gas, it.msgs...); err != nil {
				release()
				return err
			}
		}
		hash := txHash(bz)
		onCommit := it.onCommit
		u.w.tr.add(hash, &pending{kind: it.kind, stats: u.stats, sentAt: time.Now(), dropped: free, onCommit: func(c committed) {
			free()
			if onCommit != nil {
				onCommit(c)
			}
		}})
		released = true // from now on the tracker frees the slot
		res, err := u.broadcast(ctx, bz)
		now := time.Now()
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "already exists in cache") {
				u.w.tr.sent(hash, now)
				u.stats.broadcastOK(it.kind)
				u.a.seq++
				return nil
			}
			u.w.tr.remove(hash)
			released = false
			if ctx.Err() != nil {
				release()
				return ctx.Err()
			}
			if strings.Contains(msg, "mempool is full") {
				u.stats.fail(it.kind, "check (retried)", "", 0, "mempool is full")
				time.Sleep(200 * time.Millisecond)
				continue
			}
			u.stats.fail(it.kind, "check", "rpc", 0, msg)
			if attempt < 5 {
				time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
				continue
			}
			release()
			return nil
		}
		if res.Code != 0 {
			u.w.tr.remove(hash)
			released = false
			u.stats.fail(it.kind, "check", res.Codespace, res.Code, res.Log)
			if res.Codespace == "sdk" && res.Code == 32 {
				if n, ok := parseExpectedSequence(res.Log); ok && attempt < 3 {
					u.a.seq = n
					continue
				}
			}
			release()
			return nil
		}
		u.w.tr.sent(hash, now)
		u.stats.broadcastOK(it.kind)
		u.a.seq++
		return nil
	}
}

func (u *uploader) registerItem() item {
	msg := &accesstypes.MsgRegisterEncryptionKey{Owner: u.a.bech, Algorithm: u.a.encKey.Algorithm, PublicKey: u.a.encKey.PublicKey}
	return item{kind: kindRegister, msgs: []sdk.Msg{msg}, onCommit: func(c committed) {
		if c.code == 0 {
			u.w.addRegistered(u.a)
		}
	}}
}

// createItem is a tx of n MsgCreateRecord, each a fresh CID wrapped for
// the uploader's own key and bound to that CID.
func (u *uploader) createItem(n int) (item, error) {
	msgs := make([]sdk.Msg, n)
	recs := make([]*ownRecord, n)
	for i := range msgs {
		key, err := envelope.NewRecordKey()
		if err != nil {
			return item{}, err
		}
		cid := medclient.PlaceholderCID("")
		size, err := envelope.EncryptedSize(int64(1024 + u.rnd.Intn(4<<20)))
		if err != nil {
			return item{}, err
		}
		label, err := envelope.SealLabel(key, u.a.bech, fmt.Sprintf("bench %d", u.rnd.Intn(1e6)))
		if err != nil {
			return item{}, err
		}
		wraps, err := medclient.SealForAll(medclient.Epoch{ChainID: u.w.c.chainID, Anchor: cid},
			[]accesstypes.EncryptionKey{u.a.encKey}, key.Bytes())
		if err != nil {
			return item{}, err
		}
		receipt, err := u.w.c.receipts.receipt(u.w.c.chainID, u.a.bech, cid)
		if err != nil {
			return item{}, err
		}
		msgs[i] = &recordstypes.MsgCreateRecord{Creator: u.a.bech, Owner: u.a.bech, Cid: cid, Kind: recordstypes.RecordKindOther,
			SizeBytes: uint64(size), SealedLabel: label, Wraps: wraps, Receipt: receipt}
		recs[i] = &ownRecord{cid: cid, key: key, grantees: map[string]bool{}}
	}
	return item{kind: kindCreate, msgs: msgs, onCommit: func(c committed) {
		if c.code != 0 {
			return
		}
		var md sdk.TxMsgData
		if err := md.Unmarshal(c.data); err != nil {
			return
		}
		u.mu.Lock()
		for i, r := range md.MsgResponses {
			var resp recordstypes.MsgCreateRecordResponse
			if i >= len(recs) || resp.Unmarshal(r.Value) != nil {
				continue
			}
			recs[i].id = resp.Id
			u.records = append(u.records, recs[i])
			u.w.addRecord(benchRecord{id: resp.Id, owner: u.a.bech})
		}
		u.mu.Unlock()
		select {
		case u.recordCh <- struct{}{}:
		default:
		}
	}}, nil
}

func (u *uploader) sendItem() item {
	to := u.w.accounts[u.rnd.Intn(len(u.w.accounts))]
	for i := 0; to == u.a && i < 8; i++ {
		to = u.w.accounts[u.rnd.Intn(len(u.w.accounts))]
	}
	return item{kind: kindSend, msgs: []sdk.Msg{banktypes.NewMsgSend(u.a.addr, to.addr, sdk.NewCoins(sdk.NewInt64Coin("umed", 1)))}}
}

// grantItem is a READ grant on one of the uploader's committed records to
// another account that registered its key; false when there is none yet.
func (u *uploader) grantItem() (item, bool, error) {
	u.mu.Lock()
	var rec *ownRecord
	if len(u.records) > 0 {
		rec = u.records[u.rnd.Intn(len(u.records))]
	}
	u.mu.Unlock()
	if rec == nil {
		return item{}, false, nil
	}
	grantee := u.w.randomRegistered(u.a.bech, u.rnd)
	if grantee == nil || rec.grantees[grantee.bech] {
		return item{}, false, nil
	}
	rec.grantees[grantee.bech] = true
	w, err := medclient.SealRecordKey(medclient.Epoch{ChainID: u.w.c.chainID, Anchor: rec.cid, RecordID: rec.id, KeyEpoch: 0},
		grantee.encKey, rec.key.Bytes())
	if err != nil {
		return item{}, false, err
	}
	msg := &accesstypes.MsgGrantAccess{Owner: u.a.bech, Grantee: grantee.bech, RecordId: rec.id,
		Permission: accesstypes.PermissionRead, Purpose: accesstypes.PurposeTreatment, Wraps: []recordstypes.KeyWrap{w}}
	id, owner, to := rec.id, u.a.bech, grantee.bech
	return item{kind: kindGrant, msgs: []sdk.Msg{msg}, onCommit: func(c committed) {
		if c.code == 0 {
			u.w.addRecord(benchRecord{id: id, owner: owner, grantee: to})
		}
	}}, true, nil
}

// run sends the uploader's plan, then waits for its last blocks.
func (u *uploader) run(ctx context.Context, p plan) error {
	defer u.drain(ctx)
	var ops []msgKind
	batches := 0
	if p.batch < 1 {
		p.batch = 1
	}
	for left := p.records; left > 0; left -= p.batch {
		ops = append(ops, kindCreate)
		batches++
	}
	for i := 0; i < p.sends; i++ {
		ops = append(ops, kindSend)
	}
	u.rnd.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	// Grants go into the mix too, but never before the first record.
	for i := 0; i < p.grants; i++ {
		at := 1 + u.rnd.Intn(len(ops)+1)
		if at > len(ops) {
			at = len(ops)
		}
		ops = append(ops[:at], append([]msgKind{kindGrant}, ops[at:]...)...)
	}
	var items []item
	if p.register {
		items = append(items, u.registerItem())
	}
	left := p.records
	for _, k := range ops {
		switch k {
		case kindCreate:
			n := p.batch
			if n > left {
				n = left
			}
			left -= n
			it, err := u.createItem(n)
			if err != nil {
				return err
			}
			items = append(items, it)
		case kindSend:
			items = append(items, u.sendItem())
		case kindGrant:
			items = append(items, item{kind: kindGrant})
		}
	}
	if p.presigned {
		// Sign everything that does not depend on the chain; grants wait
		// for record ids, so they are signed when sent, after the rest.
		var rest, grants []item
		seq := u.a.seq
		for _, it := range items {
			if it.kind == kindGrant {
				grants = append(grants, it)
				continue
			}
			bz, err := u.w.c.sign(u.a, seq, u.w.gas[it.kind]*uint64(len(it.msgs)), it.msgs...)
			if err != nil {
				return err
			}
			it.seq, it.bz = seq, bz
			seq++
			rest = append(rest, it)
		}
		items = append(rest, grants...)
	}
	deferred := 0
	for _, it := range items {
		if ctx.Err() != nil {
			return nil
		}
		if it.kind == kindGrant {
			g, ok, err := u.grantItem()
			if err != nil {
				return err
			}
			if !ok {
				deferred++
				continue
			}
			it = g
		}
		if err := u.submit(ctx, it); err != nil {
			return nil
		}
	}
	// Grants that found no committed record or registered grantee yet.
	deadline := time.After(60 * time.Second)
	for deferred > 0 && ctx.Err() == nil {
		g, ok, err := u.grantItem()
		if err != nil {
			return err
		}
		if ok {
			if err := u.submit(ctx, g); err != nil {
				return nil
			}
			deferred--
			continue
		}
		select {
		case <-u.recordCh:
		case <-time.After(300 * time.Millisecond):
		case <-deadline:
			u.skipped += deferred
			return nil
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// drain waits until the uploader's transactions are all seen in blocks
// (every window slot free), or ctx ends.
func (u *uploader) drain(ctx context.Context) {
	for i := 0; i < cap(u.window); i++ {
		select {
		case u.window <- struct{}{}:
		case <-ctx.Done():
			return
		}
	}
	for i := 0; i < cap(u.window); i++ {
		<-u.window
	}
}

// capped is the number of uncommitted create txs an uploader may have.
func capped(maxPerBlock, batch int) int { return max(1, maxPerBlock/max(batch, 1)) }

// runAll runs the uploaders in parallel, one goroutine each.
func runAll(ctx context.Context, us []*uploader, p plan) {
	var wg sync.WaitGroup
	for _, u := range us {
		wg.Add(1)
		go func(u *uploader) {
			defer wg.Done()
			if err := u.run(ctx, p); err != nil {
				u.stats.fail(kindCreate, "client", "", 0, err.Error())
			}
		}(u)
	}
	wg.Wait()
}

// broadcastOverGRPC sends transactions with the SDK's gRPC tx service
// (BroadcastTx, sync mode) instead of CometBFT's JSON-RPC broadcast_tx_sync
// (-broadcast grpc): the same CheckTx, without JSON and base64 on the way.
var broadcastOverGRPC bool

// checkResult is what a sync broadcast answers.
type checkResult struct {
	Code      uint32
	Codespace string
	Log       string
}

// broadcast sends bz and returns CheckTx's answer.
func (u *uploader) broadcast(ctx context.Context, bz []byte) (checkResult, error) {
	if !broadcastOverGRPC {
		res, err := u.rpc.BroadcastTxSync(ctx, bz)
		if err != nil {
			return checkResult{}, err
		}
		return checkResult{Code: res.Code, Codespace: res.Codespace, Log: res.Log}, nil
	}
	res, err := txtypes.NewServiceClient(u.w.c.grpcConn(u.i)).BroadcastTx(ctx,
		&txtypes.BroadcastTxRequest{TxBytes: bz, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return checkResult{}, err
	}
	r := res.TxResponse
	if r.Code == 19 && r.Codespace == "sdk" { // tx already in the mempool cache
		return checkResult{}, errors.New("tx already exists in cache")
	}
	return checkResult{Code: r.Code, Codespace: r.Codespace, Log: r.RawLog}, nil
}
