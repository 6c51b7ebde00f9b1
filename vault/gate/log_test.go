package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testEntry(id uint64, reader string, i int) Entry {
	return Entry{
		Time: time.Unix(1_700_000_000+int64(i), 0).UTC(), Reader: reader, RecordID: id, Version: uint64(i),
		CID: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", Outcome: "allow", Reason: "grant 1", Height: 42,
	}
}

func openTestLog(t testing.TB, path string) *Log {
	t.Helper()
	l, err := OpenLog(path)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// rawLine is e's line as the log wrote it before lines were bounded.
func rawLine(t testing.TB, e Entry) []byte {
	b, err := json.Marshal(e)
	require.NoError(t, err)
	return append(b, '\n')
}

func writeFile(t testing.TB, path string, chunks ...[]byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, bytes.Join(chunks, nil), 0o600))
}

func readers(es []Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Reader)
	}
	return out
}

func fileLines(t testing.TB, path string) [][]byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, len(b) == 0 || b[len(b)-1] == '\n', "the log ends with a newline")
	return bytes.Split(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\n'})
}

// A denied ticket whose CID is 590 KB of '<' once made a line over the
// reader's 1 MiB limit (each '<' escaped to \u003c), and every record's
// log unreadable for good.
func TestLogBoundsHugeCIDAttack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := openTestLog(t, path)
	require.NoError(t, l.Append(testEntry(2, "before", 1)))
	huge := strings.Repeat("<", 590<<10)
	attack := Entry{
		Time: time.Now().UTC(), Reader: "med1attacker", RecordID: 1, CID: huge, Outcome: "deny",
		Reason: fmt.Sprintf("the ticket is for %s, not %s", huge, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
	}
	require.NoError(t, l.Append(attack))
	require.NoError(t, l.Append(testEntry(1, "after", 2)))
	require.NoError(t, l.Append(testEntry(2, "after", 3)))

	check := func(l *Log) {
		other, err := l.ForRecord(2)
		require.NoError(t, err)
		require.Equal(t, []string{"before", "after"}, readers(other))
		mine, err := l.ForRecord(1)
		require.NoError(t, err)
		require.Equal(t, []string{"med1attacker", "after"}, readers(mine))
		cut := mine[0]
		require.LessOrEqual(t, len(cut.CID), MaxCIDBytes)
		require.True(t, strings.HasPrefix(cut.CID, "<<<<"), cut.CID)
		require.True(t, strings.HasSuffix(cut.CID, fmt.Sprintf("…[cut from %d bytes]", len(huge))), cut.CID)
		require.LessOrEqual(t, len(cut.Reason), MaxReasonBytes)
		require.True(t, strings.HasPrefix(cut.Reason, "the ticket is for <<<<"), cut.Reason)
		require.Equal(t, "deny", cut.Outcome)
	}
	check(l)

	lines := fileLines(t, path)
	require.Len(t, lines, 4)
	for _, line := range lines {
		require.LessOrEqual(t, len(line)+1, MaxLineBytes)
		require.NotContains(t, string(line), `\u003c`, "HTML is not escaped: the size is predictable")
	}

	require.NoError(t, l.Close())
	l = openTestLog(t, path)
	require.Zero(t, l.Skipped())
	check(l)
}

// Whatever the fields hold (escapes, invalid UTF-8, the largest numbers),
// a line stays under MaxLineBytes, and reads back.
func TestLogLineIsBoundedWhateverTheFields(t *testing.T) {
	worst := strings.Repeat("\x01\"\xff\u2028\\<", 20000)
	e := Entry{
		Time:   time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60))),
		Reader: worst, RecordID: math.MaxUint64, Version: math.MaxUint64, CID: worst, Outcome: worst, Reason: worst,
		Height: math.MinInt64, Verified: true,
	}
	line, err := encodeLine(e)
	require.NoError(t, err)
	require.LessOrEqual(t, len(line), MaxLineBytes)
	t.Logf("worst-case line: %d bytes", len(line))

	var back Entry
	require.NoError(t, json.Unmarshal(line, &back))
	require.Equal(t, uint64(math.MaxUint64), back.RecordID)
	for field, max := range map[string]int{"reader": MaxReaderBytes, "cid": MaxCIDBytes, "reason": MaxReasonBytes, "outcome": MaxOutcomeBytes} {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(line, &m))
		require.LessOrEqual(t, len(m[field])-2, max, field)
	}
	require.True(t, strings.HasSuffix(back.Reason, "bytes]"), back.Reason)
	require.True(t, strings.HasSuffix(back.Outcome, "…"), back.Outcome)

	// Values within their bounds are kept as they are.
	short := testEntry(3, "med1reader", 1)
	require.Equal(t, short, bound(short))
	require.Equal(t, strings.Repeat("a", 13)+"…", clip(strings.Repeat("a", 100), 16))
	require.Equal(t, strings.Repeat("a", 16), clip(strings.Repeat("a", 16), 16))
}

// A log damaged before the bounds existed (garbage, lines of megabytes, a
// line cut short by a crash) opens, and every good entry reads back.
func TestLogReadsADamagedLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	oldAttack := testEntry(1, "attacker", 9)
	oldAttack.CID = strings.Repeat("<", 590<<10) // written by json.Marshal: 3.5 MB
	writeFile(t, path,
		rawLine(t, testEntry(1, "a", 1)),
		[]byte("this is not json {{{\n"),
		[]byte(`{"record_id":1,"cid":"`+strings.Repeat("x", 2<<20)+"\"}\n"),
		rawLine(t, testEntry(2, "b", 2)),
		rawLine(t, oldAttack),
		[]byte("{\"time\": 5, \"record_id\": 1}\n"),
		[]byte("\n"),
		rawLine(t, testEntry(1, "c", 3)),
		[]byte(`{"time":"2024-01-01T00:00:00Z","reader":"cut sh`), // no newline: a crash
	)
	check := func(l *Log, want1 []string) {
		require.Equal(t, 5, l.Skipped(), "garbage, the 2 MiB line, the old attack line, a bad time, the cut line")
		got, err := l.ForRecord(1)
		require.NoError(t, err)
		require.Equal(t, want1, readers(got))
		got, err = l.ForRecord(2)
		require.NoError(t, err)
		require.Equal(t, []string{"b"}, readers(got))
		got, err = l.ForRecord(99)
		require.NoError(t, err)
		require.Empty(t, got)
		require.NotNil(t, got)
	}
	l := openTestLog(t, path)
	check(l, []string{"a", "c"})

	// The cut line was ended: a new line is a line of its own.
	require.NoError(t, l.Append(testEntry(1, "d", 4)))
	check(l, []string{"a", "c", "d"})
	require.NoError(t, l.Close())
	check(openTestLog(t, path), []string{"a", "c", "d"})
}

// A line damaged after the log was opened is skipped and counted.
func TestLogSkipsALineDamagedAfterOpening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := openTestLog(t, path)
	for i, r := range []string{"a", "b", "c"} {
		require.NoError(t, l.Append(testEntry(1, r, i)))
	}
	l.mu.Lock()
	middle := l.index[1].spans[1]
	l.mu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{'#'}, int(middle.n())), middle.off())
	require.NoError(t, err)
	require.NoError(t, f.Close())

	got, err := l.ReadRecord(1, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, readers(got.Entries))
	require.Equal(t, 1, got.Skipped)
}

// Appended entries are durable, and the index is rebuilt on opening.
func TestLogSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := openTestLog(t, path)
	want := map[uint64][]Entry{}
	for i := range 30 {
		e := testEntry(uint64(i%3+1), fmt.Sprintf("r%d", i), i)
		require.NoError(t, l.Append(e))
		e.Seq = uint64(len(want[e.RecordID]) + 1)
		want[e.RecordID] = append(want[e.RecordID], e)
	}
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "closing twice is harmless")
	require.ErrorIs(t, l.Append(testEntry(1, "late", 99)), ErrLogClosed)
	_, err := l.ForRecord(1)
	require.ErrorIs(t, err, ErrLogClosed)

	l = openTestLog(t, path)
	require.Zero(t, l.Skipped())
	for id, es := range want {
		got, err := l.ForRecord(id)
		require.NoError(t, err)
		require.Equal(t, es, got)
	}
	require.NoError(t, l.Append(testEntry(1, "more", 30)))
	got, err := l.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, got, 11)
	require.Equal(t, "more", got[10].Reader)
}

// Many goroutines append (and read) at once: every entry lands, each
// goroutine's in its order, and is there after reopening.
func TestLogConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := openTestLog(t, path)
	const writers, each, records = 16, 40, 4
	var wg sync.WaitGroup
	var stop atomic.Bool
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := testEntry(uint64(w%records+1), fmt.Sprintf("w%d", w), i)
				if err := l.Append(e); err != nil {
					t.Error(err)
					return
				}
				// Once Append returns, the entry is readable.
				got, err := l.ReadRecord(e.RecordID, 0)
				if err != nil || len(got.Entries) == 0 {
					t.Error("an appended entry is not read back", err)
					return
				}
			}
		})
	}
	var readersWG sync.WaitGroup
	for range 2 {
		readersWG.Go(func() {
			for !stop.Load() {
				for id := uint64(1); id <= records; id++ {
					if _, err := l.ForRecord(id); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	readersWG.Wait()

	check := func(l *Log) {
		total := 0
		for id := uint64(1); id <= records; id++ {
			got, err := l.ReadRecord(id, 0)
			require.NoError(t, err)
			require.Zero(t, got.Skipped)
			next := map[string]uint64{}
			for _, e := range got.Entries {
				require.Equal(t, id, e.RecordID)
				require.Equal(t, next[e.Reader], e.Version, "a writer's entries in its order")
				next[e.Reader]++
			}
			total += len(got.Entries)
		}
		require.Equal(t, writers*each, total)
	}
	check(l)
	l.mu.Lock()
	t.Logf("%d appends, %d fsyncs", writers*each, l.fsyncs)
	l.mu.Unlock()
	require.NoError(t, l.Close())
	require.Len(t, fileLines(t, path), writers*each)
	check(openTestLog(t, path))
}

// A record's read touches only its own lines: every other line of a large
// log is destroyed after indexing, and the read neither notices nor skips
// anything.
func TestLogForRecordReadsOnlyItsRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	var chunks [][]byte
	for i := range 10_000 {
		if i == 0 || i == 5_000 || i == 9_999 {
			chunks = append(chunks, rawLine(t, testEntry(7, fmt.Sprintf("mine%d", i), i)))
		}
		chunks = append(chunks, rawLine(t, testEntry(uint64(100+i%100), "other", i)))
	}
	writeFile(t, path, chunks...)
	l := openTestLog(t, path)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := bytes.SplitAfter(b, []byte{'\n'})
	var wrecked []byte
	for _, line := range lines {
		if len(line) > 0 && !bytes.Contains(line, []byte(`"reader":"mine`)) {
			line = append(bytes.Repeat([]byte{'#'}, len(line)-1), '\n')
		}
		wrecked = append(wrecked, line...)
	}
	require.Len(t, wrecked, len(b))
	require.NoError(t, os.WriteFile(path, wrecked, 0o600))

	got, err := l.ReadRecord(7, 0)
	require.NoError(t, err)
	require.Equal(t, []string{"mine0", "mine5000", "mine9999"}, readers(got.Entries))
	require.Zero(t, got.Skipped, "no line of another record was read")
	require.Zero(t, got.Omitted)

	got, err = l.ReadRecord(150, 0)
	require.NoError(t, err, "a record whose lines are all destroyed still reads")
	require.Empty(t, got.Entries)
	require.Equal(t, 100, got.Skipped)
}

// A read with no cursor returns a record's most recent decisions, oldest
// first, and counts the older ones; nothing is ever dropped from the
// index, so paging forward (after) or back (before) reaches every
// decision of a record far longer than a page, with no gap and no
// repeat, however the other records' lines are interleaved.
func TestLogPagesThroughEveryDecision(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	const n = 2*MaxEntries + 5
	var chunks [][]byte
	for i := range n {
		chunks = append(chunks, rawLine(t, testEntry(1, "r", i)))
		if i%1000 == 0 {
			chunks = append(chunks, rawLine(t, testEntry(2, "s", i)))
		}
	}
	writeFile(t, path, chunks...)
	l := openTestLog(t, path)

	got, err := l.ReadRecord(1, 0)
	require.NoError(t, err)
	require.Len(t, got.Entries, MaxEntries)
	require.Equal(t, uint64(n-MaxEntries), got.Omitted)
	require.Equal(t, uint64(n-MaxEntries), got.Entries[0].Version)
	require.Equal(t, uint64(n-MaxEntries+1), got.Entries[0].Seq)
	require.Equal(t, uint64(n-1), got.Entries[MaxEntries-1].Version)

	got, err = l.ReadRecord(1, 3)
	require.NoError(t, err)
	require.Equal(t, uint64(n-3), got.Omitted)
	require.Equal(t, uint64(n-3), got.Entries[0].Version)

	// Forward from the first, 7,000 a page.
	var versions []uint64
	var pages int
	for c := (Cursor{After: new(uint64), Limit: 7000}); ; pages++ {
		p, err := l.ReadPage(1, c)
		require.NoError(t, err)
		require.Equal(t, uint64(n), p.Total)
		for _, e := range p.Entries {
			require.Equal(t, uint64(len(versions)+1), e.Seq)
			versions = append(versions, e.Version)
		}
		next, ok := p.NextAfter()
		if !ok {
			break
		}
		c.After = &next
	}
	require.Equal(t, 2, pages)
	require.Len(t, versions, n)
	for i, v := range versions {
		require.Equal(t, uint64(i), v)
	}

	// Back from the most recent, 9,000 a page.
	seen := 0
	p, err := l.ReadPage(1, Cursor{Limit: 9000})
	require.NoError(t, err)
	for {
		for i, e := range p.Entries {
			require.Equal(t, p.From+uint64(i)+1, e.Seq)
			require.Equal(t, e.Seq-1, e.Version)
		}
		seen += len(p.Entries)
		before, ok := p.NextBefore()
		if !ok {
			break
		}
		p, err = l.ReadPage(1, Cursor{Before: before, Limit: 9000})
		require.NoError(t, err)
	}
	require.Equal(t, n, seen)
	p, err = l.ReadPage(1, Cursor{After: new(uint64(n)), Limit: 10})
	require.NoError(t, err)
	require.Empty(t, p.Entries, "after the last: an empty page")
	_, more := p.NextAfter()
	require.False(t, more)

	require.NoError(t, l.Append(testEntry(1, "new", n)))
	es, err := l.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, es, MaxEntries)
	require.Equal(t, "new", es[MaxEntries-1].Reader)
	require.Equal(t, uint64(n+1), es[MaxEntries-1].Seq)
	es, err = l.ForRecord(2)
	require.NoError(t, err)
	require.Len(t, es, (n+999)/1000)
}

// BenchmarkAppend appends from many goroutines at once, as concurrent
// reads of the vault do; appends/fsync shows the group commit.
func BenchmarkAppend(b *testing.B) {
	l := openTestLog(b, filepath.Join(b.TempDir(), "access.log"))
	b.SetParallelism(32)
	var n atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			e := testEntry(i%100, "med1reader", int(i))
			e.Outcome, e.Reason = "deny", "med1reader may not read record: no live READ grant"
			if err := l.Append(e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	l.mu.Lock()
	if l.fsyncs > 0 {
		b.ReportMetric(float64(l.written)/float64(l.fsyncs), "appends/fsync")
	}
	l.mu.Unlock()
}

// BenchmarkForRecord reads a record's 100 decisions out of a log of
// 100,000 (the rest a flood of denials about other records).
func BenchmarkForRecord(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.log")
	var chunks [][]byte
	for i := range 100_000 {
		id := uint64(1000 + i%1000)
		if i%1000 == 0 {
			id = 7
		}
		chunks = append(chunks, rawLine(b, testEntry(id, "med1reader", i)))
	}
	writeFile(b, path, chunks...)
	l := openTestLog(b, path)
	for b.Loop() {
		es, err := l.ForRecord(7)
		if err != nil || len(es) != 100 {
			b.Fatal(len(es), err)
		}
	}
}
