package gate

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// StrangerLog keeps the gate's refusals of readers the chain does not
// know as parties to what they asked for: signers with no grant on the
// record (anyone can make a key and sign a ticket for free), hospitals a
// CID is not placed on, and requests the chain could not be asked about.
// Such refusals stay out of the owner's log of the record, so that no
// flood of them can crowd a real read out of it, and this log is bounded
// instead: each signer logs at most PerSignerPerHour refusals an hour
// (more are only counted, Suppressed), and the log keeps two files of at
// most LinesPerFile lines (the current one and the one before, ".1"), so
// it never holds more than 2*LinesPerFile lines (each at most
// MaxLineBytes). Its lines are not fsynced: a crash may lose the last
// few, which is all it costs anyone. A record's owner is shown the most
// recent of them about the record (MaxStrangerEntriesShown).
type StrangerLog struct {
	path   string
	limits StrangerLimits
	now    func() time.Time

	mu    sync.RWMutex // Lock to rotate; RLock to append or read
	cur   *Log
	prev  *Log
	lines atomic.Uint64 // lines in cur

	qmu        sync.Mutex
	hour       int64
	counts     map[string]int // signer -> refusals logged this hour
	suppressed atomic.Uint64
}

// StrangerLimits bound a StrangerLog.
type StrangerLimits struct {
	// PerSignerPerHour bounds the refusals one signer logs in a clock hour.
	PerSignerPerHour int
	// LinesPerFile bounds each of the two files; it also bounds how many
	// signers' shares are counted at once.
	LinesPerFile int
}

// DefaultStrangerLimits: 100 refusals per signer an hour, 50,000 lines a
// file (100,000 kept, a few tens of MB).
var DefaultStrangerLimits = StrangerLimits{PerSignerPerHour: 100, LinesPerFile: 50_000}

// MaxStrangerEntriesShown is how many of a record's most recent strangers'
// refusals its owner is shown.
const MaxStrangerEntriesShown = 100

// OpenStrangerLog opens (creating) the log at path (and path+".1"),
// within limits (a zero field takes DefaultStrangerLimits').
func OpenStrangerLog(path string, limits StrangerLimits) (*StrangerLog, error) {
	if limits.PerSignerPerHour <= 0 {
		limits.PerSignerPerHour = DefaultStrangerLimits.PerSignerPerHour
	}
	if limits.LinesPerFile <= 0 {
		limits.LinesPerFile = DefaultStrangerLimits.LinesPerFile
	}
	s := &StrangerLog{path: path, limits: limits, now: time.Now, counts: map[string]int{}}
	var err error
	if s.prev, err = openLog(path+".1", true); err != nil {
		return nil, err
	}
	if s.cur, err = openLog(path, true); err != nil {
		s.prev.Close()
		return nil, err
	}
	s.lines.Store(s.cur.Lines())
	return s, nil
}

// Append logs e, unless its reader has logged its share this hour (then
// it is only counted, and logged is false).
func (s *StrangerLog) Append(e Entry) (logged bool, err error) {
	if !s.admit(e.Reader) {
		s.suppressed.Add(1)
		return false, nil
	}
	s.mu.RLock()
	err = s.cur.Append(e)
	n := s.lines.Add(1)
	s.mu.RUnlock()
	if err != nil {
		return false, err
	}
	if n >= uint64(s.limits.LinesPerFile) {
		return true, s.rotate()
	}
	return true, nil
}

// admit counts one refusal of signer in the current hour, if within its
// share.
func (s *StrangerLog) admit(signer string) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if h := s.now().Unix() / 3600; h != s.hour {
		s.hour, s.counts = h, map[string]int{}
	}
	n, seen := s.counts[signer]
	if n >= s.limits.PerSignerPerHour {
		return false
	}
	if !seen && len(s.counts) >= s.limits.LinesPerFile {
		// More signers this hour than a file holds lines: the counts start
		// over, so that their memory stays bounded. (Fresh keys cost
		// nothing, so the share bounds one key's flood, not many keys';
		// the two files bound those.)
		s.counts = map[string]int{}
	}
	s.counts[signer] = n + 1
	return true
}

// rotate makes the current file the previous one (dropping the one
// before) and starts a new one, unless another Append just did.
func (s *StrangerLog) rotate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lines.Load() < uint64(s.limits.LinesPerFile) {
		return nil
	}
	err := errors.Join(s.cur.Close(), s.prev.Close())
	if rerr := os.Rename(s.path, s.path+".1"); rerr != nil {
		err = errors.Join(err, rerr)
	}
	var oerr error
	if s.prev, oerr = openLog(s.path+".1", true); oerr != nil {
		err = errors.Join(err, oerr)
	}
	if s.cur, oerr = openLog(s.path, true); oerr != nil {
		err = errors.Join(err, oerr)
	}
	s.lines.Store(0)
	if err != nil {
		return fmt.Errorf("strangers' log %s: rotating: %w", s.path, err)
	}
	return nil
}

// ForRecord returns the most recent (at most MaxStrangerEntriesShown)
// refusals kept about record id, oldest first.
func (s *StrangerLog) ForRecord(id uint64) ([]Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	older, err := s.prev.ReadPage(id, Cursor{Limit: MaxStrangerEntriesShown})
	if err != nil {
		return nil, err
	}
	newer, err := s.cur.ReadPage(id, Cursor{Limit: MaxStrangerEntriesShown})
	if err != nil {
		return nil, err
	}
	all := append(older.Entries, newer.Entries...)
	all = all[len(all)-min(len(all), MaxStrangerEntriesShown):]
	for i := range all {
		all[i].Seq = 0 // a place in a file that rotates away: no cursor
	}
	return all, nil
}

// Lines is how many lines the log keeps now, in both files.
func (s *StrangerLog) Lines() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur.Lines() + s.prev.Lines()
}

// Suppressed is how many refusals were counted but not logged, their
// signers over their share, since the log was opened.
func (s *StrangerLog) Suppressed() uint64 { return s.suppressed.Load() }

// Close closes both files.
func (s *StrangerLog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.cur.Close(), s.prev.Close())
}
