package gate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Errors of the replay store.
var (
	ErrReplay      = errors.New("ticket already used (replay)")
	ErrReplayFull  = errors.New("too many tickets in flight; try again shortly")
	ErrSignerQuota = errors.New("too many tickets in flight for this account")
	errBadNonceHex = fmt.Errorf("the nonce must be %d hex digits", 2*NonceSize)
)

// ReplayStore remembers the nonce of every ticket used until the ticket
// expires, so that a ticket works once: a check is O(1) (a map lookup, and
// whole expired minutes dropped at a time, never a scan of every nonce),
// memory is bounded (at most max nonces: tickets live at most
// MaxTicketLifetime, so max bounds the rate a vault accepts tickets at),
// and with a file the nonces survive a restart.
//
// Each nonce is kept with its signer, and one signer may hold at most a
// quota of the store at once (PerSigner, or a quota the caller gives), so
// that no single account can fill it and lock everyone else out. The
// store does not decide who may spend a nonce: the gates store a
// ticket's nonce only once the chain has said its signer is a party.
type ReplayStore struct {
	mu        sync.Mutex
	seen      map[[NonceSize]byte]nonceUse
	buckets   map[int64][][NonceSize]byte // expiry minute -> its nonces
	held      map[signerKey]int           // signer -> nonces it holds
	max       int
	perSigner int
	f         *os.File // nil: memory only
	records   int      // records in the file, for compaction
}

// signerKey names a signer in the store: the first 20 bytes of SHA-256 of
// its address, so that every entry has one fixed size.
type signerKey [20]byte

func keyOf(signer string) signerKey {
	h := sha256.Sum256([]byte(signer))
	var k signerKey
	copy(k[:], h[:])
	return k
}

type nonceUse struct {
	exp    int64 // unix seconds
	signer signerKey
}

// The file starts with replayMagic, then one record per nonce: the nonce,
// its expiry, its signer's key. A file without the magic is of the first
// format (nonce and expiry only); it is read, its nonces counted against
// no signer, and rewritten.
const (
	replayMagic    = "medchain-nonces/2\n"
	replayRecordV1 = NonceSize + 8
	replayRecord   = NonceSize + 8 + len(signerKey{})
)

// DefaultMaxNonces bounds a replay store: a million tickets in ten
// minutes, about 1,700 a second, in about 80 MB.
const DefaultMaxNonces = 1 << 20

// DefaultMaxNoncesPerSigner bounds the nonces one account holds at once
// (tickets live at most ten minutes: about 7 a second, sustained); a
// store smaller than 16 times this gives each signer a 16th of it.
const DefaultMaxNoncesPerSigner = 4096

// OpenReplayStore opens (creating) the store kept in path ("" keeps it in
// memory only), holding at most max nonces (0: DefaultMaxNonces), and at
// most PerSigner of them for one signer.
func OpenReplayStore(path string, limit int) (*ReplayStore, error) {
	if limit <= 0 {
		limit = DefaultMaxNonces
	}
	r := &ReplayStore{seen: map[[NonceSize]byte]nonceUse{}, buckets: map[int64][][NonceSize]byte{},
		held: map[signerKey]int{}, max: limit, perSigner: max(1, min(DefaultMaxNoncesPerSigner, limit/16))}
	if path == "" {
		return r, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ticket nonces: %w", err)
	}
	now := time.Now().Unix()
	br := bufio.NewReader(f)
	size := replayRecordV1
	if head, err := br.Peek(len(replayMagic)); err == nil && bytes.Equal(head, []byte(replayMagic)) {
		_, _ = br.Discard(len(replayMagic))
		size = replayRecord
	}
	rec := make([]byte, size)
	for {
		if _, err := io.ReadFull(br, rec); err != nil {
			break // EOF, or a record cut short by a crash: the rest is dropped
		}
		var n [NonceSize]byte
		copy(n[:], rec[:NonceSize])
		u := nonceUse{exp: int64(binary.BigEndian.Uint64(rec[NonceSize:]))}
		copy(u.signer[:], rec[replayRecordV1:])
		if u.exp > now {
			r.add(n, u)
		}
	}
	r.f = f
	if err := r.compact(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// Max is how many nonces the store holds at most.
func (r *ReplayStore) Max() int { return r.max }

// PerSigner is how many nonces one signer may hold at once by default.
func (r *ReplayStore) PerSigner() int { return r.perSigner }

// SetPerSigner sets PerSigner (at least 1).
func (r *ReplayStore) SetPerSigner(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.perSigner = max(n, 1)
}

// Use records nonce (hex, NonceSize bytes) as used by signer until
// expires, or fails with ErrReplay if it was used before, ErrSignerQuota
// if signer holds PerSigner nonces already, ErrReplayFull if the store is
// full.
func (r *ReplayStore) Use(signer, nonceHex string, expires, now time.Time) error {
	return r.UseWithin(signer, nonceHex, 0, expires, now)
}

// UseWithin is Use with quota (0: PerSigner) as signer's share.
func (r *ReplayStore) UseWithin(signer, nonceHex string, quota int, expires, now time.Time) error {
	var n [NonceSize]byte
	if len(nonceHex) != 2*NonceSize {
		return errBadNonceHex
	}
	if _, err := hex.Decode(n[:], []byte(nonceHex)); err != nil {
		return errBadNonceHex
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if quota <= 0 {
		quota = r.perSigner
	}
	r.prune(now.Unix())
	if _, dup := r.seen[n]; dup {
		return ErrReplay
	}
	u := nonceUse{exp: expires.Unix(), signer: keyOf(signer)}
	if r.held[u.signer] >= quota {
		return fmt.Errorf("%w (%d, its share of this vault's %d); wait for them to expire (at most %s) or be used",
			ErrSignerQuota, quota, r.max, MaxTicketLifetime)
	}
	if len(r.seen) >= r.max {
		return ErrReplayFull
	}
	r.add(n, u)
	if r.f != nil {
		var rec [replayRecord]byte
		r.encode(rec[:], n, u)
		if _, err := r.f.Write(rec[:]); err != nil {
			return fmt.Errorf("ticket nonces: %w", err)
		}
		if r.records++; r.records > 2*r.max && r.records > 4*len(r.seen) {
			return r.compact()
		}
	}
	return nil
}

// Len is the number of nonces remembered.
func (r *ReplayStore) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// Usage is the number of nonces remembered once the tickets expired by
// now are dropped, and the most the store holds: when entries reach
// capacity, every new ticket is refused with ErrReplayFull.
func (r *ReplayStore) Usage(now time.Time) (entries, capacity int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune(now.Unix())
	return len(r.seen), r.max
}

// Held is how many nonces signer holds now.
func (r *ReplayStore) Held(signer string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held[keyOf(signer)]
}

// Close closes the file.
func (r *ReplayStore) Close() error {
	if r.f == nil {
		return nil
	}
	return r.f.Close()
}

func (r *ReplayStore) add(n [NonceSize]byte, u nonceUse) {
	r.seen[n] = u
	r.held[u.signer]++
	m := u.exp / 60
	r.buckets[m] = append(r.buckets[m], n)
}

// prune drops every minute that has entirely expired.
func (r *ReplayStore) prune(now int64) {
	for m, ns := range r.buckets { // at most MaxTicketLifetime's worth of minutes
		if (m+1)*60 <= now {
			for _, n := range ns {
				if u, ok := r.seen[n]; ok {
					if r.held[u.signer]--; r.held[u.signer] <= 0 {
						delete(r.held, u.signer)
					}
					delete(r.seen, n)
				}
			}
			delete(r.buckets, m)
		}
	}
}

func (r *ReplayStore) encode(rec []byte, n [NonceSize]byte, u nonceUse) {
	copy(rec, n[:])
	binary.BigEndian.PutUint64(rec[NonceSize:], uint64(u.exp))
	copy(rec[replayRecordV1:], u.signer[:])
}

// compact rewrites the file with the live nonces only.
func (r *ReplayStore) compact() error {
	if err := r.f.Truncate(0); err != nil {
		return fmt.Errorf("ticket nonces: %w", err)
	}
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	bw := bufio.NewWriter(r.f)
	if _, err := bw.WriteString(replayMagic); err != nil {
		return err
	}
	var rec [replayRecord]byte
	for n, u := range r.seen {
		r.encode(rec[:], n, u)
		if _, err := bw.Write(rec[:]); err != nil {
			return err
		}
	}
	r.records = len(r.seen)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ticket nonces: %w", err)
	}
	return r.f.Sync()
}
