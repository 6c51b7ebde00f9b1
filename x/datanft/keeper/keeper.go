// Package keeper implements the datanft module: identity NFTs, data-NFTs
// of de-identified records, their market with producer royalties, and
// licences that escrow a researcher's payment until the record owner makes
// the READ grant through x/access.
//
// x/nft stores every token and its owner; this keeper stores what x/nft
// cannot: the record behind a data-NFT, its producer and terms, listings
// and licences. Every handler checks everything before it writes anything.
package keeper

import (
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

// NFTKey locates a token in x/nft: (class id, nft id).
type NFTKey = collections.Pair[string, string]

// Keeper is the datanft keeper.
type Keeper struct {
	addressCodec address.Codec
	authority    string
	nft          types.NFTKeeper
	bank         types.BankKeeper
	records      types.RecordsKeeper
	access       types.AccessKeeper
	issuers      types.IssuersKeeper
	accounts     types.AccountKeeper

	Schema collections.Schema
	Params collections.Item[types.Params]
	// Classes are the data-NFT classes (the identity class is not one).
	Classes collections.Map[string, types.Class]
	// NFTs are the data-NFTs, with a unique index by record and an index
	// by producer.
	NFTs *collections.IndexedMap[NFTKey, types.DataNFT, NFTIndexes]
	// Listings are the data-NFTs for sale; one exists only while its
	// seller owns the NFT.
	Listings collections.Map[NFTKey, types.Listing]
	// Licences are every licence sold, pending or closed.
	Licences *collections.IndexedMap[uint64, types.Licence, LicenceIndexes]
	// PendingByOwner lists pending licences by the record owner who must
	// fulfil them; the value is the refund height.
	PendingByOwner collections.Map[collections.Pair[sdk.AccAddress, uint64], int64]
	// PendingByBuyer marks (buyer, class, nft) with a pending licence.
	PendingByBuyer collections.KeySet[collections.Triple[sdk.AccAddress, string, string]]
	// RefundQueue orders pending licences by refund height for EndBlock.
	RefundQueue   collections.KeySet[collections.Pair[int64, uint64]]
	NextLicenceID collections.Sequence
	// Pseudonyms are the accounts hospitals vouched for as patients'
	// unlinkable sellers of de-identified data.
	Pseudonyms collections.Map[sdk.AccAddress, types.Pseudonym]
}

// NFTIndexes index data-NFTs by record (unique) and by producer.
type NFTIndexes struct {
	Record   *indexes.Unique[uint64, NFTKey, types.DataNFT]
	Producer *indexes.Multi[sdk.AccAddress, NFTKey, types.DataNFT]
}

// IndexesList implements collections.Indexes.
func (i NFTIndexes) IndexesList() []collections.Index[NFTKey, types.DataNFT] {
	return []collections.Index[NFTKey, types.DataNFT]{i.Record, i.Producer}
}

// LicenceIndexes index licences by buyer and by NFT ("class/id").
type LicenceIndexes struct {
	Buyer *indexes.Multi[sdk.AccAddress, uint64, types.Licence]
	NFT   *indexes.Multi[string, uint64, types.Licence]
}

// IndexesList implements collections.Indexes.
func (i LicenceIndexes) IndexesList() []collections.Index[uint64, types.Licence] {
	return []collections.Index[uint64, types.Licence]{i.Buyer, i.NFT}
}

// nftRef is the licence index's reference of a data-NFT.
func nftRef(classID, nftID string) string { return classID + "/" + nftID }

// NewKeeper returns the datanft keeper. access is x/access's Msg service
// plus its key and grant lookups (see types.AccessKeeper).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	addressCodec address.Codec,
	authority string,
	nftKeeper types.NFTKeeper,
	bank types.BankKeeper,
	records types.RecordsKeeper,
	access types.AccessKeeper,
	issuers types.IssuersKeeper,
	accounts types.AccountKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("datanft keeper: invalid authority address %q: %w", authority, err))
	}
	addr := func(s string) (sdk.AccAddress, error) { return addressCodec.StringToBytes(s) }
	nftKeyCodec := collections.PairKeyCodec(collections.StringKey, collections.StringKey)

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		addressCodec: addressCodec,
		authority:    authority,
		nft:          nftKeeper,
		bank:         bank,
		records:      records,
		access:       access,
		issuers:      issuers,
		accounts:     accounts,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Classes:      collections.NewMap(sb, types.ClassesKey, "classes", collections.StringKey, codec.CollValue[types.Class](cdc)),
		NFTs: collections.NewIndexedMap(sb, types.NFTsKey, "nfts", nftKeyCodec, codec.CollValue[types.DataNFT](cdc),
			NFTIndexes{
				Record: indexes.NewUnique(sb, types.NFTsByRecordKey, "nfts_by_record", collections.Uint64Key, nftKeyCodec,
					func(_ NFTKey, n types.DataNFT) (uint64, error) { return n.RecordId, nil }),
				Producer: indexes.NewMulti(sb, types.NFTsByProducerKey, "nfts_by_producer", sdk.AccAddressKey, nftKeyCodec,
					func(_ NFTKey, n types.DataNFT) (sdk.AccAddress, error) { return addr(n.Producer) }),
			}),
		Listings: collections.NewMap(sb, types.ListingsKey, "listings", nftKeyCodec, codec.CollValue[types.Listing](cdc)),
		Licences: collections.NewIndexedMap(sb, types.LicencesKey, "licences", collections.Uint64Key, codec.CollValue[types.Licence](cdc),
			LicenceIndexes{
				Buyer: indexes.NewMulti(sb, types.LicencesByBuyerKey, "licences_by_buyer", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, l types.Licence) (sdk.AccAddress, error) { return addr(l.Buyer) }),
				NFT: indexes.NewMulti(sb, types.LicencesByNFTKey, "licences_by_nft", collections.StringKey, collections.Uint64Key,
					func(_ uint64, l types.Licence) (string, error) { return nftRef(l.ClassId, l.NftId), nil }),
			}),
		PendingByOwner: collections.NewMap(sb, types.PendingByOwnerKey, "pending_by_owner",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key), collections.Int64Value),
		PendingByBuyer: collections.NewKeySet(sb, types.PendingByBuyerNFTKey, "pending_by_buyer",
			collections.TripleKeyCodec(sdk.AccAddressKey, collections.StringKey, collections.StringKey)),
		RefundQueue: collections.NewKeySet(sb, types.RefundQueueKey, "refund_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		NextLicenceID: collections.NewSequence(sb, types.NextLicenceIDKey, "next_licence_id"),
		Pseudonyms:    collections.NewMap(sb, types.PseudonymsKey, "pseudonyms", sdk.AccAddressKey, codec.CollValue[types.Pseudonym](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("datanft keeper: building store schema: %w", err))
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the module's authority (the gov module account).
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.addressCodec }
