package gate

import (
	"bufio"
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
	errBadNonceHex = fmt.Errorf("the nonce must be %d hex digits", 2*NonceSize)
)

// ReplayStore remembers the nonce of every ticket used until the ticket
// expires, so that a ticket works once: a check is O(1) (a map lookup, and
// whole expired minutes dropped at a time, never a scan of every nonce),
// memory is bounded (at most max nonces: tickets live at most
// MaxTicketLifetime, so max bounds the rate a vault accepts tickets at),
// and with a file the nonces survive a restart.
type ReplayStore struct {
	mu      sync.Mutex
	seen    map[[NonceSize]byte]int64   // nonce -> expiry (unix seconds)
	buckets map[int64][][NonceSize]byte // expiry minute -> its nonces
	max     int
	f       *os.File // nil: memory only
	records int      // records in the file, for compaction
}

// replayRecord is one nonce in the file: the nonce, then its expiry.
const replayRecord = NonceSize + 8

// DefaultMaxNonces bounds a replay store: a million tickets in ten
// minutes, about 1,700 a second, in about 60 MB.
const DefaultMaxNonces = 1 << 20

// OpenReplayStore opens (creating) the store kept in path ("" keeps it in
// memory only), holding at most max nonces (0: DefaultMaxNonces).
func OpenReplayStore(path string, max int) (*ReplayStore, error) {
	if max <= 0 {
		max = DefaultMaxNonces
	}
	r := &ReplayStore{seen: map[[NonceSize]byte]int64{}, buckets: map[int64][][NonceSize]byte{}, max: max}
	if path == "" {
		return r, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ticket nonces: %w", err)
	}
	now := time.Now().Unix()
	br := bufio.NewReader(f)
	var rec [replayRecord]byte
	for {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			break // EOF, or a record cut short by a crash: the rest is dropped
		}
		var n [NonceSize]byte
		copy(n[:], rec[:NonceSize])
		if exp := int64(binary.BigEndian.Uint64(rec[NonceSize:])); exp > now {
			r.add(n, exp)
		}
	}
	r.f = f
	if err := r.compact(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// Use records nonce (hex, NonceSize bytes) as used until expires, or
// fails with ErrReplay if it was used before, ErrReplayFull if the store
// is full.
func (r *ReplayStore) Use(nonceHex string, expires, now time.Time) error {
	var n [NonceSize]byte
	if len(nonceHex) != 2*NonceSize {
		return errBadNonceHex
	}
	if _, err := hex.Decode(n[:], []byte(nonceHex)); err != nil {
		return errBadNonceHex
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune(now.Unix())
	if _, dup := r.seen[n]; dup {
		return ErrReplay
	}
	if len(r.seen) >= r.max {
		return ErrReplayFull
	}
	exp := expires.Unix()
	r.add(n, exp)
	if r.f != nil {
		var rec [replayRecord]byte
		copy(rec[:], n[:])
		binary.BigEndian.PutUint64(rec[NonceSize:], uint64(exp))
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

// Close closes the file.
func (r *ReplayStore) Close() error {
	if r.f == nil {
		return nil
	}
	return r.f.Close()
}

func (r *ReplayStore) add(n [NonceSize]byte, exp int64) {
	r.seen[n] = exp
	m := exp / 60
	r.buckets[m] = append(r.buckets[m], n)
}

// prune drops every minute that has entirely expired.
func (r *ReplayStore) prune(now int64) {
	for m, ns := range r.buckets { // at most MaxTicketLifetime's worth of minutes
		if (m+1)*60 <= now {
			for _, n := range ns {
				delete(r.seen, n)
			}
			delete(r.buckets, m)
		}
	}
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
	var rec [replayRecord]byte
	for n, exp := range r.seen {
		copy(rec[:], n[:])
		binary.BigEndian.PutUint64(rec[NonceSize:], uint64(exp))
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
