package keeper_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
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

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/receipts"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/state"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

const bech32Prefix = "med"

// genesisTime is the block time of every fixture context.
var genesisTime = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// fixture is a records keeper on a real (in-memory) multistore, with a fake
// issuers keeper and, unless built with newFixtureWithoutHooks, fake access
// hooks.
type fixture struct {
	ctx           sdk.Context
	keeper        keeper.Keeper
	msgServer     types.MsgServer // adds f.vault's receipt to messages without one
	bareMsgServer types.MsgServer // the keeper's own: for tests of receipts
	vault         receipts.Vault
	querier       keeper.Querier
	addressCodec  address.Codec
	storeKey      *storetypes.KVStoreKey
	issuers       *fakeIssuers
	access        *fakeAccess // nil without hooks

	authority string

	patient         string // owns the records
	otherPatient    string // another patient, not an issuer
	hospital        string // ACTIVE organisation the patient grants WRITE
	doctor          string // practitioner of hospital
	clinic          string // ACTIVE organisation without a grant
	clinicNurse     string // practitioner of clinic
	suspended       string // SUSPENDED organisation
	suspendedDoctor string // practitioner of suspended, granted WRITE by the patient all the same
	stranger        string // neither issuer nor practitioner
	hospitalB       string // another ACTIVE hospital, no grant
	insurer         string // ACTIVE insurer, no grant
	grantee         string // a plain account the patient grants access
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	f := newFixtureWithoutHooks(t)
	f.access = newFakeAccess(f.addressCodec)
	f.keeper.SetHooks(f.access)
	// Grants: the patient lets the hospital (so its doctor) and the
	// suspended hospital write; nobody grants the clinic.
	f.access.grant(f.patient, f.hospital)
	f.access.grant(f.patient, f.suspended)
	f.access.grant(f.patient, f.grantee)
	return f
}

// newFixtureWithoutHooks is the keeper as it runs before x/access exists.
func newFixtureWithoutHooks(t testing.TB) fixture {
	t.Helper()

	key := storetypes.NewKVStoreKey(types.StoreKey)
	testCtx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	ctx := testCtx.Ctx.WithBlockTime(genesisTime).WithBlockHeight(10)

	registry := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)

	ac := addresscodec.NewBech32Codec(bech32Prefix)
	mustString := func(addr sdk.AccAddress) string {
		s, err := ac.BytesToString(addr)
		require.NoError(t, err)
		return s
	}
	authority := mustString(authtypes.NewModuleAddress(govtypes.ModuleName))

	f := fixture{
		addressCodec:    ac,
		storeKey:        key,
		authority:       authority,
		patient:         mustString(sample.Addr("patient")),
		otherPatient:    mustString(sample.Addr("patient-other")),
		hospital:        mustString(sample.Addr("hospital")),
		doctor:          mustString(sample.Addr("doctor")),
		clinic:          mustString(sample.Addr("clinic")),
		clinicNurse:     mustString(sample.Addr("nurse-of-clinic")),
		suspended:       mustString(sample.Addr("hospital-suspended")),
		suspendedDoctor: mustString(sample.Addr("doctor-suspended")),
		stranger:        mustString(sample.Addr("stranger")),
		hospitalB:       mustString(sample.Addr("hospital-b")),
		insurer:         mustString(sample.Addr("insurer")),
		grantee:         mustString(sample.Addr("grantee")),
	}
	f.issuers = &fakeIssuers{ac: ac, auths: map[string]issuerstypes.Authorisation{
		f.hospital:        {Authorised: true, Organisation: f.hospital, Kind: issuerstypes.IssuerKindHospital},
		f.doctor:          {Authorised: true, Organisation: f.hospital, Kind: issuerstypes.IssuerKindHospital, Role: issuerstypes.PractitionerRoleDoctor},
		f.clinic:          {Authorised: true, Organisation: f.clinic, Kind: issuerstypes.IssuerKindClinic},
		f.clinicNurse:     {Authorised: true, Organisation: f.clinic, Kind: issuerstypes.IssuerKindClinic, Role: issuerstypes.PractitionerRoleNurse},
		f.suspended:       {Organisation: f.suspended, Kind: issuerstypes.IssuerKindHospital, Reason: "organisation " + f.suspended + " is SUSPENDED"},
		f.suspendedDoctor: {Organisation: f.suspended, Kind: issuerstypes.IssuerKindHospital, Role: issuerstypes.PractitionerRoleDoctor, Reason: "organisation " + f.suspended + " is SUSPENDED"},
		f.hospitalB:       {Authorised: true, Organisation: f.hospitalB, Kind: issuerstypes.IssuerKindHospital},
		f.insurer:         {Authorised: true, Organisation: f.insurer, Kind: issuerstypes.IssuerKindInsurer},
	}}

	// The vault that stores every upload of these tests: its hospital
	// signs the receipts f.msgServer adds to messages without one.
	f.vault = receipts.NewVault("receipt vault")
	f.issuers.auths[f.vault.Address] = issuerstypes.Authorisation{Authorised: true, Organisation: f.vault.Address, Kind: issuerstypes.IssuerKindHospital}

	f.keeper = keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, f.issuers)
	f.bareMsgServer = keeper.NewMsgServerImpl(f.keeper)
	f.msgServer = receipts.RecordsMsgServer{MsgServer: f.bareMsgServer, Vault: f.vault}
	f.querier = keeper.NewQuerier(f.keeper)
	f.ctx = ctx
	require.NoError(t, f.keeper.InitGenesis(ctx, types.DefaultGenesis()))
	return f
}

// freshCtx returns the fixture context with an empty event manager.
func (f fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

// wrap returns a well-formed key wrap for grantee, bound to record id at
// key epoch 0.
func wrapFor(grantee string, id uint64) types.KeyWrap {
	return types.KeyWrap{Grantee: grantee, KeyId: "key-1", Ciphertext: []byte("sealed record key for " + grantee), RecordId: id}
}

// nextID is the id the next record will get.
func (f fixture) nextID(t testing.TB) uint64 {
	t.Helper()
	id, err := f.keeper.NextRecordID(f.ctx)
	require.NoError(t, err)
	return id
}

// wrap returns a well-formed key wrap for grantee bound to the next record.
func (f fixture) wrap(t testing.TB, grantee string) types.KeyWrap {
	return wrapFor(grantee, f.nextID(t))
}

// createMsg is a valid MsgCreateRecord from creator for the patient.
func (f fixture) createMsg(t testing.TB, creator, data string) *types.MsgCreateRecord {
	return &types.MsgCreateRecord{
		Creator:     creator,
		Owner:       f.patient,
		Cid:         sample.CID(cid.DagProtobuf, data),
		Kind:        types.RecordKindDICOM,
		SizeBytes:   1 << 20,
		SealedLabel: types.FakeSealedLabel("knee MRI"),
		Wraps:       []types.KeyWrap{f.wrap(t, f.patient)},
	}
}

// mustCreate creates a record and returns its id.
func (f fixture) mustCreate(t testing.TB, msg *types.MsgCreateRecord) uint64 {
	t.Helper()
	resp, err := f.msgServer.CreateRecord(f.freshCtx(), msg)
	require.NoError(t, err)
	return resp.Id
}

// requireRejected runs call and asserts that it fails with wantErr (and
// mentions wantMsg), answers nothing, leaves every byte of the store as it
// was and emits nothing.
func requireRejected(t *testing.T, f fixture, wantErr error, wantMsg string, call func(ctx sdk.Context) (any, error)) {
	t.Helper()
	state.RequireRejected(t, f.ctx, []storetypes.StoreKey{f.storeKey}, wantErr, wantMsg, func(ctx sdk.Context) error {
		resp, err := call(ctx)
		require.Nil(t, resp)
		return err
	})
}

// result turns a handler's typed response into what requireRejected wants,
// keeping a nil response nil.
func result[T any](resp *T, err error) (any, error) {
	if resp == nil {
		return nil, err
	}
	return resp, err
}

// fakeIssuers answers IsAuthorised from a table and lists vaults.
type fakeIssuers struct {
	ac     address.Codec
	auths  map[string]issuerstypes.Authorisation
	vaults []issuerstypes.Issuer
}

func (f *fakeIssuers) ActiveHospitalVaults(context.Context) ([]issuerstypes.Issuer, error) {
	return f.vaults, nil
}

var _ types.IssuersKeeper = (*fakeIssuers)(nil)

func (f *fakeIssuers) IsAuthorised(_ context.Context, addr sdk.AccAddress) (issuerstypes.Authorisation, error) {
	s, err := f.ac.BytesToString(addr)
	if err != nil {
		return issuerstypes.Authorisation{}, err
	}
	if a, ok := f.auths[s]; ok {
		return a, nil
	}
	return issuerstypes.Authorisation{Reason: "not a registered issuer or practitioner"}, nil
}

// errFakeWraps is what fakeAccess.ValidateWraps fails with.
var errFakeWraps = errors.New("fake access: wraps do not cover the owner")

// fakeAccess grants WRITE from a table and records the hook calls. Its
// ValidateWraps wants a wrap for the owner and accepts any others.
type fakeAccess struct {
	ac       address.Codec
	grants   map[string]map[string]bool // owner -> writer or organisation
	wrapped  []uint64                   // record ids ValidateWraps accepted
	redacted []types.Record             // AfterRecordRedacted calls
	failNext error                      // returned once by AfterRecordRedacted
}

var _ types.AccessHooks = (*fakeAccess)(nil)

func newFakeAccess(ac address.Codec) *fakeAccess {
	return &fakeAccess{ac: ac, grants: map[string]map[string]bool{}}
}

func (a *fakeAccess) grant(owner, grantee string) {
	if a.grants[owner] == nil {
		a.grants[owner] = map[string]bool{}
	}
	a.grants[owner][grantee] = true
}

func (a *fakeAccess) CanWrite(_ context.Context, record types.Record, writer, organisation sdk.AccAddress) (bool, error) {
	owner, _ := a.ac.StringToBytes(record.Owner)
	o, _ := a.ac.BytesToString(owner)
	w, _ := a.ac.BytesToString(writer)
	if a.grants[o][w] {
		return true, nil
	}
	if len(organisation) > 0 {
		org, _ := a.ac.BytesToString(organisation)
		return a.grants[o][org], nil
	}
	return false, nil
}

func (a *fakeAccess) ValidateWraps(_ context.Context, record types.Record, wraps []types.KeyWrap) error {
	for _, w := range wraps {
		if w.Grantee == record.Owner {
			a.wrapped = append(a.wrapped, record.Id)
			return nil
		}
	}
	return errFakeWraps
}

func (a *fakeAccess) AfterRecordRedacted(_ context.Context, record types.Record) error {
	if err := a.failNext; err != nil {
		a.failNext = nil
		return err
	}
	a.redacted = append(a.redacted, record)
	return nil
}

func TestNewKeeperKeepsAuthority(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, f.authority, f.keeper.GetAuthority())
}

func TestNewKeeperRejectsBadArguments(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	ac := addresscodec.NewBech32Codec(bech32Prefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	for _, bad := range []string{"", "not-an-address", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"} {
		require.Panics(t, func() {
			keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, bad, &fakeIssuers{})
		}, "authority %q", bad)
	}
	require.Panics(t, func() {
		keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, nil)
	}, "nil issuers keeper")
}

// SetHooks reaches copies of the keeper made before it was called (the
// module and msg server hold copies), and cannot be called twice.
func TestSetHooks(t *testing.T) {
	f := newFixtureWithoutHooks(t)
	// A copy, made before SetHooks.
	msgServer := receipts.RecordsMsgServer{MsgServer: keeper.NewMsgServerImpl(f.keeper), Vault: f.vault}

	_, err := msgServer.CreateRecord(f.freshCtx(), f.createMsg(t, f.doctor, "before hooks"))
	require.ErrorIs(t, err, types.ErrNoWritePermission)

	access := newFakeAccess(f.addressCodec)
	access.grant(f.patient, f.hospital)
	f.keeper.SetHooks(access)
	_, err = msgServer.CreateRecord(f.freshCtx(), f.createMsg(t, f.doctor, "after hooks"))
	require.NoError(t, err)

	require.Panics(t, func() { f.keeper.SetHooks(access) })
}

// rotateKey is keeper.RotateKey with the receipt f.vault gives by for c.
func (f fixture) rotateKey(ctx sdk.Context, id uint64, c string, size uint64, label []byte, by string) (types.Record, error) {
	return f.keeper.RotateKey(ctx, id, c, size, label, by, f.vault.For(ctx, by, c))
}
