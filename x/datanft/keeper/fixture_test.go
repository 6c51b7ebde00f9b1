package keeper_test

import (
	"github.com/medchain/medchain/testutil/events"

	"crypto/hpke"
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/nft"
	nftkeeper "cosmossdk.io/x/nft/keeper"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/medchain/medchain/testutil/sample"
	accesskeeper "github.com/medchain/medchain/x/access/keeper"
	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft"
	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const denom = "umed"

var genesisTime = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// fixture runs the real auth, bank, x/nft, issuers, records, access and
// datanft keepers on one in-memory multistore, wired as the app wires
// them. Wraps are real HPKE ciphertexts sealed to real ML-KEM-768-X25519
// keys, and coins move through the real bank keeper.
type fixture struct {
	ctx       sdk.Context
	keeper    keeper.Keeper
	msg       types.MsgServer
	query     keeper.Querier
	nftMsg    nft.MsgServer // x/nft's Msg service behind datanft's guard
	nft       nftkeeper.Keeper
	bank      bankkeeper.BaseKeeper
	records   recordskeeper.Keeper
	access    accesskeeper.Keeper
	ac        address.Codec
	authority string

	patient         string // owns record 1 (by doctor), its de-identified copy 2, and 3 (not de-identified)
	otherPatient    string // owns 4 (by itself) and its de-identified copy 5
	doctor          string // practitioner of hospital; issuer of record 1, so producer of 2
	hospital        string
	suspendedDoctor string // practitioner of a suspended hospital
	researcher      string // key and funds
	researcher2     string // key and funds
	stranger        string // funds, no key, no role

	keys map[string]hpke.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	names := []string{authtypes.StoreKey, banktypes.StoreKey, nftkeeper.StoreKey, issuerstypes.StoreKey,
		recordstypes.StoreKey, accesstypes.StoreKey, types.StoreKey}
	storeKeys := map[string]*storetypes.KVStoreKey{}
	for _, n := range names {
		storeKeys[n] = storetypes.NewKVStoreKey(n)
	}
	ctx := testutil.DefaultContextWithKeys(storeKeys, nil, nil).WithBlockTime(genesisTime).WithBlockHeight(10)
	svc := func(n string) corestore.KVStoreService { return runtime.NewKVStoreService(storeKeys[n]) }

	registry := codectypes.NewInterfaceRegistry()
	authtypes.RegisterInterfaces(registry)
	banktypes.RegisterInterfaces(registry)
	nft.RegisterInterfaces(registry)
	issuerstypes.RegisterInterfaces(registry)
	recordstypes.RegisterInterfaces(registry)
	accesstypes.RegisterInterfaces(registry)
	types.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)
	ac := addresscodec.NewBech32Codec("med")
	str := func(name string) string {
		s, err := ac.BytesToString(sample.Addr(name))
		require.NoError(t, err)
		return s
	}
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	f := &fixture{
		ac: ac, authority: authority,
		patient: str("patient"), otherPatient: str("patient-other"), doctor: str("doctor"), hospital: str("hospital"),
		suspendedDoctor: str("doctor-suspended"), researcher: str("researcher"), researcher2: str("researcher-2"),
		stranger: str("stranger"), keys: map[string]hpke.PrivateKey{},
	}
	perms := map[string][]string{minttypes.ModuleName: {authtypes.Minter}, nft.ModuleName: nil, types.ModuleName: nil}
	accounts := authkeeper.NewAccountKeeper(cdc, svc(authtypes.StoreKey), authtypes.ProtoBaseAccount, perms, ac, "med", authority)
	f.bank = bankkeeper.NewBaseKeeper(cdc, svc(banktypes.StoreKey), accounts, nil, authority, log.NewNopLogger())
	require.NoError(t, f.bank.SetParams(ctx, banktypes.DefaultParams()))
	f.nft = nftkeeper.NewKeeper(svc(nftkeeper.StoreKey), cdc, accounts, f.bank)

	issuers := issuerskeeper.NewKeeper(cdc, svc(issuerstypes.StoreKey), ac, authority, nil)
	ig := issuerstypes.DefaultGenesis()
	ig.Issuers = []issuerstypes.Issuer{
		{Address: f.hospital, Name: "St Mary", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: str("hospital-suspended"), Name: "Suspended", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusSuspended},
	}
	ig.Practitioners = []issuerstypes.Practitioner{
		{Address: f.doctor, Organisation: f.hospital, Role: issuerstypes.PractitionerRoleDoctor},
		{Address: f.suspendedDoctor, Organisation: str("hospital-suspended"), Role: issuerstypes.PractitionerRoleDoctor},
	}
	require.NoError(t, issuers.InitGenesis(ctx, ig))
	f.records = recordskeeper.NewKeeper(cdc, svc(recordstypes.StoreKey), ac, authority, issuers)
	f.access = accesskeeper.NewKeeper(cdc, svc(accesstypes.StoreKey), ac, authority, f.records, issuers)
	f.records = f.records.SetHooks(f.access.Hooks())
	require.NoError(t, f.records.InitGenesis(ctx, recordstypes.DefaultGenesis()))
	require.NoError(t, f.access.InitGenesis(ctx, accesstypes.DefaultGenesis()))

	f.keeper = keeper.NewKeeper(cdc, svc(types.StoreKey), ac, authority, f.nft, f.bank, f.records, accesskeeper.NewGrantService(f.access))
	require.NoError(t, f.keeper.InitGenesis(ctx, types.DefaultGenesis()))
	f.msg = keeper.NewMsgServerImpl(f.keeper)
	f.query = keeper.NewQuerier(f.keeper)
	f.nftMsg = datanft.NFTSendGuard(f.nft, f.keeper)
	f.ctx = ctx

	accessMsg := accesskeeper.NewMsgServerImpl(f.access)
	for _, who := range []string{f.patient, f.otherPatient, f.doctor, f.hospital, f.suspendedDoctor, f.researcher, f.researcher2} {
		priv, err := hpke.MLKEM768X25519().GenerateKey()
		require.NoError(t, err)
		_, err = accessMsg.RegisterEncryptionKey(ctx, &accesstypes.MsgRegisterEncryptionKey{
			Owner: who, Algorithm: accesstypes.KeyAlgorithmMLKEM768X25519, PublicKey: priv.PublicKey().Bytes(),
		})
		require.NoError(t, err)
		f.keys[who] = priv
	}
	for _, who := range []string{f.patient, f.otherPatient, f.doctor, f.researcher, f.researcher2, f.stranger, f.suspendedDoctor} {
		f.fund(t, who, 1_000_000)
	}

	// Record 1: the doctor writes for the patient (WRITE grant first).
	_, err = accessMsg.GrantAccess(ctx, &accesstypes.MsgGrantAccess{
		Owner: f.patient, Grantee: f.doctor, Permission: accesstypes.PermissionWrite, Purpose: accesstypes.PurposeTreatment,
	})
	require.NoError(t, err)
	require.Equal(t, uint64(1), f.createRecord(t, f.doctor, f.patient, 0))
	require.Equal(t, uint64(2), f.createRecord(t, f.patient, f.patient, 1))
	require.Equal(t, uint64(3), f.createRecord(t, f.patient, f.patient, 0))
	require.Equal(t, uint64(4), f.createRecord(t, f.otherPatient, f.otherPatient, 0))
	require.Equal(t, uint64(5), f.createRecord(t, f.otherPatient, f.otherPatient, 4))
	return f
}

// fund mints amount umed to who.
func (f *fixture) fund(t testing.TB, who string, amount int64) {
	t.Helper()
	coins := sdk.NewCoins(sdk.NewInt64Coin(denom, amount))
	require.NoError(t, f.bank.MintCoins(f.ctx, minttypes.ModuleName, coins))
	require.NoError(t, f.bank.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, f.addr(t, who), coins))
}

func (f *fixture) addr(t testing.TB, s string) sdk.AccAddress {
	t.Helper()
	bz, err := f.ac.StringToBytes(s)
	require.NoError(t, err)
	return bz
}

// balance is who's umed balance.
func (f *fixture) balance(t testing.TB, who string) int64 {
	t.Helper()
	return f.bank.GetBalance(f.ctx, f.addr(t, who), denom).Amount.Int64()
}

// escrow is the datanft module account's umed balance.
func (f *fixture) escrow() int64 {
	return f.bank.GetBalance(f.ctx, authtypes.NewModuleAddress(types.ModuleName), denom).Amount.Int64()
}

// supply is the total umed supply: a sale, a licence or a refund must
// never change it.
func (f *fixture) supply() math.Int { return f.bank.GetSupply(f.ctx, denom).Amount }

func (f *fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

// seal wraps record recordID's key at epoch for grantee's current key.
func (f *fixture) seal(t testing.TB, recordID, epoch uint64, grantee string) recordstypes.KeyWrap {
	t.Helper()
	priv, ok := f.keys[grantee]
	require.True(t, ok, "%s has no key in the fixture", grantee)
	key := []byte(fmt.Sprintf("record-key-%08d-epoch-%04d-padding", recordID, epoch))
	ct, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte(fmt.Sprintf("test/%d/%d/%s", recordID, epoch, grantee)), key)
	require.NoError(t, err)
	return recordstypes.KeyWrap{Grantee: grantee, KeyId: accesstypes.KeyID(priv.PublicKey().Bytes()), Ciphertext: ct, RecordId: recordID, KeyEpoch: epoch}
}

// createRecord creates a record for owner by creator (derived from
// derivedFrom when not 0) and returns its id.
func (f *fixture) createRecord(t testing.TB, creator, owner string, derivedFrom uint64) uint64 {
	t.Helper()
	id, err := f.records.NextRecordID(f.ctx)
	require.NoError(t, err)
	h, err := multihash.Sum([]byte(fmt.Sprintf("record %d", id)), multihash.SHA2_256, -1)
	require.NoError(t, err)
	resp, err := recordskeeper.NewMsgServerImpl(f.records).CreateRecord(f.ctx, &recordstypes.MsgCreateRecord{
		Creator: creator, Owner: owner, Cid: cid.NewCidV1(cid.Raw, h).String(), Kind: recordstypes.RecordKindDICOM,
		SizeBytes: 4096, DerivedFrom: derivedFrom, Wraps: []recordstypes.KeyWrap{f.seal(t, id, 0, owner)},
	})
	require.NoError(t, err)
	return resp.Id
}

// mintMsg is a valid mint of record 2 into class "mri-brain": 5 %
// royalty, 1000umed licences of 30 days.
func (f *fixture) mintMsg() *types.MsgMintDataNFT {
	return &types.MsgMintDataNFT{
		Owner: f.patient, RecordId: 2, ClassId: "mri-brain", RoyaltyBps: 500,
		LicencePrice: sdk.NewInt64Coin(denom, 1000), LicenceDuration: 30 * 24 * time.Hour,
	}
}

// mint mints record 2 and returns its NFT id.
func (f *fixture) mint(t testing.TB) string {
	t.Helper()
	resp, err := f.msg.MintDataNFT(f.freshCtx(), f.mintMsg())
	require.NoError(t, err)
	return resp.NftId
}

// list lists record 2's NFT by seller at price.
func (f *fixture) list(t testing.TB, seller string, price int64) {
	t.Helper()
	_, err := f.msg.ListNFT(f.freshCtx(), &types.MsgListNFT{Seller: seller, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, price)})
	require.NoError(t, err)
}

// owner is the x/nft owner of record 2's NFT.
func (f *fixture) owner(t testing.TB) string {
	t.Helper()
	s, err := f.ac.BytesToString(f.nft.GetOwner(f.ctx, "mri-brain", "record-2"))
	require.NoError(t, err)
	return s
}

// signers names every kind of signer the tests try.
func (f *fixture) signers() map[string]string {
	return map[string]string{
		"owner": f.patient, "other patient": f.otherPatient, "issuer": f.doctor, "organisation": f.hospital,
		"suspended issuer": f.suspendedDoctor, "researcher": f.researcher, "stranger": f.stranger,
	}
}

// eventTypes lists the types of the events ctx collected.
func eventTypes(ctx sdk.Context) []string {
	var out []string
	for _, e := range ctx.EventManager().Events() {
		out = append(out, e.Type)
	}
	return out
}
