package types

import (
	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// ModuleName is the name of the access module.
	ModuleName = "access"

	// StoreKey is the key (and ABCI query path, /store/consent/key) of the
	// module's KV store. It cannot be the module name: the multistore
	// refuses store keys that prefix one another, and "acc" (x/auth) is a
	// prefix of "access".
	StoreKey = "consent"
)

// Store prefixes. Each collection owns one prefix; never reuse or renumber a
// prefix once it has been released, or existing state becomes unreadable.
// RecordAccessKey, ScopeAccessKey and WrapsKey are also the light-client
// interface (see RecordAccessStoreKey): changing their encoding is a
// breaking change for every verifier.
var (
	ParamsKey                      = collections.NewPrefix(0)
	KeysKey                        = collections.NewPrefix(1)  // (account, key id) -> EncryptionKey
	CurrentKeysKey                 = collections.NewPrefix(2)  // account -> current key id
	GrantsKey                      = collections.NewPrefix(3)  // grant id -> Grant
	GrantsByOwnerKey               = collections.NewPrefix(4)  // index (owner, grant id)
	GrantsByGranteeKey             = collections.NewPrefix(5)  // index (grantee, grant id)
	GrantsByRecordKey              = collections.NewPrefix(6)  // index (record id, grant id), record grants only
	RecordAccessKey                = collections.NewPrefix(7)  // (record id, grantee, permission) -> AccessEntry
	ScopeAccessKey                 = collections.NewPrefix(8)  // (owner, grantee, permission) -> AccessEntry
	WrapsKey                       = collections.NewPrefix(9)  // (record id, reader) -> Wrap
	GrantExpiryKey                 = collections.NewPrefix(10) // set of (expires_at, grant id)
	NextGrantIDKey                 = collections.NewPrefix(11)
	RequestsKey                    = collections.NewPrefix(12) // request id -> AccessRequest
	RequestsByOwnerKey             = collections.NewPrefix(13) // index (owner, request id)
	RequestsByRequesterKey         = collections.NewPrefix(14) // index (requester, request id)
	RequestExpiryKey               = collections.NewPrefix(15) // set of (expires_at, request id)
	NextRequestIDKey               = collections.NewPrefix(16)
	PendingRequestsKey             = collections.NewPrefix(17) // (requester, owner) -> pending count
	RequestsByPairKey              = collections.NewPrefix(18) // index ((requester, owner), request id)
	WrapsByReaderKey               = collections.NewPrefix(19) // index (owner, reader, record id) of Wraps
	RequestsByRecordKey            = collections.NewPrefix(20) // index (record id, request id); scope requests under 0
	RequestsByTargetKey            = collections.NewPrefix(21) // index ((owner, record id), request id); scope requests under (owner, 0)
	EmergencyPoliciesKey           = collections.NewPrefix(22) // patient -> EmergencyPolicy
	EmergencyAccessesKey           = collections.NewPrefix(23) // access id -> EmergencyAccess
	EmergencyByPatientKey          = collections.NewPrefix(24) // index (patient, access id)
	EmergencyOpenKey               = collections.NewPrefix(25) // (patient, practitioner) -> EmergencyEntry, while open
	EmergencyExpiryKey             = collections.NewPrefix(26) // set of (expires_at, access id), while open
	NextEmergencyIDKey             = collections.NewPrefix(27)
	EmergencyOpenByPractitionerKey = collections.NewPrefix(28) // set of (practitioner, access id), while open
	RecoveriesKey                  = collections.NewPrefix(29) // recovery id -> Recovery
	PendingRecoveryKey             = collections.NewPrefix(30) // set of (patient, recovery id), while pending
	NextRecoveryIDKey              = collections.NewPrefix(31)
	PendingByNewOwnerKey           = collections.NewPrefix(32) // new owner -> its pending recovery id
	EmergencyPerOrganisationDayKey = collections.NewPrefix(33) // (organisation, UTC day) -> emergency accesses opened
)

// Key codecs of the provable collections, shared by the keeper and by
// verifiers that compute store keys.
var (
	// RecordAccessKeyCodec encodes (record id, grantee, permission).
	RecordAccessKeyCodec = collections.TripleKeyCodec(collections.Uint64Key, sdk.AccAddressKey, collections.Int32Key)
	// ScopeAccessKeyCodec encodes (owner, grantee, permission).
	ScopeAccessKeyCodec = collections.TripleKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey, collections.Int32Key)
	// WrapsKeyCodec encodes (record id, reader).
	WrapsKeyCodec = collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey)
	// EmergencyOpenKeyCodec encodes (patient, practitioner).
	EmergencyOpenKeyCodec = collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey)
)

// RecordAccessStoreKey is the full key, in the access module's store, of the
// record grant of grantee on recordID with permission: what a light client
// asks for with prove=true. Its value is an AccessEntry; its absence, proven
// by a non-existence proof, means there is no such grant.
func RecordAccessStoreKey(recordID uint64, grantee sdk.AccAddress, permission Permission) ([]byte, error) {
	return storeKey(RecordAccessKey, RecordAccessKeyCodec, collections.Join3(recordID, grantee, int32(permission)))
}

// ScopeAccessStoreKey is the full store key of owner's scope grant to
// grantee with permission (value: AccessEntry, whose kinds say which
// records it covers).
func ScopeAccessStoreKey(owner, grantee sdk.AccAddress, permission Permission) ([]byte, error) {
	return storeKey(ScopeAccessKey, ScopeAccessKeyCodec, collections.Join3(owner, grantee, int32(permission)))
}

// WrapStoreKey is the full store key of the wrap of recordID's key for
// reader (value: Wrap).
func WrapStoreKey(recordID uint64, reader sdk.AccAddress) ([]byte, error) {
	return storeKey(WrapsKey, WrapsKeyCodec, collections.Join(recordID, reader))
}

// EmergencyOpenStoreKey is the full store key of practitioner's open
// emergency access to patient's records (value: EmergencyEntry; absent
// when none is open).
func EmergencyOpenStoreKey(patient, practitioner sdk.AccAddress) ([]byte, error) {
	return storeKey(EmergencyOpenKey, EmergencyOpenKeyCodec, collections.Join(patient, practitioner))
}

func storeKey[K any](prefix collections.Prefix, kc interface {
	Size(K) int
	Encode([]byte, K) (int, error)
}, key K,
) ([]byte, error) {
	buf := make([]byte, len(prefix)+kc.Size(key))
	copy(buf, prefix)
	if _, err := kc.Encode(buf[len(prefix):], key); err != nil {
		return nil, err
	}
	return buf, nil
}
