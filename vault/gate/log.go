package gate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Entry is one decision of the gate.
type Entry struct {
	Time   time.Time `json:"time"`
	Reader string    `json:"reader"`
	// Practitioner is whom an organisation's ticket read for.
	Practitioner string `json:"practitioner,omitempty"`
	RecordID     uint64 `json:"record_id"`
	Version      uint64 `json:"version,omitempty"`
	CID          string `json:"cid"`
	Outcome      string `json:"outcome"` // allow or deny
	Reason       string `json:"reason"`
	Height       int64  `json:"height,omitempty"`
	Verified     bool   `json:"verified"`
	// Seq is the entry's place among its record's decisions (1 for the
	// first), set when it is read back (never written): the cursor the
	// owner pages with.
	Seq uint64 `json:"seq,omitempty"`
}

// Bounds of an entry's string fields, in bytes of their JSON encoding (an
// escaped character counts as its escape). Longer values are cut, and end
// with a marker saying so: a decision is still logged, but no field,
// whatever a ticket or an error message holds, can make its line large.
const (
	MaxReaderBytes  = 128
	MaxCIDBytes     = 128
	MaxReasonBytes  = 512
	MaxOutcomeBytes = 16
)

// MaxLineBytes bounds a line the log writes (the bounded fields above and
// the fixed ones come to well under it).
const MaxLineBytes = 4 << 10

// maxReadLine bounds a line the log reads back: lines written before the
// bounds existed may be longer than MaxLineBytes; longer ones are skipped.
const maxReadLine = 64 << 10

// MaxEntries is how many of a record's decisions one page holds at most;
// the owner pages through the others (Cursor).
const MaxEntries = 10000

// ErrLogClosed is returned by a closed log.
var ErrLogClosed = errors.New("access log is closed")

// Log is an append-only file of decisions, one JSON line each. An Append
// returns once its line is on disk (fsynced); concurrent Appends share one
// fsync (group commit). An in-memory index, built by one scan when the log
// is opened, maps each record to the offsets of all its lines (8 bytes a
// line), so any page of a record's decisions is read without scanning the
// file or holding the append lock, and none is ever out of the owner's
// reach.
type Log struct {
	path string
	f    *os.File // append handle
	rf   *os.File // read handle (ReadAt only: safe concurrently)

	mu      sync.Mutex
	cond    *sync.Cond // signalled when a sync ends
	size    int64      // the file's size: the offset of the next line
	written uint64     // lines written
	synced  uint64     // lines known durable (and indexed)
	syncing bool       // an Append is fsyncing, without mu
	fsyncs  uint64     // fsyncs run (for tests and benchmarks)
	pending []pendingLine
	index   map[uint64]*recordLines
	lines   uint64 // lines in the file (entries and skipped ones)
	skipped int    // damaged lines found when the log was opened
	err     error  // sticky: a failed write or fsync leaves the log unusable
	closed  bool
	noSync  bool // lines are indexed when written, never fsynced
}

// span is where a line is in the file, without its newline: its offset in
// the high 44 bits (16 TiB), its length in the low 20 (lines longer than
// maxReadLine are never indexed).
type span uint64

func mkspan(off int64, n int) span { return span(uint64(off)<<20 | uint64(n)) }
func (s span) off() int64          { return int64(s >> 20) }
func (s span) n() int64            { return int64(s & (1<<20 - 1)) }
func (s span) end() int64          { return s.off() + s.n() }

type pendingLine struct {
	seq uint64
	id  uint64
	at  span
}

// recordLines are a record's lines, oldest first. An element is never
// modified once appended, so a reader may keep a sub-slice after
// releasing the lock.
type recordLines struct {
	spans []span
}

// OpenLog opens (creating) the log at path for appending, and indexes it.
// Lines that cannot be read (damaged, or longer than a line can be) are
// skipped and counted (see Skipped); they never make the log unreadable.
func OpenLog(path string) (*Log, error) { return openLog(path, false) }

// openLog is OpenLog; with noSync, an Append returns once its line is
// written, without waiting for an fsync (for the strangers' log, which
// may lose its last lines in a crash).
func openLog(path string, noSync bool) (*Log, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// Make the new file's name durable too (best effort: not every
		// file system syncs directories).
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	rf, err := os.Open(path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("access log: %w", err)
	}
	l := &Log{path: path, f: f, rf: rf, index: map[uint64]*recordLines{}, noSync: noSync}
	l.cond = sync.NewCond(&l.mu)
	if err := l.load(); err != nil {
		f.Close()
		rf.Close()
		return nil, fmt.Errorf("access log %s: %w", path, err)
	}
	return l, nil
}

// load indexes the file, and ends a last line cut short (by a crash) with
// a newline, so the next line is a line of its own.
func (l *Log) load() error {
	st, err := l.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	br := bufio.NewReaderSize(io.NewSectionReader(l.rf, 0, size), maxReadLine)
	var off int64
	last := byte('\n')
	for {
		line, err := br.ReadSlice('\n')
		n := int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) { // too long: skip it
				line, err = br.ReadSlice('\n')
				n += int64(len(line))
			}
			l.skipped++
			l.lines++
		} else if n > 0 {
			l.indexLine(line, off)
		}
		if n > 0 {
			last = line[len(line)-1]
		}
		off += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if off != size {
		return fmt.Errorf("read %d of %d bytes", off, size)
	}
	l.size = size
	if last != '\n' {
		if _, err := l.f.Write([]byte{'\n'}); err != nil {
			return err
		}
		if err := l.f.Sync(); err != nil {
			return err
		}
		l.size++
	}
	return nil
}

// indexLine indexes the line at off (with or without its newline), or
// counts it as skipped if it is not an entry.
func (l *Log) indexLine(line []byte, off int64) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	l.lines++
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		l.skipped++
		return
	}
	l.add(e.RecordID, mkspan(off, len(line)))
}

func (l *Log) add(id uint64, s span) {
	r := l.index[id]
	if r == nil {
		r = &recordLines{}
		l.index[id] = r
	}
	r.spans = append(r.spans, s)
}

// Lines is how many lines the log holds (entries, and damaged lines
// skipped when it was opened).
func (l *Log) Lines() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

// Skipped is how many damaged lines were skipped when the log was opened.
func (l *Log) Skipped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.skipped
}

// Append writes e, its fields bounded (see MaxReasonBytes and the others),
// and returns once it is on disk.
func (l *Log) Append(e Entry) error {
	line, err := encodeLine(e)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLogClosed
	}
	if l.err != nil {
		return l.err
	}
	off := l.size
	n, err := l.f.Write(line)
	if err != nil {
		if n > 0 {
			// Part of a line is in the file: what follows could join it.
			l.err = fmt.Errorf("access log %s: write: %w", l.path, err)
			return l.err
		}
		return fmt.Errorf("access log %s: write: %w", l.path, err)
	}
	l.size += int64(n)
	l.written++
	l.lines++
	seq := l.written
	l.pending = append(l.pending, pendingLine{seq, e.RecordID, mkspan(off, len(line)-1)})
	if l.noSync {
		l.commit(seq)
		return nil
	}

	// Group commit: whoever finds no fsync under way runs one, for every
	// line written so far; the others wait for it.
	for l.synced < seq {
		if l.err != nil {
			return l.err
		}
		if l.syncing {
			l.cond.Wait()
			continue
		}
		// (While Close waits for an fsync under way, a waiter may still
		// lead one: Close waits for it too, and closes the file after.)
		target := l.written
		l.syncing = true
		l.mu.Unlock()
		err := l.f.Sync()
		l.mu.Lock()
		l.syncing = false
		l.fsyncs++
		if err != nil {
			// The kernel may have dropped the unsynced pages: a later
			// fsync proves nothing about them. Fail closed.
			l.err = fmt.Errorf("access log %s: fsync: %w", l.path, err)
		} else {
			l.commit(target)
		}
		l.cond.Broadcast()
	}
	return nil
}

// commit indexes the pending lines up to seq, now durable.
func (l *Log) commit(seq uint64) {
	i := 0
	for ; i < len(l.pending) && l.pending[i].seq <= seq; i++ {
		l.add(l.pending[i].id, l.pending[i].at)
	}
	l.pending = append(l.pending[:0], l.pending[i:]...)
	l.synced = seq
}

// RecordLog is what the log holds of a record.
type RecordLog struct {
	Entries []Entry // the most recent decisions, oldest first
	Omitted uint64  // older decisions, left out by the limit
	Skipped int     // lines of the record that could not be read back
}

// ReadRecord returns the most recent limit (at most MaxEntries; 0 or less:
// MaxEntries) decisions about record id, oldest first. A line that cannot
// be read back is skipped and counted, never an error.
func (l *Log) ReadRecord(id uint64, limit int) (RecordLog, error) {
	p, err := l.ReadPage(id, Cursor{Limit: limit})
	return RecordLog{Entries: p.Entries, Omitted: p.From, Skipped: p.Skipped}, err
}

// Cursor says which page of a record's decisions to read. Decisions are
// numbered from 1 (Entry.Seq) in the order they were logged; a page is
// always oldest first.
type Cursor struct {
	// After, when set, asks for the decisions after the After-th (0: from
	// the first): paging forward with Page.NextAfter reaches every one.
	After *uint64
	// Before, when not 0, asks for the most recent decisions before the
	// Before-th: paging back with Page.NextBefore. With neither, the page
	// is the most recent decisions.
	Before uint64
	// Limit bounds the page (0 or less, or more than MaxEntries:
	// MaxEntries).
	Limit int
}

// Page is one page of a record's decisions.
type Page struct {
	Entries []Entry // oldest first, each with its Seq
	Total   uint64  // the record's decisions in the log
	From    uint64  // decisions before the page (older, left out)
	To      uint64  // decisions up to the page's end: Total-To newer ones are left out
	Skipped int     // lines of the page that could not be read back
}

// NextAfter is the After of the next (newer) page, if there is one.
func (p Page) NextAfter() (uint64, bool) { return p.To, p.To < p.Total }

// NextBefore is the Before of the previous (older) page, if there is one.
func (p Page) NextBefore() (uint64, bool) { return p.From + 1, p.From > 0 }

// ReadPage returns the page c asks for of record id's decisions. A line
// that cannot be read back is skipped and counted, never an error.
func (l *Log) ReadPage(id uint64, c Cursor) (Page, error) {
	limit := c.Limit
	if limit <= 0 || limit > MaxEntries {
		limit = MaxEntries
	}
	out := Page{Entries: []Entry{}}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return out, ErrLogClosed
	}
	var spans []span
	if r := l.index[id]; r != nil {
		spans = r.spans[:len(r.spans):len(r.spans)]
	}
	l.mu.Unlock()

	total := uint64(len(spans))
	lo, hi := uint64(0), total
	switch {
	case c.After != nil:
		lo = min(*c.After, total)
		hi = min(lo+uint64(limit), total)
	case c.Before != 0:
		hi = min(c.Before-1, total)
		fallthrough
	default:
		lo = hi - min(hi, uint64(limit))
	}
	out.Total, out.From, out.To = total, lo, hi
	spans = spans[lo:hi]

	// Read without the lock; lines close together in one ReadAt.
	const maxGap, maxChunk = 4 << 10, 256 << 10
	var buf []byte
	for i := 0; i < len(spans); {
		start, end := spans[i].off(), spans[i].end()
		j := i + 1
		for ; j < len(spans); j++ {
			s := spans[j]
			if s.off() < end || s.off()-end > maxGap || s.end()-start > maxChunk {
				break
			}
			end = s.end()
		}
		if int64(cap(buf)) < end-start {
			buf = make([]byte, end-start)
		}
		buf = buf[:end-start]
		n, err := l.rf.ReadAt(buf, start)
		if err != nil && err != io.EOF {
			return Page{Entries: []Entry{}}, fmt.Errorf("access log %s: %w", l.path, err)
		}
		for k, s := range spans[i:j] {
			lo2, hi2 := s.off()-start, s.end()-start
			var e Entry
			if hi2 > int64(n) || json.Unmarshal(buf[lo2:hi2], &e) != nil || e.RecordID != id {
				out.Skipped++
				continue
			}
			e = bound(e)
			e.Seq = lo + uint64(i+k) + 1
			out.Entries = append(out.Entries, e)
		}
		i = j
	}
	return out, nil
}

// ForRecord returns the most recent MaxEntries decisions about a record,
// oldest first (ReadRecord says how many were left out).
func (l *Log) ForRecord(id uint64) ([]Entry, error) {
	r, err := l.ReadRecord(id, MaxEntries)
	return r.Entries, err
}

// Close syncs what was written, and closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for l.syncing {
		l.cond.Wait()
	}
	var err error
	if l.err == nil && l.synced < l.written {
		l.fsyncs++
		if err = l.f.Sync(); err != nil {
			l.err = fmt.Errorf("access log %s: fsync: %w", l.path, err)
		} else {
			l.commit(l.written)
		}
	}
	l.cond.Broadcast()
	return errors.Join(err, l.f.Close(), l.rf.Close())
}

// encodeLine is e's line: its fields bounded, HTML left unescaped, so its
// size is predictable.
func encodeLine(e Entry) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	e.Seq = 0 // a place in the log, never written
	if err := enc.Encode(bound(e)); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	if b.Len() > MaxLineBytes { // cannot happen: the fields are bounded
		return nil, fmt.Errorf("access log: a line of %d bytes", b.Len())
	}
	return b.Bytes(), nil
}

// bound cuts e's string fields to their bounds.
func bound(e Entry) Entry {
	e.Reader = clip(e.Reader, MaxReaderBytes)
	e.Practitioner = clip(e.Practitioner, MaxReaderBytes)
	e.CID = clip(e.CID, MaxCIDBytes)
	e.Reason = clip(e.Reason, MaxReasonBytes)
	e.Outcome = clip(e.Outcome, MaxOutcomeBytes)
	return e
}

// clip returns s if its JSON encoding (without quotes) is at most max
// bytes; else a prefix of it, ending with a marker, that is.
func clip(s string, max int) string {
	if jsonLen(s) <= max {
		return s
	}
	marker := "…[cut from " + strconv.Itoa(len(s)) + " bytes]"
	if len(marker) > max/2 {
		marker = "…"
	}
	budget := max - len(marker)
	cost, i := 0, 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		c := runeJSONLen(r, n)
		if cost+c > budget {
			break
		}
		cost += c
		i += n
	}
	return s[:i] + marker
}

// jsonLen bounds the length of s's JSON encoding, quotes left out.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, k := utf8.DecodeRuneInString(s[i:])
		n += runeJSONLen(r, k)
		i += k
	}
	return n
}

// runeJSONLen bounds the encoded length of a rune of n bytes, as written
// by encoding/json without HTML escaping.
func runeJSONLen(r rune, n int) int {
	switch {
	case r == utf8.RuneError && n == 1: // invalid UTF-8: \ufffd
		return 6
	case r < 0x20: // \n, \r, \t, or \u00XX
		return 6
	case r == '"' || r == '\\':
		return 2
	case r == '\u2028' || r == '\u2029':
		return 6
	}
	return n
}
