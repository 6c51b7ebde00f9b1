package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the records module.
	ModuleName = "records"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Store prefixes. Each collection owns one prefix; never reuse or renumber a
// prefix once it has been released, or existing state becomes unreadable.
var (
	// ParamsKey holds the module parameters.
	ParamsKey = collections.NewPrefix(0)

	// RecordsKey holds the records by id.
	RecordsKey = collections.NewPrefix(1)

	// RecordsByOwnerKey indexes records by (owner, id).
	RecordsByOwnerKey = collections.NewPrefix(2)

	// RecordsByIssuerKey indexes records by (issuer, id).
	RecordsByIssuerKey = collections.NewPrefix(3)

	// HistoryKey holds every version of every record by (record id, version).
	HistoryKey = collections.NewPrefix(4)

	// NextIDKey holds the sequence records take their ids from.
	NextIDKey = collections.NewPrefix(5)

	// OwnerBlockCountKey holds, per owner, how many records were created for
	// it in the latest block it had any (the spam bound).
	OwnerBlockCountKey = collections.NewPrefix(6)

	// LiveCidsKey indexes every live CID (a version at the current key
	// epoch of an ACTIVE record) by its canonical string.
	LiveCidsKey = collections.NewPrefix(7)

	// ReleasedCidsKey holds the tombstones of released CIDs by the SHA-256
	// of the CID's bytes.
	ReleasedCidsKey = collections.NewPrefix(8)

	// ArchivesKey holds the Filecoin archive entries by (record id,
	// version, piece CID).
	ArchivesKey = collections.NewPrefix(9)
)

// ArchivesKeyCodec encodes the key of an archive entry: (record id,
// version, canonical piece CID). The keeper and the light client share it,
// so that a proof is asked for the very key the keeper writes.
var ArchivesKeyCodec = collections.TripleKeyCodec(collections.Uint64Key, collections.Uint64Key, collections.StringKey)

// ArchiveStoreKey is the full store key of the archive entry of version of
// record recordID in the piece pieceCID (canonical form).
func ArchiveStoreKey(recordID, version uint64, pieceCID string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(ArchivesKey, ArchivesKeyCodec, collections.Join3(recordID, version, pieceCID))
}
