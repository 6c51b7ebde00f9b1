package types

import (
	"fmt"
	"strconv"
	"strings"

	"cosmossdk.io/collections"
)

const (
	// ModuleName is the name of the datanft module, and of its module
	// account, which holds licence escrows.
	ModuleName = "datanft"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName

	// IdentityClassID is the x/nft class of identity NFTs. Each account's
	// identity NFT has its address as id, so there is at most one per
	// account, and it can never be sent.
	IdentityClassID = "medchain-identity"

	// nftIDPrefix starts every data-NFT id: "record-<record id>".
	nftIDPrefix = "record-"
)

// Store prefixes. Never reuse or renumber one once released.
var (
	ParamsKey            = collections.NewPrefix(0)
	ClassesKey           = collections.NewPrefix(1)  // class id -> Class
	NFTsKey              = collections.NewPrefix(2)  // (class id, nft id) -> DataNFT
	NFTsByRecordKey      = collections.NewPrefix(3)  // unique index record id -> (class id, nft id)
	NFTsByProducerKey    = collections.NewPrefix(4)  // index (producer, (class id, nft id))
	ListingsKey          = collections.NewPrefix(5)  // (class id, nft id) -> Listing
	LicencesKey          = collections.NewPrefix(6)  // licence id -> Licence
	LicencesByBuyerKey   = collections.NewPrefix(7)  // index (buyer, licence id)
	LicencesByNFTKey     = collections.NewPrefix(8)  // index ((class id, nft id), licence id)
	PendingByOwnerKey    = collections.NewPrefix(9)  // set of (record owner, licence id), pending only
	RefundQueueKey       = collections.NewPrefix(10) // set of (refund height, licence id), pending only
	NextLicenceIDKey     = collections.NewPrefix(11)
	PendingByBuyerNFTKey = collections.NewPrefix(12) // set of (buyer, (class id, nft id)), pending only
	PseudonymsKey        = collections.NewPrefix(13) // address -> Pseudonym
)

// NFTID is the id of the data-NFT of a record. One record, one id: this is
// what makes "one NFT per record" hold across classes too (see
// NFTsByRecordKey).
func NFTID(recordID uint64) string { return nftIDPrefix + strconv.FormatUint(recordID, 10) }

// RecordOfNFTID is the record id in a data-NFT id.
func RecordOfNFTID(id string) (uint64, error) {
	rest, ok := strings.CutPrefix(id, nftIDPrefix)
	if !ok {
		return 0, fmt.Errorf("%q is not a data-NFT id (record-<id>)", id)
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a data-NFT id (record-<id>)", id)
	}
	return n, nil
}
