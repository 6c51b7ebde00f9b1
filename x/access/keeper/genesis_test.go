package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// kvStore returns the fixture's KV store mounted under name.
func (f *fixture) kvStore(t testing.TB, name string) storetypes.KVStore {
	t.Helper()
	return f.ctx.KVStore(f.chain.StoreKey(t, name))
}

// storeEntry is one raw key/value pair of a KV store.
type storeEntry struct{ Key, Value string }

// dumpStore returns every raw entry of the store named name, in key order.
func (f *fixture) dumpStore(t testing.TB, name string) []storeEntry {
	t.Helper()
	it := f.kvStore(t, name).Iterator(nil, nil)
	defer it.Close()
	var entries []storeEntry
	for ; it.Valid(); it.Next() {
		entries = append(entries, storeEntry{string(it.Key()), string(it.Value())})
	}
	return entries
}

// wipeStore deletes every entry of the store named name.
func (f *fixture) wipeStore(t testing.TB, name string) {
	t.Helper()
	store := f.kvStore(t, name)
	for _, e := range f.dumpStore(t, name) {
		store.Delete([]byte(e.Key))
	}
	require.Empty(t, f.dumpStore(t, name))
}

// accounts are every account of the fixture, for exhaustive checks.
func (f *fixture) accounts() []string {
	return []string{f.patient, f.otherPatient, f.hospital, f.doctor, f.clinic, f.suspended, f.suspendedDoctor, f.researcher, f.stranger}
}

// decisions is every CheckAccess answer of the fixture at its block time:
// each record, account and permission.
func (f *fixture) decisions(t testing.TB) []*types.QueryCheckAccessResponse {
	t.Helper()
	var answers []*types.QueryCheckAccessResponse
	for id := uint64(1); id < f.nextRecordID(t); id++ {
		for _, who := range f.accounts() {
			for _, p := range []types.Permission{types.PermissionRead, types.PermissionWrite} {
				answers = append(answers, f.check(t, id, who, p))
			}
		}
	}
	return answers
}

// richState builds, through messages, state with every kind of entry:
// a key rotation, record and scope grants for READ and WRITE with and
// without expiry (one answering a request), wraps at two key epochs, a
// revocation with rotation, a redacted record and pending requests. It
// returns the time the first grants and a request expire.
func richState(t *testing.T, f *fixture) time.Time {
	t.Helper()
	soon, later := genesisTime.Add(time.Hour), genesisTime.Add(2*time.Hour)

	f.grantWrite(t, f.patient, f.hospital) // scope WRITE, no expiry
	dicom := f.createRecord(t, f.doctor, f.patient, recordstypes.RecordKindDICOM)
	fhir := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
	f.grant(t, &types.MsgGrantAccess{ // scope READ, expiring
		Owner: f.patient, Grantee: f.clinic, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindFHIR},
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment, ExpiresAt: &later,
		Wraps: []recordstypes.KeyWrap{f.seal(t, fhir, 0, f.clinic)},
	})
	f.grantRead(t, f.patient, f.doctor, dicom, nil)       // record READ, no expiry
	f.grantRead(t, f.patient, f.researcher, dicom, &soon) // record READ, expiring
	f.grant(t, &types.MsgGrantAccess{                     // record WRITE, expiring
		Owner: f.patient, Grantee: f.clinic, RecordId: dicom, Permission: types.PermissionWrite,
		Purpose: types.PurposeTreatment, ExpiresAt: &soon,
	})

	// The researcher rotates its key: its wrap of dicom stays sealed to the
	// earlier key, which genesis must keep.
	f.registerNewKey(t, f.researcher)
	answered := f.request(t, readRequest(f.researcher, f.patient, fhir))
	answer := f.readMsg(t, f.patient, f.researcher, fhir)
	answer.Purpose, answer.RequestId = types.PurposeResearch, answered
	f.grant(t, answer)

	other := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindPDF)
	f.grantRead(t, f.otherPatient, f.researcher, other, nil)
	revoked := f.grantRead(t, f.otherPatient, f.doctor, other, nil)
	f.deliver(t, sending(f.msgServer.RevokeAccess, &types.MsgRevokeAccess{
		Owner: f.otherPatient, GrantId: revoked, Rotations: []types.Rotation{f.rotation(t, other, 1, f.otherPatient, f.researcher)},
	}))

	redacted := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindImage)
	f.grantRead(t, f.patient, f.doctor, redacted, nil)
	f.redact(t, f.patient, redacted)

	f.request(t, readRequest(f.researcher, f.patient, dicom)) // default TTL
	expiring := &types.MsgRequestAccess{
		Requester: f.clinic, Owner: f.otherPatient, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindPDF},
		Permission: types.PermissionWrite, Purpose: types.PurposeTreatment, SealedReason: types.FakeSealedReason("follow-up scans"), ExpiresAt: &soon,
	}
	f.request(t, expiring)
	return soon
}

// requireWrapIndexInSync asserts that WrapsByReader holds exactly one
// entry per stored wrap, under the owner of the wrap's record.
func (f *fixture) requireWrapIndexInSync(t testing.TB) {
	t.Helper()
	var want, have []collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]
	require.NoError(t, f.keeper.Wraps.Walk(f.ctx, nil, func(key collections.Pair[uint64, sdk.AccAddress], _ types.Wrap) (bool, error) {
		record := f.mustRecord(t, key.K1())
		want = append(want, collections.Join3(f.accAddr(t, record.Owner), key.K2(), key.K1()))
		return false, nil
	}))
	require.NoError(t, f.keeper.WrapsByReader.Walk(f.ctx, nil, func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
		have = append(have, key)
		return false, nil
	}))
	require.NotEmpty(t, want)
	require.ElementsMatch(t, want, have)
}

// importInto loads the access and records genesis into a fresh fixture
// whose access and records stores were wiped (the fresh fixture registers
// keys of its own); issuers are the fixture's, the same in both.
func importInto(t *testing.T, access *types.GenesisState, records *recordstypes.GenesisState, at time.Time) *fixture {
	t.Helper()
	f := newFixture(t)
	f.wipeStore(t, types.StoreKey)
	f.wipeStore(t, recordstypes.StoreKey)
	f.at(at)
	require.NoError(t, f.records.InitGenesis(f.ctx, records))
	require.NoError(t, f.keeper.InitGenesis(f.ctx, access))
	return f
}

// TestGenesisRoundTrip: exporting rich state and importing it into a fresh
// chain gives the same genesis back, byte-identical access state
// (decision entries, expiry queues, indexes and pending counts rebuilt),
// the same CheckAccess answers at every time, and an expiry queue that
// EndBlock drains as it would have on the original chain.
func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	soon := richState(t, f)
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec))
	records, err := f.records.ExportGenesis(f.ctx)
	require.NoError(t, err)

	// Make sure the state is as rich as meant.
	require.Len(t, exported.Grants, 7, "nine granted, one revoked, one ended by redaction")
	require.Len(t, exported.Requests, 2)
	require.Greater(t, len(exported.Keys), len(exported.CurrentKeys), "an earlier key is kept")
	var epochs []uint64
	for _, w := range exported.Wraps {
		epochs = append(epochs, w.KeyEpoch)
	}
	require.Contains(t, epochs, uint64(1))
	f.requireWrapIndexInSync(t)

	g := importInto(t, exported, records, f.ctx.BlockTime())
	g.requireWrapIndexInSync(t)
	again, err := g.keeper.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	recordsAgain, err := g.records.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, records, recordsAgain)
	require.Equal(t, f.dumpStore(t, types.StoreKey), g.dumpStore(t, types.StoreKey), "derived state rebuilt exactly")

	for _, at := range []time.Time{genesisTime, soon.Add(-time.Nanosecond), soon, soon.Add(2 * time.Hour)} {
		f.at(at)
		g.at(at)
		require.Equal(t, f.decisions(t), g.decisions(t), "CheckAccess at %s", at)
	}
	for who, priv := range f.keys { // the same accounts, so the same private keys
		g.keys[who] = priv
	}
	g.requireReads(t, 1, f.doctor, 0, 0)

	// The imported expiry queues: EndBlock at the expiry removes the
	// expiring record grants and closes the expiring request, exactly as
	// on the original chain.
	f.at(soon)
	g.at(soon)
	original, imported := f.endBlock(t), g.endBlock(t)
	require.Equal(t, original.EventManager().Events(), imported.EventManager().Events())
	require.Equal(t, 2, eventCount(imported, &types.EventAccessRevoked{}))
	require.Equal(t, 1, eventCount(imported, &types.EventRequestClosed{}))
	for _, e := range exported.Grants {
		require.Equal(t, e.ExpiresAt == nil || e.ExpiresAt.After(soon), g.grantStored(t, e.Id), "grant %d", e.Id)
	}
	require.Equal(t, f.dumpStore(t, types.StoreKey), g.dumpStore(t, types.StoreKey))
	g.requireWrapIndexInSync(t)
}

// TestInitGenesisRejectsWrapOfUnknownRecord: the wrap index is keyed by
// the record's owner, so every wrap's record must be in the records
// genesis; InitGenesis says which wrap is not, before it writes.
func TestInitGenesisRejectsWrapOfUnknownRecord(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	g := newFixture(t)
	g.wipeStore(t, types.StoreKey)
	exported.Wraps[0].RecordId = 999
	err = g.keeper.InitGenesis(g.ctx, exported)
	require.ErrorIs(t, err, types.ErrInvalidGenesis)
	require.ErrorContains(t, err, "wraps[0]: record 999 is not in the records genesis")
	require.Empty(t, g.dumpStore(t, types.StoreKey), "nothing written")
}

// TestGenesisDefaultRoundTrip: an empty chain exports the default genesis.
func TestGenesisDefaultRoundTrip(t *testing.T) {
	f := importInto(t, types.DefaultGenesis(), recordstypes.DefaultGenesis(), genesisTime)
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), exported)
}

// TestInitGenesisRejectsInvalid: InitGenesis validates before it writes.
func TestInitGenesisRejectsInvalid(t *testing.T) {
	f := newFixture(t)
	before := state.Take(f.ctx, f.chain.Stores...)
	bad := types.DefaultGenesis()
	bad.Grants = []types.Grant{{
		Id: 1, Owner: f.patient, Grantee: f.patient, RecordId: 1,
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
	}}
	bad.NextGrantId = 2
	err := f.keeper.InitGenesis(f.ctx, bad)
	require.ErrorIs(t, err, types.ErrInvalidGenesis)
	require.ErrorContains(t, err, "grants[0]: grantee is the owner")
	state.RequireSame(t, before, f.ctx, f.chain.Stores...)
}
