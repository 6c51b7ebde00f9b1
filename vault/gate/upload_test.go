package gate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault"
)

// keysOnChain is a KeyChecker with a fixed set of registered accounts.
type keysOnChain map[string]bool

func (k keysOnChain) HasEncryptionKey(_ context.Context, addr string) (bool, error) {
	return k[addr], nil
}

// uploadTicket signs an upload ticket of a for size bytes, bound as given.
func (a account) uploadTicket(t *testing.T, size int64, chainID, vaultID string) string {
	t.Helper()
	tk, err := NewTicket(PurposeUpload, 0, "", a.addr, time.Minute)
	require.NoError(t, err)
	tk.Size, tk.ChainID, tk.Vault = size, chainID, vaultID
	h, err := Sign(tk, a.signer())
	require.NoError(t, err)
	return h
}

// TestUploadsNeedATicketWithinQuota is the anonymous-upload attack and its
// variants against a real vault server: no ticket, a ticket of an account
// with no encryption key on chain, one for another chain or vault, a
// replayed one, a body larger than the ticket declared, more concurrent
// uploads or more bytes a day than the account's quota. Each is refused
// with a clear 4xx and stores nothing; an honest upload goes through.
func TestUploadsNeedATicketWithinQuota(t *testing.T) {
	s, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	vaultID, err := s.ID(context.Background())
	require.NoError(t, err)
	honest, stranger := newAccount(), newAccount()
	replay, err := OpenReplayStore(filepath.Join(t.TempDir(), "nonces"), 0)
	require.NoError(t, err)
	gate := NewUploadGate(keysOnChain{honest.addr: true}, replay, "chain-1", vaultID, Quota{BytesPerDay: 4 << 20, Concurrent: 1})
	srv := httptest.NewServer(vault.NewServer(s, vault.Config{ChainPins: true, UploadGate: gate}))
	defer srv.Close()

	payload := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	upload := func(ticket string, data []byte) (int, string) {
		var car bytes.Buffer
		if _, err := vault.BuildCAR(context.Background(), bytes.NewReader(data), &car); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/upload", &car)
		require.NoError(t, err)
		req.Header.Set("Content-Type", vault.MediaTypeCAR)
		if ticket != "" {
			req.Header.Set(Header, ticket)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	refused := func(what string, status int, msg string, wantStatus int, want string) {
		t.Helper()
		require.Equal(t, wantStatus, status, "%s: %s", what, msg)
		require.Contains(t, msg, want, what)
	}

	data := payload(1 << 20)
	status, msg := upload("", data)
	refused("no ticket", status, msg, http.StatusUnauthorized, "need a ticket")
	status, msg = upload(stranger.uploadTicket(t, 2<<20, "chain-1", vaultID), data)
	refused("an account without an encryption key", status, msg, http.StatusForbidden, "register-key")
	status, msg = upload(honest.uploadTicket(t, 2<<20, "chain-2", vaultID), data)
	refused("a ticket for another chain", status, msg, http.StatusUnauthorized, "chain")
	status, msg = upload(honest.uploadTicket(t, 2<<20, "chain-1", "another-vault"), data)
	refused("a ticket for another vault", status, msg, http.StatusUnauthorized, "another-vault")
	status, msg = upload(honest.uploadTicket(t, 4096, "chain-1", vaultID), data)
	refused("more bytes than the ticket declared", status, msg, http.StatusRequestEntityTooLarge, "")
	require.Equal(t, 0, blockCountOf(t, s), "nothing refused was stored")

	good := honest.uploadTicket(t, 2<<20, "chain-1", vaultID)
	status, msg = upload(good, data)
	require.Equal(t, http.StatusCreated, status, msg)
	status, msg = upload(good, data)
	refused("a replayed ticket", status, msg, http.StatusUnauthorized, "replay")

	// Quota: 4 MiB a day; 1 MiB stored, a 2 MiB-declared upload is still
	// within it, a third is not.
	status, msg = upload(honest.uploadTicket(t, 2<<20, "chain-1", vaultID), payload(1<<20))
	require.Equal(t, http.StatusCreated, status, msg)
	status, msg = upload(honest.uploadTicket(t, 2<<20, "chain-1", vaultID), payload(1<<20))
	refused("over the daily quota", status, msg, http.StatusTooManyRequests, "resets at 00:00 UTC")

	// Concurrency: one upload in flight per account.
	gate.quota.BytesPerDay = 0
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/upload", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", vault.MediaTypeCAR)
	req.Header.Set(Header, honest.uploadTicket(t, 2<<20, "chain-1", vaultID))
	slow := make(chan *http.Response, 1)
	go func() {
		resp, _ := http.DefaultClient.Do(req)
		slow <- resp
	}()
	_, _ = pw.Write([]byte{0x3a}) // a byte of a CAR header, then nothing
	require.Eventually(t, func() bool {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		return gate.usage[honest.addr].inFlight == 1
	}, 5*time.Second, 10*time.Millisecond)
	status, msg = upload(honest.uploadTicket(t, 2<<20, "chain-1", vaultID), payload(1<<20))
	refused("a second upload at once", status, msg, http.StatusTooManyRequests, "in progress")
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if resp := <-slow; resp != nil {
		resp.Body.Close()
	}
	require.Eventually(t, func() bool {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		return gate.usage[honest.addr].inFlight == 0
	}, 5*time.Second, 10*time.Millisecond, "an ended upload frees its slot")
}

// TestReplayStoreSurvivesRestartAndStaysBounded: a used nonce is refused
// after the store is reopened, nonces are dropped once their tickets
// expired, the store refuses new ones when full, and malformed nonces are
// refused.
func TestReplayStoreSurvivesRestartAndStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nonces")
	now := time.Now()
	r, err := OpenReplayStore(path, 3)
	require.NoError(t, err)
	r.SetPerSigner(3)
	n1, n2 := strings.Repeat("a1", NonceSize), strings.Repeat("b2", NonceSize)
	require.NoError(t, r.Use("med1someone", n1, now.Add(time.Minute), now))
	require.ErrorIs(t, r.Use("med1someone", n1, now.Add(time.Minute), now), ErrReplay)
	require.NoError(t, r.Use("med1someone", n2, now.Add(10*time.Second), now))
	require.NoError(t, r.Close())

	r, err = OpenReplayStore(path, 3)
	require.NoError(t, err)
	defer r.Close()
	r.SetPerSigner(3)
	require.ErrorIs(t, r.Use("med1someone", n1, now.Add(time.Minute), now), ErrReplay, "a nonce used before the restart")
	require.Equal(t, 2, r.Len())
	later := now.Add(3 * time.Minute)
	require.NoError(t, r.Use("med1someone", strings.Repeat("c3", NonceSize), later.Add(time.Minute), later))
	require.Equal(t, 1, r.Len(), "expired nonces are dropped")
	for i := range 2 {
		require.NoError(t, r.Use("med1someone", strings.Repeat(string(rune('d'+i))+"4", NonceSize), later.Add(time.Minute), later))
	}
	require.ErrorIs(t, r.Use("med1other", strings.Repeat("f5", NonceSize), later.Add(time.Minute), later), ErrReplayFull)
	entries, capacity := r.Usage(later)
	require.Equal(t, [2]int{3, 3}, [2]int{entries, capacity}, "a full store says so")
	entries, _ = r.Usage(later.Add(3 * time.Minute))
	require.Zero(t, entries, "and is empty again once its tickets expired")
	require.Error(t, r.Use("med1someone", "short", later.Add(time.Minute), later))
	require.Error(t, r.Use("med1someone", strings.Repeat("zz", NonceSize), later.Add(time.Minute), later))
}

// TestReplayStoreBoundsEachSigner: a signer holds at most its share of
// the store (PerSigner, or the quota its caller gives), counted across a
// restart and freed as its nonces expire; other signers are not touched
// by its being at its share. A file of the first format (no signers) is
// read, its nonces still refused, and rewritten.
func TestReplayStoreBoundsEachSigner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nonces")
	now := time.Now()
	nonce := func(i int) string { return fmt.Sprintf("%0*x", 2*NonceSize, i) }
	r, err := OpenReplayStore(path, 100)
	require.NoError(t, err)
	require.Equal(t, 6, r.PerSigner(), "a 16th of a small store")
	for i := range 6 {
		require.NoError(t, r.Use("mallory", nonce(i), now.Add(time.Minute), now))
	}
	require.ErrorIs(t, r.Use("mallory", nonce(6), now.Add(time.Minute), now), ErrSignerQuota)
	require.NoError(t, r.UseWithin("mallory", nonce(7), 8, now.Add(time.Minute), now), "a larger quota given by the caller")
	require.NoError(t, r.Use("alice", nonce(8), now.Add(time.Minute), now), "another signer is not held back")
	require.NoError(t, r.Close())

	r, err = OpenReplayStore(path, 100)
	require.NoError(t, err)
	require.Equal(t, 7, r.Held("mallory"), "the shares are counted across a restart")
	require.ErrorIs(t, r.Use("mallory", nonce(9), now.Add(time.Minute), now), ErrSignerQuota)
	later := now.Add(3 * time.Minute)
	require.NoError(t, r.Use("mallory", nonce(9), later.Add(time.Minute), later), "expired nonces free the share")
	require.Equal(t, 1, r.Held("mallory"))
	require.NoError(t, r.Close())

	// The first format: nonce and expiry, no magic.
	old := filepath.Join(t.TempDir(), "old-nonces")
	var rec [NonceSize + 8]byte
	n, _ := hex.DecodeString(nonce(42))
	copy(rec[:], n)
	binary.BigEndian.PutUint64(rec[NonceSize:], uint64(now.Add(time.Minute).Unix()))
	require.NoError(t, os.WriteFile(old, rec[:], 0o600))
	r, err = OpenReplayStore(old, 100)
	require.NoError(t, err)
	require.ErrorIs(t, r.Use("alice", nonce(42), now.Add(time.Minute), now), ErrReplay, "a nonce of the first format is still refused")
	require.NoError(t, r.Close())
	data, err := os.ReadFile(old)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), replayMagic), "rewritten in the current format")
	r, err = OpenReplayStore(old, 100)
	require.NoError(t, err)
	defer r.Close()
	require.ErrorIs(t, r.Use("alice", nonce(42), now.Add(time.Minute), now), ErrReplay)
}

func blockCountOf(t *testing.T, s *vault.Store) int {
	t.Helper()
	st, err := s.Pins(context.Background())
	require.NoError(t, err)
	return len(st)
}

// countingKeys counts the chain queries of a KeyChecker.
type countingKeys struct {
	keysOnChain
	calls int
}

func (c *countingKeys) HasEncryptionKey(ctx context.Context, addr string) (bool, error) {
	c.calls++
	return c.keysOnChain.HasEncryptionKey(ctx, addr)
}

// TestUploadGateRemembersRegisteredKeys: a registered key is asked of the
// chain once per ten minutes; an account without one is asked every time
// (it may register meanwhile).
func TestUploadGateRemembersRegisteredKeys(t *testing.T) {
	honest, stranger := newAccount(), newAccount()
	keys := &countingKeys{keysOnChain: keysOnChain{honest.addr: true}}
	replay, err := OpenReplayStore("", 0)
	require.NoError(t, err)
	g := NewUploadGate(keys, replay, "c", "v", Quota{})
	now := time.Now()
	for range 3 {
		ok, err := g.hasKey(context.Background(), honest.addr, now)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = g.hasKey(context.Background(), stranger.addr, now)
		require.NoError(t, err)
		require.False(t, ok)
	}
	require.Equal(t, 4, keys.calls, "one query for the registered account, three for the stranger")
	_, _ = g.hasKey(context.Background(), honest.addr, now.Add(keyCacheFor+time.Second))
	require.Equal(t, 5, keys.calls, "asked again once the cache entry is old")
}
