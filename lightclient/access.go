package lightclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cosmos/gogoproto/proto"
	"github.com/ipfs/go-cid"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Answer is a verified CheckAccess: the same decision x/access's
// CheckAccess query makes, from values proven against a verified header.
type Answer struct {
	Allowed    bool   `json:"allowed"`
	Reason     string `json:"reason"`
	RecordID   uint64 `json:"record_id"`
	Grantee    string `json:"grantee"`
	Permission string `json:"permission"`
	GrantID    uint64 `json:"grant_id,omitempty"`
	// EmergencyAccessID is the open break-glass that allowed the read, when
	// no grant did.
	EmergencyAccessID uint64    `json:"emergency_access_id,omitempty"`
	ViaOrganisation   string    `json:"via_organisation,omitempty"`
	Height            int64     `json:"height"`        // the state's height
	HeaderHeight      int64     `json:"header_height"` // the verified header committing to it
	AppHash           string    `json:"app_hash"`
	Time              time.Time `json:"time"` // the verified header's time, which expiry is judged against
	Verified          bool      `json:"verified"`
	Owner             string    `json:"owner,omitempty"`     // the record's, proven
	CID               string    `json:"cid,omitempty"`       // the record's current CID, proven
	Version           uint64    `json:"version,omitempty"`   // the record's current version, proven
	KeyEpoch          uint64    `json:"key_epoch,omitempty"` // the record's key epoch, proven
	Active            bool      `json:"active,omitempty"`    // the record is ACTIVE (not redacted), proven
	Proofs            []Proof   `json:"proofs"`
	Primary           string    `json:"primary"`
	Witnesses         []string  `json:"witnesses"`
}

// CheckAccess answers whether grantee may READ or WRITE a record, at the
// latest verified header.
func (c *Client) CheckAccess(ctx context.Context, recordID uint64, grantee sdk.AccAddress, perm accesstypes.Permission) (*Answer, error) {
	at, err := c.Latest(ctx)
	if err != nil {
		return nil, err
	}
	return c.CheckAccessAt(ctx, at, recordID, grantee, perm)
}

// CheckAccessAt is CheckAccess at a given verified point.
func (c *Client) CheckAccessAt(ctx context.Context, at At, recordID uint64, grantee sdk.AccAddress, perm accesstypes.Permission) (*Answer, error) {
	if perm == accesstypes.PermissionUnspecified {
		perm = accesstypes.PermissionRead
	}
	a := &Answer{
		RecordID: recordID, Grantee: grantee.String(), Permission: perm.Label(),
		Height: at.Height, HeaderHeight: at.Header.Height, AppHash: hexKey(at.Header.AppHash), Time: at.Header.Time,
		Primary: c.cfg.Primary, Witnesses: c.cfg.Witnesses, Proofs: []Proof{},
	}
	// Values are fetched and verified in two parallel rounds (what the
	// grantee is, then what the record's owner granted); the decision
	// below then reads them in CheckAccess's order.
	f := &fetcher{c: c, at: at, got: map[string]fetched{}}
	get := func(store string, key []byte, into proto.Message) (bool, error) {
		v, err := f.get(ctx, store, key)
		if err != nil {
			return false, err
		}
		a.Proofs = append(a.Proofs, Proof{Store: store, Key: hexKey(key), Exists: v != nil})
		if v == nil {
			return false, nil
		}
		if err := proto.Unmarshal(v, into); err != nil {
			return false, fmt.Errorf("decoding the proven %T: %w", into, err)
		}
		return true, nil
	}
	recordKey, err := collections.EncodeKeyWithPrefix(recordstypes.RecordsKey, collections.Uint64Key, recordID)
	if err != nil {
		return nil, err
	}
	issuerKey, err := collections.EncodeKeyWithPrefix(issuerstypes.IssuersKey, sdk.AccAddressKey, grantee)
	if err != nil {
		return nil, err
	}
	practitionerKey, err := collections.EncodeKeyWithPrefix(issuerstypes.PractitionersKey, sdk.AccAddressKey, grantee)
	if err != nil {
		return nil, err
	}
	grantKey, err := accesstypes.RecordAccessStoreKey(recordID, grantee, perm)
	if err != nil {
		return nil, err
	}
	f.prefetch(ctx, storeKey{recordstypes.StoreKey, recordKey}, storeKey{issuerstypes.StoreKey, issuerKey},
		storeKey{issuerstypes.StoreKey, practitionerKey}, storeKey{accesstypes.StoreKey, grantKey})

	var record recordstypes.Record
	found, err := get(recordstypes.StoreKey, recordKey, &record)
	if err != nil {
		return nil, err
	}
	a.Verified = true
	switch {
	case !found:
		a.Reason = fmt.Sprintf("record %d does not exist", recordID)
		return a, nil
	}
	a.Owner, a.CID, a.Version, a.KeyEpoch = record.Owner, record.Cid, record.Version, record.KeyEpoch
	a.Active = record.Status == recordstypes.RecordStatusActive
	owner, err := sdk.AccAddressFromBech32(record.Owner)
	if err != nil {
		return nil, err
	}
	// Round two, unless the decision is already plain (a redacted record,
	// the owner): the owner's scope grant to the grantee and, for a
	// practitioner, its organisation and the organisation's grants.
	if record.Status != recordstypes.RecordStatusRedacted && !owner.Equals(grantee) {
		round := []storeKey{}
		if k, err := accesstypes.ScopeAccessStoreKey(owner, grantee, perm); err == nil {
			round = append(round, storeKey{accesstypes.StoreKey, k})
		}
		if k, err := accesstypes.EmergencyOpenStoreKey(owner, grantee); err == nil && perm == accesstypes.PermissionRead {
			round = append(round, storeKey{accesstypes.StoreKey, k})
		}
		if v, err := f.get(ctx, issuerstypes.StoreKey, practitionerKey); err == nil && v != nil {
			var p issuerstypes.Practitioner
			if proto.Unmarshal(v, &p) == nil {
				if org, err := sdk.AccAddressFromBech32(p.Organisation); err == nil {
					k1, _ := collections.EncodeKeyWithPrefix(issuerstypes.IssuersKey, sdk.AccAddressKey, org)
					k2, _ := accesstypes.RecordAccessStoreKey(recordID, org, perm)
					k3, _ := accesstypes.ScopeAccessStoreKey(owner, org, perm)
					round = append(round, storeKey{issuerstypes.StoreKey, k1}, storeKey{accesstypes.StoreKey, k2}, storeKey{accesstypes.StoreKey, k3})
				}
			}
		}
		f.prefetch(ctx, round...)
	}

	// The rules are x/access's own (Decide), read through proofs.
	d, err := accesstypes.Decide(ctx, ProvenState(get), record, owner, grantee, perm, at.Header.Time)
	if err != nil {
		return nil, err
	}
	a.Allowed, a.Reason, a.GrantID, a.EmergencyAccessID = d.Allowed, d.Reason, d.GrantID, d.EmergencyAccessID
	if d.ViaOrganisation {
		a.ViaOrganisation = d.Holder.String()
	}
	return a, nil
}

// Getter reads one value of a store, proven (found false: proven absent).
type Getter func(store string, key []byte, into proto.Message) (found bool, err error)

// ProvenState is the access decision's view of state through get: the
// light client's get proves every value against the verified app hash (and
// records the proof in the answer, absences included).
func ProvenState(get Getter) accesstypes.AccessState { return provenState{get: get} }

type provenState struct {
	get Getter
}

func (s provenState) Authorisation(ctx context.Context, addr sdk.AccAddress) (bool, sdk.AccAddress, string, error) {
	org, authorised, why, err := organisationOf(ctx, addr, s.get)
	return authorised, org, why, err
}

func (s provenState) AddressString(addr sdk.AccAddress) string { return addr.String() }

func (s provenState) Entry(_ context.Context, recordID uint64, owner, who sdk.AccAddress, perm accesstypes.Permission) (accesstypes.AccessEntry, bool, error) {
	var (
		e   accesstypes.AccessEntry
		key []byte
		err error
	)
	if recordID != 0 {
		key, err = accesstypes.RecordAccessStoreKey(recordID, who, perm)
	} else {
		key, err = accesstypes.ScopeAccessStoreKey(owner, who, perm)
	}
	if err != nil {
		return e, false, err
	}
	found, err := s.get(accesstypes.StoreKey, key, &e)
	return e, found, err
}

func (s provenState) Emergency(_ context.Context, patient, practitioner sdk.AccAddress) (accesstypes.EmergencyEntry, bool, error) {
	var e accesstypes.EmergencyEntry
	key, err := accesstypes.EmergencyOpenStoreKey(patient, practitioner)
	if err != nil {
		return e, false, err
	}
	found, err := s.get(accesstypes.StoreKey, key, &e)
	return e, found, err
}

// RecordVersionAt proves version of a record at a verified point: its CID
// and key epoch (found is false when there is no such version).
func (c *Client) RecordVersionAt(ctx context.Context, at At, recordID, version uint64) (recordstypes.RecordVersion, bool, error) {
	var v recordstypes.RecordVersion
	key, err := collections.EncodeKeyWithPrefix(recordstypes.HistoryKey,
		collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), collections.Join(recordID, version))
	if err != nil {
		return v, false, err
	}
	found, err := c.getProven(ctx, at, recordstypes.StoreKey, key, &v, fmt.Sprintf("version %d of record %d", version, recordID))
	return v, found, err
}

// IssuerAt proves the issuer entry of addr at a verified point.
func (c *Client) IssuerAt(ctx context.Context, at At, addr sdk.AccAddress) (issuerstypes.Issuer, bool, error) {
	var i issuerstypes.Issuer
	key, err := collections.EncodeKeyWithPrefix(issuerstypes.IssuersKey, sdk.AccAddressKey, addr)
	if err != nil {
		return i, false, err
	}
	found, err := c.getProven(ctx, at, issuerstypes.StoreKey, key, &i, "issuer "+addr.String())
	return i, found, err
}

// LiveCIDAt proves whether c is in x/records' index of live CIDs at a
// verified point, and which record version it belongs to.
func (c *Client) LiveCIDAt(ctx context.Context, at At, id cid.Cid) (recordstypes.CidUse, bool, error) {
	var use recordstypes.CidUse
	key, err := collections.EncodeKeyWithPrefix(recordstypes.LiveCidsKey, collections.StringKey, id.String())
	if err != nil {
		return use, false, err
	}
	found, err := c.getProven(ctx, at, recordstypes.StoreKey, key, &use, "use of "+id.String())
	return use, found, err
}

// ArchiveEntryAt proves the Filecoin archive entry of version of record
// recordID in the piece pieceCID at a verified point: where the version's
// ciphertext is archived, until when, and whether a redaction shredded it
// (found is false when there is no such entry, proven absent).
func (c *Client) ArchiveEntryAt(ctx context.Context, at At, recordID, version uint64, pieceCID cid.Cid) (recordstypes.ArchiveEntry, bool, error) {
	var e recordstypes.ArchiveEntry
	key, err := recordstypes.ArchiveStoreKey(recordID, version, pieceCID.String())
	if err != nil {
		return e, false, err
	}
	found, err := c.getProven(ctx, at, recordstypes.StoreKey, key, &e,
		fmt.Sprintf("archive entry of version %d of record %d in %s", version, recordID, pieceCID))
	return e, found, err
}

// ArchiveRefusalAt proves the records params and record recordID at one
// verified point and says, with x/records' own rule
// (recordstypes.ArchiveRefusal), why the record may not be archived (""
// when it may).
func (c *Client) ArchiveRefusalAt(ctx context.Context, at At, recordID uint64) (string, error) {
	var params recordstypes.Params
	found, err := c.getProven(ctx, at, recordstypes.StoreKey, recordstypes.ParamsKey.Bytes(), &params, "records params")
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("x/records has no params in the proven state")
	}
	key, err := collections.EncodeKeyWithPrefix(recordstypes.RecordsKey, collections.Uint64Key, recordID)
	if err != nil {
		return "", err
	}
	var record recordstypes.Record
	if found, err = c.getProven(ctx, at, recordstypes.StoreKey, key, &record, fmt.Sprintf("record %d", recordID)); err != nil {
		return "", err
	}
	if !found {
		return fmt.Sprintf("record %d does not exist", recordID), nil
	}
	return recordstypes.ArchiveRefusal(params, record), nil
}

// getProven proves key of store at a verified point and decodes its value
// into into, which names what (for the error); found is false when the key
// is proven absent.
func (c *Client) getProven(ctx context.Context, at At, store string, key []byte, into proto.Message, what string) (bool, error) {
	bz, err := c.Get(ctx, at, store, key)
	if err != nil || bz == nil {
		return false, err
	}
	if err := proto.Unmarshal(bz, into); err != nil {
		return false, fmt.Errorf("decoding the proven %s: %w", what, err)
	}
	return true, nil
}

// organisationOf proves whether addr is an issuer or a practitioner, of
// which organisation, and whether that organisation is ACTIVE.
func organisationOf(_ context.Context, addr sdk.AccAddress, get Getter) (org sdk.AccAddress, authorised bool, why string, err error) {
	issuerKey := func(a sdk.AccAddress) ([]byte, error) {
		return collections.EncodeKeyWithPrefix(issuerstypes.IssuersKey, sdk.AccAddressKey, a)
	}
	key, err := issuerKey(addr)
	if err != nil {
		return nil, false, "", err
	}
	var issuer issuerstypes.Issuer
	found, err := get(issuerstypes.StoreKey, key, &issuer)
	if err != nil || found {
		authorised := found && issuer.Status == issuerstypes.IssuerStatusActive
		return addr, authorised, notAuthorisedBecause(issuer, authorised), err
	}
	key, err = collections.EncodeKeyWithPrefix(issuerstypes.PractitionersKey, sdk.AccAddressKey, addr)
	if err != nil {
		return nil, false, "", err
	}
	var p issuerstypes.Practitioner
	if found, err = get(issuerstypes.StoreKey, key, &p); err != nil || !found {
		return nil, false, "not a registered issuer or practitioner", err
	}
	if org, err = sdk.AccAddressFromBech32(p.Organisation); err != nil {
		return nil, false, "", err
	}
	if key, err = issuerKey(org); err != nil {
		return nil, false, "", err
	}
	if found, err = get(issuerstypes.StoreKey, key, &issuer); err != nil || !found {
		return org, false, "organisation " + p.Organisation + " is not registered", err
	}
	authorised = issuer.Status == issuerstypes.IssuerStatusActive
	return org, authorised, notAuthorisedBecause(issuer, authorised), nil
}

// notAuthorisedBecause says why an organisation's members are not
// authorised, in x/issuers' words (IsAuthorised), so that a verified answer
// reads as the node's.
func notAuthorisedBecause(org issuerstypes.Issuer, authorised bool) string {
	if authorised {
		return ""
	}
	return fmt.Sprintf("organisation %s is %s", org.Address, org.Status.Label())
}

// storeKey names one provable key.
type storeKey struct {
	store string
	key   []byte
}

type fetched struct {
	value []byte
	err   error
}

// fetcher fetches and verifies keys at one point, in parallel, once each.
type fetcher struct {
	c   *Client
	at  At
	mu  sync.Mutex
	got map[string]fetched
}

func (f *fetcher) prefetch(ctx context.Context, keys ...storeKey) {
	// One JSON-RPC batch to the primary; each answer is verified apart,
	// and one that fails goes through Get (witnesses, naming the liar).
	values, errs := f.c.batchGet(ctx, f.at, keys)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range keys {
		if errs[i] != nil {
			f.mu.Unlock()
			v, err := f.c.Get(ctx, f.at, k.store, k.key)
			f.mu.Lock()
			f.got[k.store+"/"+string(k.key)] = fetched{v, err}
			continue
		}
		f.got[k.store+"/"+string(k.key)] = fetched{values[i], nil}
	}
}

func (f *fetcher) get(ctx context.Context, store string, key []byte) ([]byte, error) {
	f.mu.Lock()
	r, ok := f.got[store+"/"+string(key)]
	f.mu.Unlock()
	if ok {
		return r.value, r.err
	}
	f.prefetch(ctx, storeKey{store, key})
	return f.get(ctx, store, key)
}
