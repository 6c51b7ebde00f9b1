package keeper

import (
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// Keeper owns the records module's state.
type Keeper struct {
	storeService corestore.KVStoreService
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	issuers      types.IssuersKeeper

	// hooks is shared by every copy of the keeper (the module, the msg
	// server and the querier hold copies), so that SetHooks, called by the
	// app after the keeper has been handed out, reaches all of them.
	hooks *hooksRef

	// authority is the only address allowed to change params; normally the
	// gov module account.
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]

	// Records holds every record, tombstones included, by id.
	Records *collections.IndexedMap[uint64, types.Record, RecordIndexes]

	// History holds every version of every record by (record id, version),
	// the current one included.
	History collections.Map[collections.Pair[uint64, uint64], types.RecordVersion]

	// NextID is the id the next record gets.
	NextID collections.Sequence

	// OwnerBlockCounts counts the records created for each owner in the
	// last block it had any; an entry of an older height counts as zero and
	// is overwritten, so the map holds one small entry per owner and needs
	// no pruning.
	OwnerBlockCounts collections.Map[sdk.AccAddress, types.OwnerBlockCount]

	// LiveCids maps every live CID (a version at the current key epoch of an
	// ACTIVE record) to its record version. Vaults reconcile against it.
	LiveCids collections.Map[string, types.CidUse]

	// ReleasedCids keeps, by types.CIDHash, the tombstone of every CID a
	// redaction or a rotation released. With LiveCids it makes a CID belong
	// to one record version for the chain's whole life.
	ReleasedCids collections.Map[[]byte, types.CidUse]

	// Archives holds every Filecoin archive entry by (record id, version,
	// canonical piece CID). Entries are never deleted: a redaction marks
	// them SHREDDED.
	Archives collections.Map[collections.Triple[uint64, uint64, string], types.ArchiveEntry]
}

// RecordIndexes are the secondary indexes of Keeper.Records.
type RecordIndexes struct {
	// Owner lists a patient's records in id order.
	Owner *indexes.Multi[sdk.AccAddress, uint64, types.Record]

	// Issuer lists the records an account created, in id order.
	Issuer *indexes.Multi[sdk.AccAddress, uint64, types.Record]
}

// IndexesList implements collections.Indexes.
func (i RecordIndexes) IndexesList() []collections.Index[uint64, types.Record] {
	return []collections.Index[uint64, types.Record]{i.Owner, i.Issuer}
}

type hooksRef struct {
	hooks types.AccessHooks
}

// NewKeeper returns the records keeper.
//
// authority is the address allowed to change params (the gov module
// account); NewKeeper panics when it is not a valid address for
// addressCodec. issuers answers which accounts may write records for others;
// it must not be nil.
//
// The keeper starts without AccessHooks: until the app calls SetHooks, only
// owners may write their own records, and every record or version must carry
// exactly one key wrap, for its owner.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	addressCodec address.Codec,
	authority string,
	issuers types.IssuersKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("records keeper: invalid authority address %q: %w", authority, err))
	}
	if issuers == nil {
		panic("records keeper: the issuers keeper is nil")
	}

	bech32ToBytes := func(s string) (sdk.AccAddress, error) {
		bz, err := addressCodec.StringToBytes(s)
		return sdk.AccAddress(bz), err
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		storeService: storeService,
		cdc:          cdc,
		addressCodec: addressCodec,
		issuers:      issuers,
		hooks:        &hooksRef{},
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Records: collections.NewIndexedMap(
			sb, types.RecordsKey, "records", collections.Uint64Key, codec.CollValue[types.Record](cdc),
			RecordIndexes{
				Owner: indexes.NewMulti(
					sb, types.RecordsByOwnerKey, "records_by_owner", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, r types.Record) (sdk.AccAddress, error) { return bech32ToBytes(r.Owner) },
				),
				Issuer: indexes.NewMulti(
					sb, types.RecordsByIssuerKey, "records_by_issuer", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, r types.Record) (sdk.AccAddress, error) { return bech32ToBytes(r.Issuer) },
				),
			},
		),
		History: collections.NewMap(
			sb, types.HistoryKey, "history",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key),
			codec.CollValue[types.RecordVersion](cdc),
		),
		NextID: collections.NewSequence(sb, types.NextIDKey, "next_id"),
		OwnerBlockCounts: collections.NewMap(
			sb, types.OwnerBlockCountKey, "owner_block_counts", sdk.AccAddressKey,
			codec.CollValue[types.OwnerBlockCount](cdc),
		),
		LiveCids: collections.NewMap(sb, types.LiveCidsKey, "live_cids", collections.StringKey,
			codec.CollValue[types.CidUse](cdc)),
		ReleasedCids: collections.NewMap(sb, types.ReleasedCidsKey, "released_cids", collections.BytesKey,
			codec.CollValue[types.CidUse](cdc)),
		Archives: collections.NewMap(sb, types.ArchivesKey, "archives", types.ArchivesKeyCodec,
			codec.CollValue[types.ArchiveEntry](cdc)),
	}

	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("records keeper: building store schema: %w", err))
	}
	k.Schema = schema

	return k
}

// SetHooks installs the access-control hooks (x/access). The app calls it
// once, after building both keepers; a second call panics, because two
// modules deciding who may write would be a wiring mistake.
func (k Keeper) SetHooks(hooks types.AccessHooks) Keeper {
	if k.hooks.hooks != nil {
		panic("records keeper: access hooks already set")
	}
	if hooks == nil {
		panic("records keeper: SetHooks called with nil hooks")
	}
	k.hooks.hooks = hooks
	return k
}

// GetAuthority returns the address allowed to govern the module.
func (k Keeper) GetAuthority() string {
	return k.authority
}

// AddressCodec returns the codec the module uses to read and write addresses.
func (k Keeper) AddressCodec() address.Codec {
	return k.addressCodec
}
