package keeper_test

import (
	"crypto/hpke"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/keepers"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// genesisTime is the block time of every fixture context.
var genesisTime = keepers.GenesisTime

// fixture runs the real issuers, records and access keepers together on
// one in-memory multistore, wired as the app wires them (testutil/keepers),
// under the names these tests use.
type fixture struct {
	chain        *keepers.Chain
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
	c := keepers.New(t)
	return &fixture{
		chain: c, ctx: c.Ctx, keeper: c.Access, msgServer: c.AccessMsg, querier: keeper.NewQuerier(c.Access),
		records: c.Records, recordsMsg: c.RecordsMsg, issuers: c.Issuers,
		addressCodec: c.AddressCodec, authority: c.Authority,
		patient: c.Patient, otherPatient: c.OtherPatient, hospital: c.Hospital, hospitalB: c.HospitalB,
		doctor: c.Doctor, clinic: c.Clinic, suspended: c.Suspended, suspendedDoctor: c.SuspendedDoctor,
		researcher: c.Researcher, stranger: c.Stranger, keys: c.Keys,
	}
}

// freshCtx returns the fixture context with an empty event manager.
func (f *fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

// at moves the fixture's block time.
func (f *fixture) at(t time.Time) { f.ctx = f.ctx.WithBlockTime(t) }

// registerNewKey generates a key pair for who and registers it as its
// current encryption key; it returns the key id.
func (f *fixture) registerNewKey(t testing.TB, who string) string {
	t.Helper()
	return f.chain.RegisterNewKey(t, f.ctx, who)
}

// recordKey is the (fake, fixed-size) record key the tests seal.
func recordKey(recordID, epoch uint64) []byte { return keepers.RecordKey(recordID, epoch) }

// seal wraps record recordID's key at epoch for grantee's current key.
func (f *fixture) seal(t testing.TB, recordID, epoch uint64, grantee string) recordstypes.KeyWrap {
	t.Helper()
	return f.chain.Seal(t, recordID, epoch, grantee)
}

// open unwraps w with grantee's current private key.
func (f *fixture) open(t testing.TB, w *types.Wrap, grantee string) []byte {
	t.Helper()
	return f.chain.Open(t, w, grantee)
}

// testCID returns a canonical CIDv1 (raw, sha2-256) of data.
func testCID(data string) string { return sample.CID(cid.Raw, data) }

// nextRecordID is the id the next record gets.
func (f *fixture) nextRecordID(t testing.TB) uint64 {
	t.Helper()
	return f.chain.NextRecordID(t, f.ctx)
}

// createMsg is a MsgCreateRecord of kind for owner, by creator, with wraps
// for the owner and every extra reader, bound to the next record id.
func (f *fixture) createMsg(t testing.TB, creator, owner string, kind recordstypes.RecordKind, readers ...string) *recordstypes.MsgCreateRecord {
	t.Helper()
	return f.chain.CreateMsg(t, f.ctx, creator, owner, kind, readers...)
}

// createRecord creates a record and returns its id.
func (f *fixture) createRecord(t testing.TB, creator, owner string, kind recordstypes.RecordKind, readers ...string) uint64 {
	t.Helper()
	return f.chain.CreateRecord(t, f.ctx, f.createMsg(t, creator, owner, kind, readers...))
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

// requireRejected runs call and asserts that it fails with wantErr (and
// mentions wantMsg), writes no byte of any module's store and emits
// nothing.
func requireRejected(t *testing.T, f *fixture, wantErr error, wantMsg string, call func(ctx sdk.Context) error) {
	t.Helper()
	f.chain.RequireRejected(t, f.ctx, wantErr, wantMsg, call)
}
