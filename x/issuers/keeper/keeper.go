package keeper

import (
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// Keeper owns the issuers module's state.
type Keeper struct {
	storeService  corestore.KVStoreService
	cdc           codec.BinaryCodec
	addressCodec  address.Codec
	stakingKeeper types.StakingKeeper

	// authority is the only address allowed to admit, suspend, reinstate
	// and revoke issuers and to change params; normally the gov module
	// account.
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]

	// Issuers holds every organisation ever admitted, by account address.
	Issuers *collections.IndexedMap[sdk.AccAddress, types.Issuer, IssuerIndexes]

	// Practitioners holds every practitioner, by account address. The
	// stored Status is always UNSPECIFIED: it is derived on read.
	Practitioners *collections.IndexedMap[sdk.AccAddress, types.Practitioner, PractitionerIndexes]

	// MemberCount is the number of practitioners of each organisation, so
	// that the max_practitioners_per_organisation limit costs one read.
	// Organisations without practitioners have no entry.
	MemberCount collections.Map[sdk.AccAddress, uint64]
}

// IssuerIndexes are the secondary indexes of Keeper.Issuers.
type IssuerIndexes struct {
	// Status indexes issuers by (status, kind): all issuers with one status
	// are a prefix scan, and "SUSPENDED HOSPITALs" is an exact match, which
	// bounds the EndBlocker's work by the number of non-active hospitals.
	Status *indexes.Multi[collections.Pair[int32, int32], sdk.AccAddress, types.Issuer]

	// Kind indexes issuers by kind.
	Kind *indexes.Multi[int32, sdk.AccAddress, types.Issuer]
}

// IndexesList implements collections.Indexes.
func (i IssuerIndexes) IndexesList() []collections.Index[sdk.AccAddress, types.Issuer] {
	return []collections.Index[sdk.AccAddress, types.Issuer]{i.Status, i.Kind}
}

// PractitionerIndexes are the secondary indexes of Keeper.Practitioners.
type PractitionerIndexes struct {
	// Organisation lists an organisation's practitioners.
	Organisation *indexes.Multi[sdk.AccAddress, sdk.AccAddress, types.Practitioner]
}

// IndexesList implements collections.Indexes.
func (i PractitionerIndexes) IndexesList() []collections.Index[sdk.AccAddress, types.Practitioner] {
	return []collections.Index[sdk.AccAddress, types.Practitioner]{i.Organisation}
}

// NewKeeper returns the issuers keeper.
//
// authority is the address allowed to govern the module (the gov module
// account); NewKeeper panics when it is not a valid address for
// addressCodec, because a chain with an unusable authority could never
// change its issuers.
//
// stakingKeeper lets the module gate validators (StakingHooks) and jail the
// validators of suspended or revoked hospitals. The app must pass the real
// staking keeper; nil is only for unit tests that never touch validators, in
// which case nothing is jailed and StakingHooks rejects every validator.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService corestore.KVStoreService,
	addressCodec address.Codec,
	authority string,
	stakingKeeper types.StakingKeeper,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("issuers keeper: invalid authority address %q: %w", authority, err))
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		storeService:  storeService,
		cdc:           cdc,
		addressCodec:  addressCodec,
		stakingKeeper: stakingKeeper,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Issuers: collections.NewIndexedMap(
			sb, types.IssuersKey, "issuers", sdk.AccAddressKey, codec.CollValue[types.Issuer](cdc),
			IssuerIndexes{
				Status: indexes.NewMulti(
					sb, types.IssuersByStatusKey, "issuers_by_status",
					collections.PairKeyCodec(collections.Int32Key, collections.Int32Key), sdk.AccAddressKey,
					func(_ sdk.AccAddress, issuer types.Issuer) (collections.Pair[int32, int32], error) {
						return collections.Join(int32(issuer.Status), int32(issuer.Kind)), nil
					},
				),
				Kind: indexes.NewMulti(
					sb, types.IssuersByKindKey, "issuers_by_kind", collections.Int32Key, sdk.AccAddressKey,
					func(_ sdk.AccAddress, issuer types.Issuer) (int32, error) {
						return int32(issuer.Kind), nil
					},
				),
			},
		),
		Practitioners: collections.NewIndexedMap(
			sb, types.PractitionersKey, "practitioners", sdk.AccAddressKey, codec.CollValue[types.Practitioner](cdc),
			PractitionerIndexes{
				Organisation: indexes.NewMulti(
					sb, types.PractitionersByOrganisationKey, "practitioners_by_organisation",
					sdk.AccAddressKey, sdk.AccAddressKey,
					func(_ sdk.AccAddress, p types.Practitioner) (sdk.AccAddress, error) {
						org, err := addressCodec.StringToBytes(p.Organisation)
						return sdk.AccAddress(org), err
					},
				),
			},
		),
		MemberCount: collections.NewMap(sb, types.MemberCountKey, "member_count", sdk.AccAddressKey, collections.Uint64Value),
	}

	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("issuers keeper: building store schema: %w", err))
	}
	k.Schema = schema

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
