package gate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"
)

// logPage is the owner's view of a record's log, one page of it.
type logPage struct {
	Entries    []Entry `json:"entries"`
	Total      uint64  `json:"total"`
	Omitted    uint64  `json:"omitted"`
	NextAfter  *uint64 `json:"next_after"`
	NextBefore *uint64 `json:"next_before"`
	Strangers  *struct {
		Entries []Entry `json:"entries"`
	} `json:"stranger_denials"`
}

// askLog asks g for record 1's log as a, with query (limit, after, before).
func askLog(t *testing.T, g *Gate, a account, query string) (int, logPage, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/v1/access-log?record=1"+query, nil)
	r.Header.Set(Header, a.ticket(t, PurposeLog, 1, ""))
	w := httptest.NewRecorder()
	g.LogHandler().ServeHTTP(w, r)
	var p logPage
	if w.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), w.Body.String())
	}
	return w.Code, p, w.Body.String()
}

// TestPoisonedLogHidesNothingFromTheOwner is the log-poisoning attack: ten
// thousand validly signed tickets of accounts the chain does not know as
// readers of a record, each denied. Denials were logged under the record
// without bound, so they pushed the one real "allow" out of what its owner
// saw. Now they go to a bounded log of their own, the owner's log of the
// record keeps the decisions about its parties, the owner still sees the
// real read, and paging (after=) reaches every entry of the owner's log.
func TestPoisonedLogHidesNothingFromTheOwner(t *testing.T) {
	owner, reader := newAccount(), newAccount()
	root := cid.NewCidV1(cid.Raw, mustHash(t, "payload"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	t.Cleanup(func() { log.Close() })
	g := New(fakeChain{owner: owner.addr, versions: []string{root.String()}, readers: map[string]bool{reader.addr: true}}, log)
	read := func(a account) int {
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+root.String(), nil)
		r.Header.Set(Header, a.ticket(t, PurposeRead, 1, root.String()))
		if err := g.AllowRead(r, root); err != nil {
			return err.(*GateError).Status
		}
		return http.StatusOK
	}
	require.Equal(t, http.StatusOK, read(reader), "the one real read")

	// Ten thousand denials: fifty strangers, two hundred tickets each.
	const strangers, each = 50, 200
	var wg sync.WaitGroup
	jobs := make(chan account)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				if s := read(a); s != http.StatusForbidden {
					t.Errorf("a stranger's read: %d", s)
				}
			}
		}()
	}
	for range strangers {
		a := newAccount()
		for range each {
			jobs <- a
		}
	}
	close(jobs)
	wg.Wait()

	// The owner's view, as the CLI and the portal ask for it (no cursor):
	// the real read is there.
	status, page, body := askLog(t, g, owner, "")
	require.Equal(t, http.StatusOK, status, body)
	require.True(t, hasAllowOf(page.Entries, reader.addr), "the owner sees the real read among %d entries (%d omitted)", len(page.Entries), page.Omitted)
	for _, e := range page.Entries {
		require.Contains(t, []string{reader.addr, owner.addr}, e.Reader, "no stranger's denial in the owner's log of the record")
	}
	require.NotNil(t, page.Strangers, "the owner is shown the strangers' denials apart")
	require.NotEmpty(t, page.Strangers.Entries)
	require.LessOrEqual(t, len(page.Strangers.Entries), MaxStrangerEntriesShown)

	// Paging from the start reaches every entry of the owner's log, in
	// order, with a small page.
	var all []Entry
	after := uint64(0)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "paging ends")
		status, page, body = askLog(t, g, owner, fmt.Sprintf("&limit=2&after=%d", after))
		require.Equal(t, http.StatusOK, status, body)
		all = append(all, page.Entries...)
		if page.NextAfter == nil {
			break
		}
		after = *page.NextAfter
	}
	require.Len(t, all, int(page.Total))
	for i, e := range all {
		require.Equal(t, uint64(i+1), e.Seq, "entry %d", i)
	}
	require.True(t, hasAllowOf(all, reader.addr))
}

func hasAllowOf(es []Entry, reader string) bool {
	for _, e := range es {
		if e.Outcome == "allow" && e.Reader == reader {
			return true
		}
	}
	return false
}

// TestStrangerLogIsBounded: one signer logs at most its share an hour
// (more are only counted), the log keeps two files of at most
// LinesPerFile lines whatever the flood, the owner is shown the most
// recent refusals about the record, and a new hour gives each signer its
// share again.
func TestStrangerLogIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strangers.log")
	s, err := OpenStrangerLog(path, StrangerLimits{PerSignerPerHour: 5, LinesPerFile: 40})
	require.NoError(t, err)
	defer s.Close()
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	deny := func(reader string, i int) bool {
		e := testEntry(1, reader, i)
		e.Outcome = "deny"
		logged, err := s.Append(e)
		require.NoError(t, err)
		return logged
	}
	for i := range 5 {
		require.True(t, deny("mallory", i))
	}
	require.False(t, deny("mallory", 5), "over its share this hour")
	require.Equal(t, uint64(1), s.Suppressed())

	// Two hundred signers, five refusals each: a thousand logged, at most
	// eighty kept.
	for k := range 200 {
		for i := range 5 {
			deny(fmt.Sprintf("stranger-%d", k), i)
		}
		require.LessOrEqual(t, s.Lines(), uint64(80))
	}
	got, err := s.ForRecord(1)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(got), 40, "a full file and the current one")
	require.LessOrEqual(t, len(got), 80)
	require.Equal(t, "stranger-199", got[len(got)-1].Reader, "the most recent are kept")
	for _, f := range []string{path, path + ".1"} {
		require.LessOrEqual(t, len(fileLines(t, f)), 40)
	}

	now = now.Add(time.Hour)
	require.True(t, deny("mallory", 6), "a new hour, a new share")

	// Reopened, it carries on with what it kept.
	require.NoError(t, s.Close())
	s, err = OpenStrangerLog(path, StrangerLimits{PerSignerPerHour: 5, LinesPerFile: 40})
	require.NoError(t, err)
	got, err = s.ForRecord(1)
	require.NoError(t, err)
	require.Equal(t, "mallory", got[len(got)-1].Reader)
}
