package gate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

	"github.com/medchain/medchain/x/records/placement"
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
// node or the light client): record 1 of owner, whose versions have the
// CIDs in versions (the last one current); versions before released are of
// an older key epoch.
type fakeChain struct {
	owner     string
	versions  []string
	released  int
	readers   map[string]bool
	hospitals map[string]bool
	vaults    []placement.Replica // nil: every hospital's (see Vaults)
	factor    int
	// members are practitioners, by the organisation they act for: one
	// reads through its organisation's grant.
	members map[string]string
	// archivable: record 1 may be archived (the policy, the owner's
	// choice).
	archivable bool
}

func (f fakeChain) ActiveHospital(_ context.Context, addr string) (bool, string, error) {
	if f.hospitals[addr] {
		return true, "", nil
	}
	return false, addr + " is not a hospital", nil
}

// Replica allows the hospitals in f.hospitals to copy the live versions.
func (f fakeChain) Replica(_ context.Context, hospital string, c cid.Cid) (ReplicaVerdict, error) {
	if !f.hospitals[hospital] {
		return ReplicaVerdict{Reason: hospital + " is not a hospital"}, nil
	}
	for i, v := range f.versions {
		if v == c.String() && i >= f.released {
			return ReplicaVerdict{Allowed: true, RecordID: 1, Height: 42}, nil
		}
	}
	return ReplicaVerdict{Reason: c.String() + " is not a live payload"}, nil
}

// ArchiveAllowed allows record 1 when f.archivable says so.
func (f fakeChain) ArchiveAllowed(_ context.Context, id uint64) (bool, string, error) {
	if id == 1 && f.archivable {
		return true, "", nil
	}
	return false, fmt.Sprintf("the owner of record %d has not allowed archiving it", id), nil
}

func (f fakeChain) Check(_ context.Context, id, version uint64, reader string) (Verdict, error) {
	if id != 1 {
		return Verdict{Reason: "record does not exist", Version: version}, nil
	}
	ok := reader == f.owner || f.readers[reader]
	via := ""
	if org, member := f.members[reader]; member && !ok && f.readers[org] {
		ok, via = true, org
	}
	current := uint64(len(f.versions))
	if version == 0 {
		version = current
	}
	v := Verdict{Allowed: ok, Reason: map[bool]string{true: "grant 1", false: "no live READ grant"}[ok],
		Owner: f.owner, CID: f.versions[current-1], Height: 42, Version: version, Via: via}
	if version >= 1 && version <= current {
		v.VersionCID, v.VersionLive = f.versions[version-1], int(version) > f.released
	}
	return v, nil
}

func TestGateDecidesAndLogs(t *testing.T) {
	owner, reader, stranger := newAccount(), newAccount(), newAccount()
	mh, _ := multihash.Sum([]byte("payload"), multihash.SHA2_256, -1)
	root := cid.NewCidV1(cid.Raw, mh)
	other := cid.NewCidV1(cid.Raw, mustHash(t, "other"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: owner.addr, versions: []string{root.String()}, readers: map[string]bool{reader.addr: true}}, log)

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
	require.Equal(t, []string{"allow", "deny", "deny", "allow"}, outcomes, "every decision about a party is in the record's log")
	strangers, err := g.strangers.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, strangers, 1, "a stranger's refusal is kept apart")
	require.Equal(t, stranger.addr, strangers[0].Reader)

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
		Entries   []Entry `json:"entries"`
		Strangers struct {
			Entries []Entry `json:"entries"`
		} `json:"stranger_denials"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Len(t, got.Entries, 4)
	require.Len(t, got.Strangers.Entries, 1, "the owner sees the stranger's refusal, apart")
	require.Equal(t, http.StatusForbidden, logReq(reader).Code)
}

func mustHash(t *testing.T, s string) multihash.Multihash {
	t.Helper()
	mh, err := multihash.Sum([]byte(s), multihash.SHA2_256, -1)
	require.NoError(t, err)
	return mh
}

// TestGateBindsTicketsToTheRecordsOwnCIDs: a ticket is served only for the
// CID that is the payload of the ticket's own record version, at the
// record's current key epoch; a record of the reader's own that names
// another CID, another record's id, a missing version or a version released
// by a rotation are all refused, and each refusal is logged.
func TestGateBindsTicketsToTheRecordsOwnCIDs(t *testing.T) {
	owner, reader := newAccount(), newAccount()
	v1 := cid.NewCidV1(cid.Raw, mustHash(t, "v1, old key epoch"))
	v2 := cid.NewCidV1(cid.Raw, mustHash(t, "v2"))
	v3 := cid.NewCidV1(cid.Raw, mustHash(t, "v3, current"))
	victims := cid.NewCidV1(cid.Raw, mustHash(t, "someone else's payload"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	chain := fakeChain{owner: owner.addr, versions: []string{v1.String(), v2.String(), v3.String()}, released: 1,
		readers: map[string]bool{reader.addr: true}}
	g := New(chain, log)

	read := func(a account, recordID, version uint64, ticketCID string, root cid.Cid) (int, string) {
		tk, err := NewTicket(PurposeRead, recordID, ticketCID, a.addr, time.Minute)
		require.NoError(t, err)
		tk.Version = version
		h, err := Sign(tk, a.signer())
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+root.String(), nil)
		r.Header.Set(Header, h)
		if err := g.AllowRead(r, root); err != nil {
			return err.(*GateError).Status, err.Error()
		}
		return http.StatusOK, ""
	}
	ok := func(a account, version uint64, root cid.Cid) {
		t.Helper()
		status, msg := read(a, 1, version, root.String(), root)
		require.Equal(t, http.StatusOK, status, msg)
	}
	refused := func(a account, recordID, version uint64, root cid.Cid, want string) {
		t.Helper()
		status, msg := read(a, recordID, version, root.String(), root)
		require.Equal(t, http.StatusForbidden, status)
		require.Contains(t, msg, want)
	}

	ok(reader, 0, v3)
	ok(reader, 3, v3)
	ok(reader, 2, v2)
	ok(owner, 2, v2)
	refused(reader, 1, 0, victims, "is not the payload of version 3 of record 1")
	refused(owner, 1, 2, victims, "is not the payload of version 2 of record 1")
	refused(reader, 1, 2, v3, "is not the payload of version 2")
	refused(reader, 1, 1, v1, "released by a key rotation")
	refused(reader, 1, 9, v3, "no version 9")
	refused(reader, 7, 0, victims, "no version")

	entries, err := log.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, entries, 9)
	require.Equal(t, uint64(2), entries[2].Version)
}

// TestGateServesReplicasToActiveHospitalsOnly: a hospital's replica
// ticket gets a live payload (logged under its record for the owner); a
// patient's, a released version's, or a ticket for another CID does not;
// and a replica ticket reads nothing but ciphertext blocks.
func TestGateServesReplicasToActiveHospitalsOnly(t *testing.T) {
	hospital, patient := newAccount(), newAccount()
	v1 := cid.NewCidV1(cid.Raw, mustHash(t, "v1, released"))
	v2 := cid.NewCidV1(cid.Raw, mustHash(t, "v2, live"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: patient.addr, versions: []string{v1.String(), v2.String()}, released: 1,
		hospitals: map[string]bool{hospital.addr: true}}, log)
	read := func(a account, ticketCID string, root cid.Cid) (int, string) {
		return hospitalRead(t, g, a, PurposeReplica, ticketCID, root)
	}
	status, msg := read(hospital, v2.String(), v2)
	require.Equal(t, http.StatusOK, status, msg)
	status, msg = read(patient, v2.String(), v2)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, msg, "not a hospital")
	status, msg = read(hospital, v1.String(), v1)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, msg, "not a live payload")
	status, _ = read(hospital, v2.String(), v1)
	require.Equal(t, http.StatusForbidden, status, "a ticket for another CID")

	entries, err := log.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the allowed replica read is in the record's log")
	require.Equal(t, hospital.addr, entries[0].Reader)
}

// hospitalRead asks g for root with a's ticket of purpose for ticketCID
// (no record), and returns the HTTP status and the refusal.
func hospitalRead(t *testing.T, g *Gate, a account, purpose, ticketCID string, root cid.Cid) (int, string) {
	t.Helper()
	tk, err := NewTicket(purpose, 0, ticketCID, a.addr, time.Minute)
	require.NoError(t, err)
	h, err := Sign(tk, a.signer())
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodHead, "/ipfs/"+root.String(), nil)
	r.Header.Set(Header, h)
	if err := g.AllowRead(r, root); err != nil {
		return err.(*GateError).Status, err.Error()
	}
	return http.StatusOK, ""
}

// TestGateServesArchiveCopiesOfArchivableRecordsOnly: an archive ticket
// is not bound to placement, so it is served to an ACTIVE hospital only for
// a live payload whose record may leave the vaults (the archive policy and
// the owner's choice); a patient, a released version or a record the owner
// kept out of archives is refused, and the copy is in the owner's log.
func TestGateServesArchiveCopiesOfArchivableRecordsOnly(t *testing.T) {
	hospital, other, patient := newAccount(), newAccount(), newAccount()
	v1 := cid.NewCidV1(cid.Raw, mustHash(t, "v1, released"))
	v2 := cid.NewCidV1(cid.Raw, mustHash(t, "v2, live"))
	for _, archivable := range []bool{false, true} {
		log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
		require.NoError(t, err)
		// Only hospital holds a replica: other is ACTIVE but nothing is
		// placed on it.
		g := New(fakeChain{owner: patient.addr, versions: []string{v1.String(), v2.String()}, released: 1,
			hospitals: map[string]bool{hospital.addr: true, other.addr: true},
			vaults:    []placement.Replica{replicaOf(hospital.addr)}, factor: 1,
			archivable: archivable}, log)
		read := func(a account, purpose string, root cid.Cid) (int, string) {
			return hospitalRead(t, g, a, purpose, root.String(), root)
		}
		status, msg := read(other, PurposeReplica, v2)
		require.Equal(t, http.StatusForbidden, status, "a replica ticket stays bound to placement")
		require.Contains(t, msg, "not placed")
		status, msg = read(other, PurposeArchive, v2)
		if !archivable {
			require.Equal(t, http.StatusForbidden, status)
			require.Contains(t, msg, "has not allowed archiving")
		} else {
			require.Equal(t, http.StatusOK, status, msg)
		}
		status, msg = read(patient, PurposeArchive, v2)
		require.Equal(t, http.StatusForbidden, status)
		require.Contains(t, msg, "not a hospital")
		status, msg = read(other, PurposeArchive, v1)
		require.Equal(t, http.StatusForbidden, status)
		require.Contains(t, msg, "not a live payload")

		entries, err := log.ForRecord(1)
		require.NoError(t, err)
		if archivable {
			require.Len(t, entries, 1, "the archive copy is in the record's log")
			require.Equal(t, other.addr, entries[0].Reader)
		} else {
			require.Empty(t, entries)
		}
	}
}

// TestPinInfoIsForHospitalsOnly: with the gate on, what a vault knows of a
// CID's pin (held or not, for which record, since when) is shown to an
// ACTIVE hospital's replica ticket only; a patient's ticket, a read
// ticket or none is refused.
func TestPinInfoIsForHospitalsOnly(t *testing.T) {
	hospital, patient := newAccount(), newAccount()
	c := cid.NewCidV1(cid.Raw, mustHash(t, "payload"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: patient.addr, versions: []string{c.String()}, hospitals: map[string]bool{hospital.addr: true}}, log)
	ask := func(header string) int {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/pins/"+c.String(), nil)
		if header != "" {
			r.Header.Set(Header, header)
		}
		if err := g.AllowPinInfo(r, c); err != nil {
			return err.(*GateError).Status
		}
		return http.StatusOK
	}
	require.Equal(t, http.StatusOK, ask(hospital.ticket(t, PurposeReplica, 0, c.String())))
	require.Equal(t, http.StatusForbidden, ask(patient.ticket(t, PurposeReplica, 0, c.String())))
	require.Equal(t, http.StatusUnauthorized, ask(patient.ticket(t, PurposeRead, 1, c.String())))
	require.Equal(t, http.StatusUnauthorized, ask(""))
}

// TestAnOrganisationReadsForItsPractitioner: a hospital's ticket that names
// the practitioner it reads for (its DICOMweb bridge passing on who asks)
// is served only when the chain lets that practitioner read through the
// hospital's own grant; the owner's log then names both. Naming another
// hospital's practitioner, one the chain does not let read, a malformed
// address, or a practitioner on a log ticket is refused.
func TestAnOrganisationReadsForItsPractitioner(t *testing.T) {
	owner, hospital, other := newAccount(), newAccount(), newAccount()
	drHouse, drGrey, drNobody := newAccount(), newAccount(), newAccount()
	root := cid.NewCidV1(cid.Raw, mustHash(t, "study"))
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: owner.addr, versions: []string{root.String()},
		readers: map[string]bool{hospital.addr: true, other.addr: true},
		members: map[string]string{drHouse.addr: hospital.addr, drGrey.addr: other.addr}}, log)
	read := func(purpose, practitioner string) error {
		tk, err := NewTicket(purpose, 1, root.String(), hospital.addr, time.Minute)
		require.NoError(t, err)
		tk.Practitioner = practitioner
		h, err := Sign(tk, hospital.signer())
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/ipfs/"+root.String(), nil)
		r.Header.Set(Header, h)
		return g.AllowRead(r, root)
	}
	require.NoError(t, read(PurposeRead, drHouse.addr))
	err = read(PurposeRead, drGrey.addr)
	require.ErrorContains(t, err, "does not read record 1 through "+hospital.addr, "another hospital's practitioner")
	err = read(PurposeRead, drNobody.addr)
	require.ErrorContains(t, err, "practitioner "+drNobody.addr+" may not read record 1")
	err = read(PurposeRead, "dr-house")
	require.ErrorContains(t, err, "not an account address")
	require.Equal(t, http.StatusUnauthorized, err.(*GateError).Status)

	entries, err := log.ForRecord(1)
	require.NoError(t, err)
	require.Len(t, entries, 3, "the bad address never reached the log")
	require.Equal(t, "allow", entries[0].Outcome)
	require.Equal(t, hospital.addr, entries[0].Reader)
	require.Equal(t, drHouse.addr, entries[0].Practitioner)
	require.Contains(t, entries[0].Reason, "for its practitioner "+drHouse.addr)
	require.Equal(t, "deny", entries[1].Outcome)
	require.Equal(t, drGrey.addr, entries[1].Practitioner)
}
