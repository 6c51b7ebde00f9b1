package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/placement"
)

// Verdict is what the chain says of a reader and a version of a record.
type Verdict struct {
	Allowed  bool
	Reason   string
	Owner    string // the record's owner
	CID      string // the record's current CID
	Height   int64  // the state the answer comes from
	Verified bool   // proven by a light client (false: a trusted node said so)

	// Version is the version asked about (the current one when asked for
	// 0); VersionCID its CID ("" when the record has no such version, or
	// was redacted); VersionLive whether its payload is still kept: the
	// record is ACTIVE and the version is at its current key epoch, so the
	// reader's wrap opens it.
	Version     uint64
	VersionCID  string
	VersionLive bool

	// Via is the organisation whose grant allows the read, when the
	// reader is its practitioner ("" otherwise).
	Via string
}

// Checker asks the chain whether reader may read record recordID, and
// what version (0: the current one) of it is; and whether a hospital's
// vault may copy a payload.
type Checker interface {
	Check(ctx context.Context, recordID, version uint64, reader string) (Verdict, error)
	// Replica says whether hospital is an ACTIVE hospital issuer and c a
	// live CID (a version at the current key epoch of an ACTIVE record),
	// whose record it names.
	Replica(ctx context.Context, hospital string, c cid.Cid) (ReplicaVerdict, error)
	// ArchiveAllowed says whether record recordID may be copied into a
	// hospital's archive (the records module's archive policy, and under
	// the CONSENT policy its owner's choice), and if not, why.
	ArchiveAllowed(ctx context.Context, recordID uint64) (ok bool, why string, err error)
	// ActiveHospital says whether addr is an ACTIVE hospital issuer, and
	// if not, why.
	ActiveHospital(ctx context.Context, addr string) (ok bool, why string, err error)
	// Vaults lists the hospitals whose vaults hold replicas (ACTIVE, with
	// a vault URL) and the replication factor, in current chain state:
	// what the placement of every payload is computed from.
	Vaults(ctx context.Context) (replicas []placement.Replica, factor int, err error)
}

// ReplicaVerdict is what the chain says of a replica read.
type ReplicaVerdict struct {
	Allowed  bool
	Reason   string
	RecordID uint64 // the record the CID belongs to, if live
	Height   int64
	Verified bool
}

// Gate guards a vault's reads.
type Gate struct {
	checker   Checker
	log       *Log         // the owners' log: decisions about a record's parties
	strangers *StrangerLog // refusals of everyone else, bounded; nil: not kept
	replay    *ReplayStore
	chainID   atomic.Pointer[string] // nil until known: tickets of any chain
	vaultID   string
	now       func() time.Time
}

// New returns a gate that asks checker and records decisions in log, and
// strangers' refusals in a StrangerLog beside it (log's path with
// ".strangers" added). Its nonces are kept in memory only; see NewBound.
func New(checker Checker, log *Log) *Gate {
	r, _ := OpenReplayStore("", 0)
	strangers, _ := OpenStrangerLog(log.path+".strangers", StrangerLimits{})
	return &Gate{checker: checker, log: log, strangers: strangers, replay: r, now: time.Now}
}

// NewBound returns a gate whose tickets must name this vault (vaultID) and
// the chain (SetChainID), with nonces in replay (kept across restarts when
// it has a file), decisions about a record's parties in log and
// strangers' refusals in strangers.
func NewBound(checker Checker, log *Log, strangers *StrangerLog, replay *ReplayStore, vaultID string) *Gate {
	return &Gate{checker: checker, log: log, strangers: strangers, replay: replay, vaultID: vaultID, now: time.Now}
}

// SetChainID sets the chain tickets must name, once the node tells it.
func (g *Gate) SetChainID(id string) { g.chainID.Store(&id) }

// StrangersSuppressed is how many strangers' refusals were counted but not
// logged (their signers over their hourly share).
func (g *Gate) StrangersSuppressed() uint64 {
	if g.strangers == nil {
		return 0
	}
	return g.strangers.Suppressed()
}

// GateError is a refusal with its HTTP status.
type GateError struct {
	Status int
	Msg    string
}

func (e *GateError) Error() string { return e.Msg }

// HTTPStatus is the status the vault answers with.
func (e *GateError) HTTPStatus() int { return e.Status }

// AllowRead decides a read of root: nil to serve it, a *GateError to
// refuse. Every decision with a valid ticket is logged: in the record's
// log, for its owner, when the reader is a party to the record (a reader
// the chain allows, or the owner); in the bounded strangers' log
// otherwise, so that refusals anyone can cause for free never crowd the
// owner's log.
//
// A ticket's nonce is stored (spent) only once the chain has said its
// signer is a party to the record (a reader it allows, or the owner):
// tickets that merely verify cost nothing anyone can sign for free, so a
// flood of them signed by throwaway keys cannot fill the replay store.
// A stranger's refused ticket stays unspent; shown again, it is refused
// again.
func (g *Gate) AllowRead(r *http.Request, root cid.Cid) error {
	t, err := g.verify(r, PurposeRead, PurposeReplica, PurposeArchive)
	if err != nil {
		return err
	}
	if t.Purpose == PurposeReplica || t.Purpose == PurposeArchive {
		return g.allowReplica(r, t, root)
	}
	e := Entry{Time: g.now().UTC(), Reader: t.Reader, Practitioner: t.Practitioner, RecordID: t.RecordID, Version: t.Version, CID: root.String()}
	// The ticket's CID must be the payload of the ticket's own record
	// version, as the chain says: a record of the reader's that merely
	// points at someone else's CID can never get it served.
	v, err := g.checker.Check(r.Context(), t.RecordID, t.Version, t.Reader)
	if err != nil {
		return g.refuseStranger(&e, "could not ask the chain: "+err.Error(), http.StatusServiceUnavailable)
	}
	e.Height, e.Verified, e.Version = v.Height, v.Verified, v.Version
	status, reason := 0, v.Reason
	switch {
	case t.CID != root.String():
		status, reason = http.StatusForbidden, fmt.Sprintf("the ticket is for %s, not %s", t.CID, root)
	case v.VersionCID == "":
		status, reason = http.StatusForbidden, fmt.Sprintf("record %d has no version %d with a payload", t.RecordID, v.Version)
	case v.VersionCID != root.String():
		status, reason = http.StatusForbidden, fmt.Sprintf("%s is not the payload of version %d of record %d", root, v.Version, t.RecordID)
	case !v.VersionLive:
		status, reason = http.StatusForbidden, fmt.Sprintf("version %d of record %d was released by a key rotation; its payload is no longer served", v.Version, t.RecordID)
	case !v.Allowed:
		status, reason = http.StatusForbidden, fmt.Sprintf("%s may not read record %d: %s", t.Reader, t.RecordID, v.Reason)
	case t.Practitioner != "":
		// An organisation reads for one of its practitioners: the chain
		// must let the practitioner read, through the signer's grant.
		pv, err := g.checker.Check(r.Context(), t.RecordID, t.Version, t.Practitioner)
		switch {
		case err != nil:
			return g.refuseStranger(&e, "could not ask the chain: "+err.Error(), http.StatusServiceUnavailable)
		case !pv.Allowed:
			status, reason = http.StatusForbidden, fmt.Sprintf("practitioner %s may not read record %d: %s", t.Practitioner, t.RecordID, pv.Reason)
		case pv.Via != t.Reader:
			status, reason = http.StatusForbidden, fmt.Sprintf("practitioner %s does not read record %d through %s's grant", t.Practitioner, t.RecordID, t.Reader)
		default:
			reason = fmt.Sprintf("%s, for its practitioner %s", v.Reason, t.Practitioner)
		}
	}
	if party := v.Allowed || (v.Owner != "" && v.Owner == t.Reader); !party {
		return g.refuseStranger(&e, reason, status)
	}
	if err := g.spend(t, 0); err != nil {
		return err
	}
	if status != 0 {
		return g.decide(&e, "deny", reason, status)
	}
	return g.decide(&e, "allow", reason, 0)
}

// AllowPinInfo decides who may see what the vault knows of a CID's pin:
// the operators of the consortium, with a replica ticket signed by an
// ACTIVE hospital's key (medchaind vault ticket --purpose replica CID).
// Whether a vault holds a CID, for which record and since when, is
// nobody else's business.
func (g *Gate) AllowPinInfo(r *http.Request, root cid.Cid) error {
	t, err := g.verify(r, PurposeReplica)
	if err != nil {
		return err
	}
	if t.CID != root.String() {
		return &GateError{http.StatusForbidden, fmt.Sprintf("the ticket is for %s, not %s", t.CID, root)}
	}
	ok, why, err := g.checker.ActiveHospital(r.Context(), t.Reader)
	if err != nil {
		return &GateError{http.StatusServiceUnavailable, "could not ask the chain: " + err.Error()}
	}
	if !ok {
		return &GateError{http.StatusForbidden, "pin information is for the consortium's hospitals: " + why}
	}
	return g.spend(t, g.hospitalQuota())
}

// decide logs e with its outcome and reason (durably, before the decision
// takes effect) and returns the refusal with status, or nil for "allow".
func (g *Gate) decide(e *Entry, outcome, reason string, status int) error {
	e.Outcome, e.Reason = outcome, reason
	if err := g.log.Append(*e); err != nil {
		return &GateError{http.StatusInternalServerError, "access log: " + err.Error()}
	}
	if outcome == "allow" {
		return nil
	}
	return &GateError{status, reason}
}

// refuseStranger logs the refusal e in the strangers' log (within its
// signer's share) and returns it with status. A strangers' log that fails
// to write does not change the answer.
func (g *Gate) refuseStranger(e *Entry, reason string, status int) error {
	e.Outcome, e.Reason = "deny", reason
	if g.strangers != nil {
		_, _ = g.strangers.Append(*e)
	}
	return &GateError{status, reason}
}

// allowReplica decides a hospital vault's copy of a live payload: only
// ciphertext moves, to a vault the chain says must hold it: an ACTIVE
// hospital among those the placement, computed from current chain state,
// puts the CID on. (While the hospitals change, a hospital the CID moves
// to is placed as soon as the change is in state, which is when its vault
// starts fetching; one it moves away from no longer needs it.) An archive
// ticket (PurposeArchive) is served to any ACTIVE hospital instead, for a
// record the archive policy lets leave the vaults. A copy is
// logged under the CID's record, for its owner to see; a refusal in the
// strangers' log.
func (g *Gate) allowReplica(r *http.Request, t Ticket, root cid.Cid) error {
	e := Entry{Time: g.now().UTC(), Reader: t.Reader, CID: root.String()}
	deny := func(status int, reason string) error { return g.refuseStranger(&e, reason, status) }
	if t.CID != root.String() {
		return deny(http.StatusForbidden, fmt.Sprintf("the ticket is for %s, not %s", t.CID, root))
	}
	v, err := g.checker.Replica(r.Context(), t.Reader, root)
	if err != nil {
		return deny(http.StatusServiceUnavailable, "could not ask the chain: "+err.Error())
	}
	e.RecordID, e.Height, e.Verified = v.RecordID, v.Height, v.Verified
	if !v.Allowed {
		return deny(http.StatusForbidden, "replica read refused: "+v.Reason)
	}
	if t.Purpose == PurposeArchive {
		// An archive copy is not bound to placement (a hospital may
		// archive every live payload), only to the record being one that
		// may leave the vaults at all.
		ok, why, err := g.checker.ArchiveAllowed(r.Context(), v.RecordID)
		if err != nil {
			return deny(http.StatusServiceUnavailable, "could not ask the chain: "+err.Error())
		}
		if !ok {
			return deny(http.StatusForbidden, "archive read refused: "+why)
		}
		if err := g.spend(t, g.hospitalQuota()); err != nil {
			return err
		}
		return g.decide(&e, "allow", "archive copy for "+t.Reader, 0)
	}
	replicas, factor, err := g.checker.Vaults(r.Context())
	if err != nil {
		return deny(http.StatusServiceUnavailable, "could not ask the chain: "+err.Error())
	}
	if why := notPlaced(root, t.Reader, replicas, factor); why != "" {
		return deny(http.StatusForbidden, "replica read refused: "+why)
	}
	if err := g.spend(t, g.hospitalQuota()); err != nil {
		return err
	}
	return g.decide(&e, "allow", "replica for "+t.Reader, 0)
}

// notPlaced says why c is not placed on hospital ("" when it is).
func notPlaced(c cid.Cid, hospital string, replicas []placement.Replica, factor int) string {
	addr, err := sdk.AccAddressFromBech32(hospital)
	if err != nil {
		return err.Error()
	}
	placed := placement.Place(c, replicas, factor)
	names := make([]string, len(placed))
	for i, r := range placed {
		if bytes.Equal(r.Address, addr) {
			return ""
		}
		names[i] = r.Name
	}
	return fmt.Sprintf("%s is not placed on %s (replication factor %d: it is placed on %s); a vault copies only the payloads placed on its hospital",
		c, hospital, factor, strings.Join(names, ", "))
}

// hospitalShare is the part of the replay store one hospital may hold (an
// eighth): a vault refilling itself fetches every CID placed on it with
// a ticket each, far more than a reader, and hospitals are admitted by
// governance; still, no one of them can fill the store.
const hospitalShare = 8

func (g *Gate) hospitalQuota() int { return max(g.replay.Max()/hospitalShare, g.replay.PerSigner()) }

// verify checks the request's ticket for one of purposes: signature,
// expiry, chain and vault. It does not spend its nonce (see spend).
func (g *Gate) verify(r *http.Request, purposes ...string) (Ticket, error) {
	t, err := Verify(r.Header.Get(Header), g.now())
	if err != nil {
		return t, &GateError{http.StatusUnauthorized, err.Error()}
	}
	if !slices.Contains(purposes, t.Purpose) {
		return t, &GateError{http.StatusUnauthorized, fmt.Sprintf("a %q ticket cannot be used to %s", t.Purpose, strings.Join(purposes, " or "))}
	}
	if t.Practitioner != "" {
		if t.Purpose != PurposeRead {
			return t, &GateError{http.StatusUnauthorized, "only a read ticket names a practitioner"}
		}
		if _, err := sdk.AccAddressFromBech32(t.Practitioner); err != nil || len(t.Practitioner) > MaxReaderBytes {
			return t, &GateError{http.StatusUnauthorized, "the ticket's practitioner is not an account address"}
		}
	}
	chainID := ""
	if p := g.chainID.Load(); p != nil {
		chainID = *p
	} else if g.vaultID != "" {
		return t, &GateError{http.StatusServiceUnavailable, "the vault is waiting for its node to tell it the chain id; try again shortly"}
	}
	if err := t.CheckBinding(chainID, g.vaultID); err != nil {
		return t, &GateError{http.StatusUnauthorized, err.Error()}
	}
	return t, nil
}

// spend stores t's nonce, within its signer's quota (0: the store's
// PerSigner): from now on the ticket is used.
func (g *Gate) spend(t Ticket, quota int) error {
	return spendError(g.replay.UseWithin(t.Reader, t.Nonce, quota, time.Unix(t.Expires, 0), g.now()))
}

// spendError is the refusal for a nonce the replay store would not take.
func spendError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrSignerQuota):
		return &GateError{http.StatusTooManyRequests, err.Error()}
	case errors.Is(err, ErrReplayFull):
		return &GateError{http.StatusServiceUnavailable, err.Error()}
	}
	return &GateError{http.StatusUnauthorized, err.Error()}
}

// AllowOwner checks the request's ticket for purpose: valid, bound to this
// chain and vault, and signed by the current owner of the ticket's record,
// as the chain says. Only then is its nonce spent, so a stranger's tickets
// cost nothing. It returns the ticket; an error is a *GateError.
func (g *Gate) AllowOwner(r *http.Request, purpose string) (Ticket, error) {
	t, err := g.verify(r, purpose)
	if err != nil {
		return t, err
	}
	if t.RecordID == 0 {
		return t, &GateError{http.StatusBadRequest, fmt.Sprintf("a %s ticket names the record", purpose)}
	}
	v, err := g.checker.Check(r.Context(), t.RecordID, 0, t.Reader)
	if err != nil {
		return t, &GateError{http.StatusServiceUnavailable, "could not ask the chain: " + err.Error()}
	}
	if v.Owner != t.Reader {
		return t, &GateError{http.StatusForbidden, fmt.Sprintf("only record %d's owner may sign a %s ticket for it", t.RecordID, purpose)}
	}
	return t, g.spend(t, 0)
}

// LogHandler serves GET /api/v1/access-log?record=ID to the record's
// owner (a "log" ticket for the record, signed by the owner): one page of
// the record's decisions, oldest first, each with its seq (1 for the
// first). With neither cursor the page is the most recent decisions;
// after=S pages forward from the S-th (after=0: from the first),
// before=S back from it; limit=N bounds the page (at most and by default
// MaxEntries). next_after and next_before, when present, are the cursors
// of the next and previous pages, so paging reaches every decision, and
// total counts them. The first page (no cursor) also shows, apart, the
// most recent refusals of strangers about the record (stranger_denials),
// from the bounded strangers' log.
func (g *Gate) LogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, msg string) { http.Error(w, msg, status) }
		q := r.URL.Query()
		id, err := strconv.ParseUint(q.Get("record"), 10, 64)
		if err != nil {
			fail(http.StatusBadRequest, "record=ID is required")
			return
		}
		c, err := parseCursor(q)
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		t, err := g.verify(r, PurposeLog)
		if err != nil {
			var ge *GateError
			errors.As(err, &ge)
			fail(ge.Status, ge.Msg)
			return
		}
		if t.RecordID != id {
			fail(http.StatusForbidden, fmt.Sprintf("the ticket is for record %d", t.RecordID))
			return
		}
		v, err := g.checker.Check(r.Context(), id, 0, t.Reader)
		if err != nil {
			fail(http.StatusServiceUnavailable, "could not ask the chain: "+err.Error())
			return
		}
		if v.Owner != t.Reader {
			fail(http.StatusForbidden, fmt.Sprintf("only record %d's owner may read its access log", id))
			return
		}
		if err := g.spend(t, 0); err != nil {
			ge := err.(*GateError)
			fail(ge.Status, ge.Msg)
			return
		}
		page, err := g.log.ReadPage(id, c)
		if err != nil {
			fail(http.StatusInternalServerError, err.Error())
			return
		}
		out := logResponse{RecordID: id, Entries: page.Entries, Total: page.Total, Omitted: page.From, Skipped: page.Skipped}
		if s, ok := page.NextAfter(); ok {
			out.NextAfter = &s
		}
		if s, ok := page.NextBefore(); ok {
			out.NextBefore = &s
		}
		if c.After == nil && c.Before == 0 && g.strangers != nil {
			es, err := g.strangers.ForRecord(id)
			if err != nil {
				fail(http.StatusInternalServerError, err.Error())
				return
			}
			out.Strangers = &strangerDenials{Entries: es, Note: strangerNote}
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(out)
	})
}

// logResponse is the owner's page of a record's log.
type logResponse struct {
	RecordID   uint64           `json:"record_id"`
	Entries    []Entry          `json:"entries"`
	Total      uint64           `json:"total"`
	Omitted    uint64           `json:"omitted"` // older decisions than the page's
	NextAfter  *uint64          `json:"next_after,omitempty"`
	NextBefore *uint64          `json:"next_before,omitempty"`
	Skipped    int              `json:"skipped"`
	Strangers  *strangerDenials `json:"stranger_denials,omitempty"`
}

type strangerDenials struct {
	Entries []Entry `json:"entries"`
	Note    string  `json:"note"`
}

var strangerNote = fmt.Sprintf("refusals of accounts that are not parties to the record (no grant, or a hospital the payload "+
	"is not placed on): anyone can sign a ticket, so these are kept apart, in a bounded log (at most %d per account an hour; "+
	"older ones rotate away), and only the most recent %d are shown", DefaultStrangerLimits.PerSignerPerHour, MaxStrangerEntriesShown)

// parseCursor reads limit, after and before.
func parseCursor(q url.Values) (Cursor, error) {
	var c Cursor
	num := func(name string) (uint64, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s=%q is not a number", name, v)
		}
		return n, true, nil
	}
	limit, _, err := num("limit")
	if err != nil {
		return c, err
	}
	c.Limit = int(min(limit, MaxEntries))
	after, hasAfter, err := num("after")
	if err != nil {
		return c, err
	}
	before, hasBefore, err := num("before")
	if err != nil {
		return c, err
	}
	switch {
	case hasAfter && hasBefore:
		return c, errors.New("give after= or before=, not both")
	case hasBefore && before == 0:
		return c, errors.New("before= is a seq, and seqs count from 1 (the first decision)")
	case hasAfter:
		c.After = &after
	case hasBefore:
		c.Before = before
	}
	return c, nil
}
