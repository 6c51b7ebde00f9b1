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
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// genesisTime is the block time of every fixture context.
var genesisTime = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// fixture runs the real issuers, records and access keepers together on
// one in-memory multistore, wired as the app wires them: records asks
// access through its hooks, access reads records and issuers. Accounts
// that read have real ML-KEM-768-X25519 key pairs, and wraps are real HPKE
// ciphertexts.
type fixture struct {
	ctx          sdk.Context
	keeper       keeper.Keeper
	msgServer    types.MsgServer
	querier      keeper.Querier
	records      recordskeeper.Keeper
	recordsMsg   recordstypes.MsgServer
	issuers      issuerskeeper.Keeper
	addressCodec address.Codec
	authority    string

	patient         string // owns records, has a key
	otherPatient    string // another patient with a key and records of its own
	hospital        string // ACTIVE hospital, has a key
	hospitalB       string // another ACTIVE hospital, has a key, no members
	doctor          string // practitioner of hospital, has a key
	clinic          string // ACTIVE clinic, has a key, no grants
	suspended       string // SUSPENDED hospital, has a key
	suspendedDoctor string // practitioner of suspended, has a key
	researcher      string // plain account with a key
	stranger        string // no key, no role

	keys map[string]hpke.PrivateKey // current private key by address
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	storeKeys := map[string]*storetypes.KVStoreKey{
		types.StoreKey:        storetypes.NewKVStoreKey(types.StoreKey),
		recordstypes.StoreKey: storetypes.NewKVStoreKey(recordstypes.StoreKey),
		issuerstypes.StoreKey: storetypes.NewKVStoreKey(issuerstypes.StoreKey),
	}
	ctx := testutil.DefaultContextWithKeys(storeKeys, nil, nil).WithBlockTime(genesisTime).WithBlockHeight(10)

	registry := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(registry)
	recordstypes.RegisterInterfaces(registry)
	issuerstypes.RegisterInterfaces(registry)
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
		addressCodec:    ac,
		authority:       authority,
		patient:         str("patient"),
		otherPatient:    str("patient-other"),
		hospital:        str("hospital"),
		hospitalB:       str("hospital-b"),
		doctor:          str("doctor"),
		clinic:          str("clinic"),
		suspended:       str("hospital-suspended"),
		suspendedDoctor: str("doctor-suspended"),
		researcher:      str("researcher"),
		stranger:        str("stranger"),
		keys:            map[string]hpke.PrivateKey{},
	}

	f.issuers = issuerskeeper.NewKeeper(cdc, runtime.NewKVStoreService(storeKeys[issuerstypes.StoreKey]), ac, authority, nil)
	issuersGenesis := issuerstypes.DefaultGenesis()
	issuersGenesis.Issuers = []issuerstypes.Issuer{
		{Address: f.hospital, Name: "St Mary", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: f.hospitalB, Name: "St Luke", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusActive},
		{Address: f.clinic, Name: "Clinic", Kind: issuerstypes.IssuerKindClinic, Status: issuerstypes.IssuerStatusActive},
		{Address: f.suspended, Name: "Suspended", Kind: issuerstypes.IssuerKindHospital, Status: issuerstypes.IssuerStatusSuspended},
	}
	issuersGenesis.Practitioners = []issuerstypes.Practitioner{
		{Address: f.doctor, Organisation: f.hospital, Role: issuerstypes.PractitionerRoleDoctor},
		{Address: f.suspendedDoctor, Organisation: f.suspended, Role: issuerstypes.PractitionerRoleDoctor},
	}
	require.NoError(t, f.issuers.InitGenesis(ctx, issuersGenesis))

	f.records = recordskeeper.NewKeeper(cdc, runtime.NewKVStoreService(storeKeys[recordstypes.StoreKey]), ac, authority, f.issuers)
	f.keeper = keeper.NewKeeper(cdc, runtime.NewKVStoreService(storeKeys[types.StoreKey]), ac, authority, f.records, f.issuers)
	f.records = f.records.SetHooks(f.keeper.Hooks())
	require.NoError(t, f.records.InitGenesis(ctx, recordstypes.DefaultGenesis()))
	require.NoError(t, f.keeper.InitGenesis(ctx, types.DefaultGenesis()))
	f.recordsMsg = recordskeeper.NewMsgServerImpl(f.records)
	f.msgServer = keeper.NewMsgServerImpl(f.keeper)
	f.querier = keeper.NewQuerier(f.keeper)
	f.ctx = ctx

	for _, who := range []string{f.patient, f.otherPatient, f.hospital, f.hospitalB, f.doctor, f.clinic, f.suspended, f.suspendedDoctor, f.researcher} {
		f.registerNewKey(t, who)
	}
	return f
}

// freshCtx returns the fixture context with an empty event manager.
func (f *fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

// at moves the fixture's block time.
func (f *fixture) at(t time.Time) { f.ctx = f.ctx.WithBlockTime(t) }

// registerNewKey generates a key pair for who and registers it as its
// current encryption key; it returns the key id.
func (f *fixture) registerNewKey(t testing.TB, who string) string {
	t.Helper()
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	resp, err := f.msgServer.RegisterEncryptionKey(f.freshCtx(), &types.MsgRegisterEncryptionKey{
		Owner: who, Algorithm: types.KeyAlgorithmMLKEM768X25519, PublicKey: priv.PublicKey().Bytes(),
	})
	require.NoError(t, err)
	f.keys[who] = priv
	return resp.KeyId
}

// recordKey is the (fake, fixed-size) record key the tests seal: the chain
// never sees it.
func recordKey(recordID, epoch uint64) []byte {
	return []byte(fmt.Sprintf("record-key-%08d-epoch-%04d-padding", recordID, epoch))
}

// info is the HPKE info the tests bind wraps to.
func info(recordID, epoch uint64, grantee string) []byte {
	return []byte(fmt.Sprintf("medchain-test/%d/%d/%s", recordID, epoch, grantee))
}

// seal wraps record recordID's key at epoch for grantee's current key.
func (f *fixture) seal(t testing.TB, recordID, epoch uint64, grantee string) recordstypes.KeyWrap {
	t.Helper()
	priv, ok := f.keys[grantee]
	require.True(t, ok, "%s has no key in the fixture", grantee)
	ct, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info(recordID, epoch, grantee), recordKey(recordID, epoch))
	require.NoError(t, err)
	return recordstypes.KeyWrap{
		Grantee: grantee, KeyId: types.KeyID(priv.PublicKey().Bytes()), Ciphertext: ct, RecordId: recordID, KeyEpoch: epoch,
	}
}

// open unwraps w with grantee's current private key.
func (f *fixture) open(t testing.TB, w *types.Wrap, grantee string) []byte {
	t.Helper()
	require.NotNil(t, w, "no wrap for %s", grantee)
	pt, err := hpke.Open(f.keys[grantee], hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info(w.RecordId, w.KeyEpoch, grantee), w.Ciphertext)
	require.NoError(t, err)
	return pt
}

// testCID returns a canonical CIDv1 (raw, sha2-256) of data.
func testCID(t testing.TB, data string) string {
	t.Helper()
	h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
	require.NoError(t, err)
	return cid.NewCidV1(cid.Raw, h).String()
}

// nextRecordID is the id the next record gets.
func (f *fixture) nextRecordID(t testing.TB) uint64 {
	t.Helper()
	id, err := f.records.NextRecordID(f.ctx)
	require.NoError(t, err)
	return id
}

// createMsg is a MsgCreateRecord of kind for owner, by creator, with wraps
// for the owner and every extra reader, bound to the next record id.
func (f *fixture) createMsg(t testing.TB, creator, owner string, kind recordstypes.RecordKind, readers ...string) *recordstypes.MsgCreateRecord {
	t.Helper()
	id := f.nextRecordID(t)
	wraps := []recordstypes.KeyWrap{f.seal(t, id, 0, owner)}
	for _, r := range readers {
		wraps = append(wraps, f.seal(t, id, 0, r))
	}
	return &recordstypes.MsgCreateRecord{
		Creator: creator, Owner: owner, Cid: testCID(t, fmt.Sprintf("record %d", id)),
		Kind: kind, SizeBytes: 4096, SealedLabel: recordstypes.FakeSealedLabel("test"), Wraps: wraps,
	}
}

// createRecord creates a record and returns its id.
func (f *fixture) createRecord(t testing.TB, creator, owner string, kind recordstypes.RecordKind, readers ...string) uint64 {
	t.Helper()
	resp, err := f.recordsMsg.CreateRecord(f.freshCtx(), f.createMsg(t, creator, owner, kind, readers...))
	require.NoError(t, err)
	return resp.Id
}

// grantRead gives grantee READ on owner's record with a proper wrap.
func (f *fixture) grantRead(t testing.TB, owner, grantee string, recordID uint64, expiresAt *time.Time) uint64 {
	t.Helper()
	record, found, err := f.records.GetRecord(f.ctx, recordID)
	require.NoError(t, err)
	require.True(t, found)
	resp, err := f.msgServer.GrantAccess(f.freshCtx(), &types.MsgGrantAccess{
		Owner: owner, Grantee: grantee, RecordId: recordID, Permission: types.PermissionRead,
		Purpose: types.PurposeTreatment, ExpiresAt: expiresAt,
		Wraps: []recordstypes.KeyWrap{f.seal(t, recordID, record.KeyEpoch, grantee)},
	})
	require.NoError(t, err)
	return resp.GrantId
}

// grantWrite gives grantee WRITE on all of owner's records of kinds.
func (f *fixture) grantWrite(t testing.TB, owner, grantee string, kinds ...recordstypes.RecordKind) uint64 {
	t.Helper()
	resp, err := f.msgServer.GrantAccess(f.freshCtx(), &types.MsgGrantAccess{
		Owner: owner, Grantee: grantee, Kinds: kinds, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
	})
	require.NoError(t, err)
	return resp.GrantId
}

// check asks CheckAccess at the fixture's block time.
func (f *fixture) check(t testing.TB, recordID uint64, grantee string, p types.Permission) *types.QueryCheckAccessResponse {
	t.Helper()
	resp, err := f.querier.CheckAccess(f.ctx, &types.QueryCheckAccessRequest{RecordId: recordID, Grantee: grantee, Permission: p})
	require.NoError(t, err)
	return resp
}

// stateSnapshot is everything the three modules store, to prove that a
// rejected message changed nothing.
type stateSnapshot struct {
	Access  *types.GenesisState
	Records *recordstypes.GenesisState
}

func (f *fixture) snapshot(t testing.TB) stateSnapshot {
	t.Helper()
	a, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	r, err := f.records.ExportGenesis(f.ctx)
	require.NoError(t, err)
	return stateSnapshot{Access: a, Records: r}
}

// requireRejected runs call on a fresh context and asserts that it fails
// with wantErr (and mentions wantMsg), leaves every module's state as it
// was and emits nothing.
func requireRejected(t *testing.T, f *fixture, wantErr error, wantMsg string, call func(ctx sdk.Context) error) {
	t.Helper()
	ctx := f.freshCtx()
	before := f.snapshot(t)
	err := call(ctx)
	require.ErrorIs(t, err, wantErr)
	require.ErrorContains(t, err, wantMsg)
	require.Equal(t, before, f.snapshot(t), "state must not change")
	events.RequireNone(t, ctx)
}
