package accessgate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Entry is one decision of the gate.
type Entry struct {
	Time     time.Time `json:"time"`
	Reader   string    `json:"reader"`
	RecordID uint64    `json:"record_id"`
	Version  uint64    `json:"version,omitempty"`
	CID      string    `json:"cid"`
	Outcome  string    `json:"outcome"` // allow or deny
	Reason   string    `json:"reason"`
	Height   int64     `json:"height,omitempty"`
	Verified bool      `json:"verified"`
}

// Log is an append-only file of decisions, one JSON line each, synced
// before the decision takes effect.
type Log struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenLog opens (creating) the log at path for appending.
func OpenLog(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	return &Log{path: path, f: f}, nil
}

// Append writes e and syncs it.
func (l *Log) Append(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return l.f.Sync()
}

// ForRecord returns the decisions about a record, oldest first.
func (l *Log) ForRecord(id uint64) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := []Entry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("access log %s is damaged: %w", l.path, err)
		}
		if e.RecordID == id {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// Close closes the log.
func (l *Log) Close() error { return l.f.Close() }
