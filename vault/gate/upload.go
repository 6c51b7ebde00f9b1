package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medchain/medchain/vault"
)

// KeyChecker says whether an account registered an encryption key on
// chain: registering costs a transaction, so every uploader costs one.
type KeyChecker interface {
	HasEncryptionKey(ctx context.Context, addr string) (bool, error)
}

// Quota bounds what one account may upload.
type Quota struct {
	// BytesPerDay bounds the CAR bytes an account stores per UTC day.
	BytesPerDay int64
	// Concurrent bounds an account's uploads in progress at once.
	Concurrent int
}

// UploadGate lets in uploads that carry a ticket signed by an account with
// a registered encryption key, bound to this chain and vault, within the
// account's quota. It implements vault.UploadGate.
type UploadGate struct {
	keys    KeyChecker
	replay  *ReplayStore
	chainID atomic.Pointer[string] // unknown (nil) until the node answers
	vaultID string
	quota   Quota
	now     func() time.Time

	mu    sync.Mutex
	usage map[string]*usage // account -> today's usage

	keysMu sync.Mutex
	known  map[string]time.Time // accounts seen with a key on chain -> until when that is trusted
}

// keyCacheFor is how long an account's registered key is remembered: keys
// are replaced, never removed, so only the query's cost is saved.
const keyCacheFor = 10 * time.Minute

// maxKnownKeys bounds the cache; when full it starts over.
const maxKnownKeys = 100_000

// hasKey asks the chain, unless it said yes recently.
func (g *UploadGate) hasKey(ctx context.Context, addr string, now time.Time) (bool, error) {
	g.keysMu.Lock()
	until, ok := g.known[addr]
	g.keysMu.Unlock()
	if ok && now.Before(until) {
		return true, nil
	}
	has, err := g.keys.HasEncryptionKey(ctx, addr)
	if err != nil || !has {
		return has, err
	}
	g.keysMu.Lock()
	if len(g.known) >= maxKnownKeys {
		g.known = map[string]time.Time{}
	}
	g.known[addr] = now.Add(keyCacheFor)
	g.keysMu.Unlock()
	return true, nil
}

type usage struct {
	day      int64 // unix day
	bytes    int64 // stored today, plus reservations in flight
	inFlight int
}

// NewUploadGate returns the gate. chainID and vaultID bind tickets.
func NewUploadGate(keys KeyChecker, replay *ReplayStore, chainID, vaultID string, quota Quota) *UploadGate {
	g := &UploadGate{keys: keys, replay: replay, vaultID: vaultID, quota: quota,
		now: time.Now, usage: map[string]*usage{}, known: map[string]time.Time{}}
	if chainID != "" {
		g.SetChainID(chainID)
	}
	return g
}

// SetChainID sets the chain tickets must name, once the node tells it.
func (g *UploadGate) SetChainID(id string) { g.chainID.Store(&id) }

// AllowUpload implements vault.UploadGate.
func (g *UploadGate) AllowUpload(r *http.Request) (vault.UploadPermit, error) {
	now := g.now()
	t, err := Verify(r.Header.Get(Header), now)
	if errors.Is(err, ErrNoTicket) {
		return vault.UploadPermit{}, &GateError{http.StatusUnauthorized,
			"uploads to this vault need a ticket signed by an account with a registered encryption key (" + Header + "); medchaind tx records upload signs one"}
	}
	if err != nil {
		return vault.UploadPermit{}, &GateError{http.StatusUnauthorized, err.Error()}
	}
	if t.Purpose != PurposeUpload {
		return vault.UploadPermit{}, &GateError{http.StatusUnauthorized, fmt.Sprintf("a %q ticket cannot be used to upload", t.Purpose)}
	}
	chainID := g.chainID.Load()
	if chainID == nil {
		return vault.UploadPermit{}, &GateError{http.StatusServiceUnavailable, "the vault is waiting for its node to tell it the chain id; try again shortly"}
	}
	if err := t.CheckBinding(*chainID, g.vaultID); err != nil {
		return vault.UploadPermit{}, &GateError{http.StatusUnauthorized, err.Error()}
	}
	if t.Size <= 0 {
		return vault.UploadPermit{}, &GateError{http.StatusBadRequest, "the upload ticket must declare the upload's size"}
	}
	registered, err := g.hasKey(r.Context(), t.Reader, now)
	if err != nil {
		return vault.UploadPermit{}, &GateError{http.StatusServiceUnavailable, "could not ask the chain: " + err.Error()}
	}
	if !registered {
		return vault.UploadPermit{}, &GateError{http.StatusForbidden,
			t.Reader + " has registered no encryption key on chain; run medchaind tx access register-key first"}
	}
	// Only now, the uploader known to the chain, is the nonce stored, and
	// one account holds at most its share of the store.
	if err := spendError(g.replay.Use(t.Reader, t.Nonce, time.Unix(t.Expires, 0), now)); err != nil {
		return vault.UploadPermit{}, err
	}
	if err := g.reserve(t.Reader, t.Size, now); err != nil {
		return vault.UploadPermit{}, err
	}
	reader, size := t.Reader, t.Size
	var once sync.Once
	return vault.UploadPermit{Account: reader, MaxBytes: size, ChainID: *chainID, Done: func(stored int64) {
		once.Do(func() { g.settle(reader, size, stored, g.now()) })
	}}, nil
}

// reserve books size bytes and one upload in flight for account.
func (g *UploadGate) reserve(account string, size int64, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.today(account, now)
	if g.quota.Concurrent > 0 && u.inFlight >= g.quota.Concurrent {
		return &GateError{http.StatusTooManyRequests,
			fmt.Sprintf("%s already has %d uploads in progress, this vault's limit; wait for one to finish", account, u.inFlight)}
	}
	if g.quota.BytesPerDay > 0 && u.bytes+size > g.quota.BytesPerDay {
		return &GateError{http.StatusTooManyRequests,
			fmt.Sprintf("%s has stored %d of its %d bytes today; an upload of up to %d bytes would exceed it (the quota resets at 00:00 UTC)",
				account, u.bytes, g.quota.BytesPerDay, size)}
	}
	u.inFlight++
	u.bytes += size
	return nil
}

// settle replaces a reservation by what was stored.
func (g *UploadGate) settle(account string, reserved, stored int64, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.today(account, now)
	u.inFlight = max(u.inFlight-1, 0)
	u.bytes = max(u.bytes-reserved+stored, 0)
}

// today returns account's usage of the current UTC day; usage of older
// days is dropped (one entry per account that uploaded today).
func (g *UploadGate) today(account string, now time.Time) *usage {
	day := now.Unix() / 86400
	u := g.usage[account]
	if u == nil || u.day != day {
		inFlight := 0
		if u != nil {
			inFlight = u.inFlight
		}
		u = &usage{day: day, inFlight: inFlight}
		g.usage[account] = u
		if len(g.usage) > 4096 {
			for a, o := range g.usage {
				if o.day != day && o.inFlight == 0 {
					delete(g.usage, a)
				}
			}
		}
	}
	return u
}

var _ vault.UploadGate = (*UploadGate)(nil)
