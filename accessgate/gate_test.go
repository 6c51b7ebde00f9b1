package accessgate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func init() { sdk.GetConfig().SetBech32PrefixForAccount("med", "medpub") }

type account struct {
	key  *secp256k1.PrivKey
	addr string
}

func newAccount() account {
	k := secp256k1.GenPrivKey()
	return account{key: k, addr: sdk.AccAddress(k.PubKey().Address()).String()}
}

func (a account) signer() Signer {
	return func(doc []byte) ([]byte, []byte, error) {
		sig, err := a.key.Sign(doc)
		return sig, a.key.PubKey().Bytes(), err
	}
}

func (a account) ticket(t *testing.T, purpose string, record uint64, c string) string {
	t.Helper()
	tk, err := NewTicket(purpose, record, c, a.addr, time.Minute)
	require.NoError(t, err)
	h, err := Sign(tk, a.signer())
	require.NoError(t, err)
	return h
}

func TestTicketVerification(t *testing.T) {
	alice, bob := newAccount(), newAccount()
	h := alice.ticket(t, PurposeRead, 7, "bafyx")
	tk, err := Verify(h, time.Now())
	require.NoError(t, err)
	require.Equal(t, alice.addr, tk.Reader)
	require.Equal(t, uint64(7), tk.RecordID)

	_, err = Verify("", time.Now())
	require.ErrorIs(t, err, ErrNoTicket)
	_, err = Verify(h, time.Now().Add(2*time.Minute))
	require.ErrorContains(t, err, "expired")

	// Changing what was signed breaks the signature.
	raw, _ := base64.StdEncoding.DecodeString(h)
	var s Signed
	require.NoError(t, json.Unmarshal(raw, &s))
	var body Ticket
	require.NoError(t, json.Unmarshal(s.Ticket, &body))
	body.RecordID = 8
	s.Ticket, _ = json.Marshal(body)
	forged, _ := json.Marshal(s)
	_, err = Verify(base64.StdEncoding.EncodeToString(forged), time.Now())
	require.ErrorContains(t, err, "signature does not verify")

	// Bob's key cannot sign for alice.
	tk2, err := NewTicket(PurposeRead, 7, "bafyx", alice.addr, time.Minute)
	require.NoError(t, err)
	h2, err := Sign(tk2, bob.signer())
	require.NoError(t, err)
	_, err = Verify(h2, time.Now())
	require.ErrorContains(t, err, "another key")

	// Too long a lifetime.
	tk3, err := NewTicket(PurposeRead, 7, "bafyx", alice.addr, time.Hour)
	require.NoError(t, err)
	h3, err := Sign(tk3, alice.signer())
	require.NoError(t, err)
	_, err = Verify(h3, time.Now())
	require.ErrorContains(t, err, "ahead")
}

// fakeChain is a Checker with fixed answers (a unit-test stand-in for the
// node or the light client).
type fakeChain struct {
	owner, cid string
	readers    map[string]bool
}

func (f fakeChain) Check(_ context.Context, id uint64, reader string) (Verdict, error) {
	ok := reader == f.owner || f.readers[reader]
	return Verdict{Allowed: ok, Reason: map[bool]string{true: "grant 1", false: "no live READ grant"}[ok], Owner: f.owner, CID: f.cid, Height: 42}, nil
}

func TestGateDecidesAndLogs(t *testing.T) {
	owner, reader, stranger := newAccount(), newAccount(), newAccount()
	mh, _ := multihash.Sum([]byte("payload"), multihash.SHA2_256, -1)
	root := cid.NewCidV1(cid.Raw, mh)
	other := cid.NewCidV1(cid.Raw, mustHash(t, "other"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: owner.addr, cid: root.String(), readers: map[string]bool{reader.addr: true}}, log)

	read := func(header string, c cid.Cid) int {
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+c.String(), nil)
		if header != "" {
			r.Header.Set(Header, header)
		}
		err := g.AllowRead(r, c)
		if err == nil {
			return http.StatusOK
		}
		return err.(*GateError).Status
	}
	require.Equal(t, http.StatusUnauthorized, read("", root))
	require.Equal(t, http.StatusOK, read(reader.ticket(t, PurposeRead, 1, root.String()), root))
	require.Equal(t, http.StatusForbidden, read(stranger.ticket(t, PurposeRead, 1, root.String()), root))
	require.Equal(t, http.StatusForbidden, read(reader.ticket(t, PurposeRead, 1, root.String()), other), "a ticket for another CID")
	require.Equal(t, http.StatusForbidden, read(reader.ticket(t, PurposeRead, 1, other.String()), other), "not the record's payload")
	used := reader.ticket(t, PurposeRead, 1, root.String())
	require.Equal(t, http.StatusOK, read(used, root))
	require.Equal(t, http.StatusUnauthorized, read(used, root), "a ticket works once")
	require.Equal(t, http.StatusUnauthorized, read(reader.ticket(t, PurposeLog, 1, ""), root), "a log ticket does not read")

	entries, err := log.ForRecord(1)
	require.NoError(t, err)
	outcomes := []string{}
	for _, e := range entries {
		outcomes = append(outcomes, e.Outcome)
	}
	require.Equal(t, []string{"allow", "deny", "deny", "deny", "allow"}, outcomes, "every decision with a valid ticket is logged")
	require.Equal(t, stranger.addr, entries[1].Reader)

	// Only the owner reads the log.
	logReq := func(a account) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/access-log?record=1", nil)
		r.Header.Set(Header, a.ticket(t, PurposeLog, 1, ""))
		w := httptest.NewRecorder()
		g.LogHandler().ServeHTTP(w, r)
		return w
	}
	w := logReq(owner)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var got struct {
		Entries []Entry `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Len(t, got.Entries, 5)
	require.Equal(t, http.StatusForbidden, logReq(reader).Code)
}

func mustHash(t *testing.T, s string) multihash.Multihash {
	t.Helper()
	mh, err := multihash.Sum([]byte(s), multihash.SHA2_256, -1)
	require.NoError(t, err)
	return mh
}
