package gate

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"
)

// floodStoreSize is the replay store of the flood tests: small, so that a
// flood that could fill the real one (DefaultMaxNonces) fills this one.
const floodStoreSize = 64

// TestNonceFloodLeavesHonestReadsServed is the nonce-flood attack: tickets
// that verify (each signed by its own signer) but come from accounts the
// chain does not let read the record. Their nonces used to be stored
// before the chain was asked, so a flood of them filled the bounded replay
// store and every read, the honest reader's too, was answered 503. Then
// one account the chain does let read floods its own tickets: it may not
// take more than its share of the store. Through both, the honest reader
// is served; and so is a hospital's replica read.
func TestNonceFloodLeavesHonestReadsServed(t *testing.T) {
	owner, reader, mallory, hospital := newAccount(), newAccount(), newAccount(), newAccount()
	root := cid.NewCidV1(cid.Raw, mustHash(t, "payload"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	replay, err := OpenReplayStore(filepath.Join(t.TempDir(), "read-nonces"), floodStoreSize)
	require.NoError(t, err)
	replay.SetPerSigner(8)
	chain := fakeChain{owner: owner.addr, versions: []string{root.String()},
		readers: map[string]bool{reader.addr: true, mallory.addr: true}, hospitals: map[string]bool{hospital.addr: true}}
	strangers, err := OpenStrangerLog(filepath.Join(t.TempDir(), "strangers.log"), StrangerLimits{})
	require.NoError(t, err)
	g := NewBound(chain, log, strangers, replay, "")

	read := func(header string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+root.String(), nil)
		r.Header.Set(Header, header)
		if err := g.AllowRead(r, root); err != nil {
			return err.(*GateError).Status, err.Error()
		}
		return http.StatusOK, ""
	}
	honestRead := func(when string) {
		t.Helper()
		status, msg := read(reader.ticket(t, PurposeRead, 1, root.String()))
		require.Equal(t, http.StatusOK, status, "the honest reader, %s: %s", when, msg)
	}
	honestRead("before the flood")

	// Many fresh keys, each with a validly signed ticket, none a reader
	// of the record: every one refused by the chain (403), none stored.
	held := replay.Len()
	var wg sync.WaitGroup
	statuses := make(chan int, 4*floodStoreSize)
	for range 4 * floodStoreSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := read(newAccount().ticket(t, PurposeRead, 1, root.String()))
			statuses <- status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		require.Equal(t, http.StatusForbidden, s, "a stranger's ticket is refused by the chain, never for a full store")
	}
	require.Equal(t, held, replay.Len(), "no stranger's nonce was stored")
	honestRead("after strangers flooded it")

	// Tickets of strangers for the log and for pin information are not
	// stored either.
	held = replay.Len()
	for range 2 * floodStoreSize {
		stranger := newAccount()
		r := httptest.NewRequest(http.MethodGet, "/api/v1/access-log?record=1", nil)
		r.Header.Set(Header, stranger.ticket(t, PurposeLog, 1, ""))
		w := httptest.NewRecorder()
		g.LogHandler().ServeHTTP(w, r)
		require.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
		r = httptest.NewRequest(http.MethodGet, "/api/v1/pins/"+root.String(), nil)
		r.Header.Set(Header, stranger.ticket(t, PurposeReplica, 0, root.String()))
		require.Equal(t, http.StatusForbidden, g.AllowPinInfo(r, root).(*GateError).Status)
	}
	require.Equal(t, held, replay.Len(), "no stranger's log or pin ticket was stored")
	honestRead("after strangers asked for the log and for pins")

	// One account the chain lets read floods its own tickets: after its
	// share, it is told to slow down (429), and the store keeps room.
	tooMany := 0
	for range 2 * floodStoreSize {
		status, msg := read(mallory.ticket(t, PurposeRead, 1, root.String()))
		switch status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			tooMany++
			require.Contains(t, msg, "tickets in flight")
		default:
			t.Fatalf("mallory's flood: %d %s", status, msg)
		}
	}
	require.Positive(t, tooMany, "one account cannot fill the store")
	require.Less(t, replay.Len(), floodStoreSize/2, "one account holds a small share of the store")
	honestRead("after one reader flooded it")

	status, msg := read(hospital.ticket(t, PurposeReplica, 0, root.String()))
	require.Equal(t, http.StatusOK, status, "a hospital's replica read: %s", msg)
}

// TestUploadNonceFloodLeavesHonestUploadsIn: an account with a registered
// key floods upload tickets. It may hold only its share of the upload
// replay store, so another account's upload is still let in.
func TestUploadNonceFloodLeavesHonestUploadsIn(t *testing.T) {
	honest, mallory := newAccount(), newAccount()
	replay, err := OpenReplayStore("", floodStoreSize)
	require.NoError(t, err)
	g := NewUploadGate(keysOnChain{honest.addr: true, mallory.addr: true}, replay, "chain-1", "vault-1", Quota{})
	upload := func(a account) (int, string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/upload", nil)
		r.Header.Set(Header, a.uploadTicket(t, 1<<20, "chain-1", "vault-1"))
		p, err := g.AllowUpload(r)
		if err != nil {
			return err.(*GateError).Status, err.Error()
		}
		p.Done(0)
		return http.StatusOK, ""
	}
	tooMany := 0
	for range 2 * floodStoreSize {
		switch status, msg := upload(mallory); status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			tooMany++
		default:
			t.Fatalf("mallory's flood: %d %s", status, msg)
		}
	}
	require.Positive(t, tooMany, "one account cannot fill the store")
	status, msg := upload(honest)
	require.Equal(t, http.StatusOK, status, msg)
}
