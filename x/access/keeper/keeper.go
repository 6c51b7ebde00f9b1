package keeper

import (
	"fmt"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

// Keeper owns the access module's state.
type Keeper struct {
	storeService corestore.KVStoreService
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	records      types.RecordsKeeper
	issuers      types.IssuersKeeper

	// authority is the only address allowed to change params; normally the
	// gov module account.
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]

	// Keys holds every encryption key ever registered, by (account, key id).
	Keys collections.Map[collections.Pair[sdk.AccAddress, string], types.EncryptionKey]
	// CurrentKeys names each account's current key.
	CurrentKeys collections.Map[sdk.AccAddress, string]

	// Grants holds the live grants by id (expired ones until EndBlock
	// removes them; they are never reported as allowing anything).
	Grants *collections.IndexedMap[uint64, types.Grant, GrantIndexes]
	// RecordAccess and ScopeAccess are the provable decision keys (see
	// types.RecordAccessStoreKey): one entry per record grant and per
	// scope grant.
	RecordAccess collections.Map[collections.Triple[uint64, sdk.AccAddress, int32], types.AccessEntry]
	ScopeAccess  collections.Map[collections.Triple[sdk.AccAddress, sdk.AccAddress, int32], types.AccessEntry]
	// Wraps holds, per (record, reader), the record key sealed to the
	// reader at the record's current key epoch.
	Wraps collections.Map[collections.Pair[uint64, sdk.AccAddress], types.Wrap]
	// WrapsByReader indexes Wraps by (record owner, reader, record), so
	// ending a scope grant visits only the grantee's wraps of the owner's
	// records, not every record of the owner. It is kept in step with Wraps
	// by setWrap, removeWrap and clearWraps (Wraps' key layout is provable
	// and cannot carry the owner, hence a separate set rather than an
	// IndexedMap).
	WrapsByReader collections.KeySet[collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]]
	// GrantExpiry orders grants with an expiry by (expires_at, id), so
	// EndBlock finds the expired ones without scanning all grants.
	GrantExpiry collections.KeySet[collections.Pair[time.Time, uint64]]
	NextGrantID collections.Sequence

	// Requests holds the pending access requests by id.
	Requests        *collections.IndexedMap[uint64, types.AccessRequest, RequestIndexes]
	RequestExpiry   collections.KeySet[collections.Pair[time.Time, uint64]]
	NextRequestID   collections.Sequence
	PendingRequests collections.Map[collections.Pair[sdk.AccAddress, sdk.AccAddress], uint32]

	// EmergencyPolicies holds each opted-in patient's emergency policy.
	EmergencyPolicies collections.Map[sdk.AccAddress, types.EmergencyPolicy]
	// EmergencyAccesses is the permanent, public emergency log.
	EmergencyAccesses *collections.IndexedMap[uint64, types.EmergencyAccess, EmergencyIndexes]
	// EmergencyOpen is the provable decision key of an open emergency
	// access, per (patient, practitioner); removed when the window ends.
	EmergencyOpen collections.Map[collections.Pair[sdk.AccAddress, sdk.AccAddress], types.EmergencyEntry]
	// EmergencyExpiry orders open accesses by (expires_at, id), so EndBlock
	// closes them without a scan.
	EmergencyExpiry collections.KeySet[collections.Pair[time.Time, uint64]]
	// EmergencyOpenByPractitioner counts a practitioner's open accesses
	// against max_emergency_per_practitioner.
	EmergencyOpenByPractitioner collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	NextEmergencyID             collections.Sequence
	// EmergencyPerOrganisationDay counts the emergency accesses opened by
	// each organisation's practitioners per UTC day (days since the Unix
	// epoch, of block time), against
	// max_emergency_per_organisation_per_day. It is derived from the log
	// (organisation and opened_at of every access), which genesis import
	// and the version 5 migration rebuild it from.
	EmergencyPerOrganisationDay collections.Map[collections.Pair[sdk.AccAddress, uint64], uint32]

	// Recoveries holds every key recovery, pending or ended.
	Recoveries collections.Map[uint64, types.Recovery]
	// PendingRecovery indexes the pending recoveries by (patient, id).
	PendingRecovery collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// PendingByNewOwner names each new owner's pending recovery (at most
	// one per account).
	PendingByNewOwner collections.Map[sdk.AccAddress, uint64]
	NextRecoveryID    collections.Sequence
}

// EmergencyIndexes are the secondary indexes of Keeper.EmergencyAccesses.
type EmergencyIndexes struct {
	Patient *indexes.Multi[sdk.AccAddress, uint64, types.EmergencyAccess]
}

// IndexesList implements collections.Indexes.
func (i EmergencyIndexes) IndexesList() []collections.Index[uint64, types.EmergencyAccess] {
	return []collections.Index[uint64, types.EmergencyAccess]{i.Patient}
}

// GrantIndexes are the secondary indexes of Keeper.Grants.
type GrantIndexes struct {
	Owner   *indexes.Multi[sdk.AccAddress, uint64, types.Grant]
	Grantee *indexes.Multi[sdk.AccAddress, uint64, types.Grant]
	// Record indexes record grants by record id; scope grants sit under 0.
	Record *indexes.Multi[uint64, uint64, types.Grant]
}

// IndexesList implements collections.Indexes.
func (i GrantIndexes) IndexesList() []collections.Index[uint64, types.Grant] {
	return []collections.Index[uint64, types.Grant]{i.Owner, i.Grantee, i.Record}
}

// RequestIndexes are the secondary indexes of Keeper.Requests.
type RequestIndexes struct {
	Owner     *indexes.Multi[sdk.AccAddress, uint64, types.AccessRequest]
	Requester *indexes.Multi[sdk.AccAddress, uint64, types.AccessRequest]
	// Pair indexes requests by (requester, owner), so the requests that
	// count toward one pair's max_pending_requests are found without
	// scanning the requester's requests to every owner.
	Pair *indexes.Multi[collections.Pair[sdk.AccAddress, sdk.AccAddress], uint64, types.AccessRequest]
	// Record indexes record requests by record id (scope requests sit
	// under 0), so redacting a record closes its requests and the pending
	// requests on a record are counted against
	// max_pending_requests_per_record.
	Record *indexes.Multi[uint64, uint64, types.AccessRequest]
	// Target indexes requests by (owner, record id), so one owner's scope
	// requests, under (owner, 0), are counted against
	// max_pending_requests_per_record without walking every owner's scope
	// requests (Record puts them all under 0).
	Target *indexes.Multi[collections.Pair[sdk.AccAddress, uint64], uint64, types.AccessRequest]
}

// IndexesList implements collections.Indexes.
func (i RequestIndexes) IndexesList() []collections.Index[uint64, types.AccessRequest] {
	return []collections.Index[uint64, types.AccessRequest]{i.Owner, i.Requester, i.Pair, i.Record, i.Target}
}

// NewKeeper builds the access keeper. records and issuers are the other
// modules' keepers, seen through the interfaces in expected_keepers.go.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	addressCodec address.Codec,
	authority string,
	records types.RecordsKeeper,
	issuers types.IssuersKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("access keeper: invalid authority address %q: %w", authority, err))
	}
	addr := func(s string) (sdk.AccAddress, error) { return addressCodec.StringToBytes(s) }

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		storeService: storeService,
		cdc:          cdc,
		addressCodec: addressCodec,
		records:      records,
		issuers:      issuers,
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Keys: collections.NewMap(sb, types.KeysKey, "keys",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.StringKey), codec.CollValue[types.EncryptionKey](cdc)),
		CurrentKeys: collections.NewMap(sb, types.CurrentKeysKey, "current_keys", sdk.AccAddressKey, collections.StringValue),
		Grants: collections.NewIndexedMap(sb, types.GrantsKey, "grants", collections.Uint64Key, codec.CollValue[types.Grant](cdc),
			GrantIndexes{
				Owner: indexes.NewMulti(sb, types.GrantsByOwnerKey, "grants_by_owner", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, g types.Grant) (sdk.AccAddress, error) { return addr(g.Owner) }),
				Grantee: indexes.NewMulti(sb, types.GrantsByGranteeKey, "grants_by_grantee", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, g types.Grant) (sdk.AccAddress, error) { return addr(g.Grantee) }),
				Record: indexes.NewMulti(sb, types.GrantsByRecordKey, "grants_by_record", collections.Uint64Key, collections.Uint64Key,
					func(_ uint64, g types.Grant) (uint64, error) { return g.RecordId, nil }),
			}),
		RecordAccess: collections.NewMap(sb, types.RecordAccessKey, "record_access", types.RecordAccessKeyCodec, codec.CollValue[types.AccessEntry](cdc)),
		ScopeAccess:  collections.NewMap(sb, types.ScopeAccessKey, "scope_access", types.ScopeAccessKeyCodec, codec.CollValue[types.AccessEntry](cdc)),
		Wraps:        collections.NewMap(sb, types.WrapsKey, "wraps", types.WrapsKeyCodec, codec.CollValue[types.Wrap](cdc)),
		WrapsByReader: collections.NewKeySet(sb, types.WrapsByReaderKey, "wraps_by_reader",
			collections.TripleKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey, collections.Uint64Key)),
		GrantExpiry: collections.NewKeySet(sb, types.GrantExpiryKey, "grant_expiry",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		NextGrantID: collections.NewSequence(sb, types.NextGrantIDKey, "next_grant_id"),
		Requests: collections.NewIndexedMap(sb, types.RequestsKey, "requests", collections.Uint64Key, codec.CollValue[types.AccessRequest](cdc),
			RequestIndexes{
				Owner: indexes.NewMulti(sb, types.RequestsByOwnerKey, "requests_by_owner", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, r types.AccessRequest) (sdk.AccAddress, error) { return addr(r.Owner) }),
				Requester: indexes.NewMulti(sb, types.RequestsByRequesterKey, "requests_by_requester", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, r types.AccessRequest) (sdk.AccAddress, error) { return addr(r.Requester) }),
				Pair: indexes.NewMulti(sb, types.RequestsByPairKey, "requests_by_pair",
					collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey), collections.Uint64Key,
					func(_ uint64, r types.AccessRequest) (collections.Pair[sdk.AccAddress, sdk.AccAddress], error) {
						requester, err := addr(r.Requester)
						if err != nil {
							return collections.Pair[sdk.AccAddress, sdk.AccAddress]{}, err
						}
						owner, err := addr(r.Owner)
						return collections.Join(requester, owner), err
					}),
				Record: indexes.NewMulti(sb, types.RequestsByRecordKey, "requests_by_record", collections.Uint64Key, collections.Uint64Key,
					func(_ uint64, r types.AccessRequest) (uint64, error) { return r.RecordId, nil }),
				Target: indexes.NewMulti(sb, types.RequestsByTargetKey, "requests_by_target",
					collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key), collections.Uint64Key,
					func(_ uint64, r types.AccessRequest) (collections.Pair[sdk.AccAddress, uint64], error) {
						owner, err := addr(r.Owner)
						return collections.Join(owner, r.RecordId), err
					}),
			}),
		RequestExpiry: collections.NewKeySet(sb, types.RequestExpiryKey, "request_expiry",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		NextRequestID: collections.NewSequence(sb, types.NextRequestIDKey, "next_request_id"),
		PendingRequests: collections.NewMap(sb, types.PendingRequestsKey, "pending_requests",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey), collections.Uint32Value),
		EmergencyPolicies: collections.NewMap(sb, types.EmergencyPoliciesKey, "emergency_policies", sdk.AccAddressKey,
			codec.CollValue[types.EmergencyPolicy](cdc)),
		EmergencyAccesses: collections.NewIndexedMap(sb, types.EmergencyAccessesKey, "emergency_accesses", collections.Uint64Key,
			codec.CollValue[types.EmergencyAccess](cdc),
			EmergencyIndexes{
				Patient: indexes.NewMulti(sb, types.EmergencyByPatientKey, "emergency_by_patient", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, a types.EmergencyAccess) (sdk.AccAddress, error) { return addr(a.Patient) }),
			}),
		EmergencyOpen: collections.NewMap(sb, types.EmergencyOpenKey, "emergency_open", types.EmergencyOpenKeyCodec,
			codec.CollValue[types.EmergencyEntry](cdc)),
		EmergencyExpiry: collections.NewKeySet(sb, types.EmergencyExpiryKey, "emergency_expiry",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		EmergencyOpenByPractitioner: collections.NewKeySet(sb, types.EmergencyOpenByPractitionerKey, "emergency_open_by_practitioner",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		NextEmergencyID: collections.NewSequence(sb, types.NextEmergencyIDKey, "next_emergency_id"),
		EmergencyPerOrganisationDay: collections.NewMap(sb, types.EmergencyPerOrganisationDayKey, "emergency_per_organisation_day",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key), collections.Uint32Value),
		Recoveries: collections.NewMap(sb, types.RecoveriesKey, "recoveries", collections.Uint64Key,
			codec.CollValue[types.Recovery](cdc)),
		PendingRecovery: collections.NewKeySet(sb, types.PendingRecoveryKey, "pending_recovery",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		PendingByNewOwner: collections.NewMap(sb, types.PendingByNewOwnerKey, "pending_by_new_owner", sdk.AccAddressKey, collections.Uint64Value),
		NextRecoveryID:    collections.NewSequence(sb, types.NextRecoveryIDKey, "next_recovery_id"),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("access keeper: building store schema: %w", err))
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the address allowed to govern the module.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the codec the module uses for addresses.
func (k Keeper) AddressCodec() address.Codec { return k.addressCodec }
