package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// rotation re-encrypts record id under a new CID, with a wrap of the key
// of epoch for each reader.
func (f *fixture) rotation(t testing.TB, id, epoch uint64, readers ...string) types.Rotation {
	t.Helper()
	rot := types.Rotation{RecordId: id, Cid: testCID(fmt.Sprintf("record %d re-encrypted", id)), SizeBytes: 4096}
	for _, r := range readers {
		rot.Wraps = append(rot.Wraps, f.seal(t, id, epoch, r))
	}
	return rot
}

// recordsQuerier is the records Query service of the fixture.
func recordsQuerier(f *fixture) recordskeeper.Querier { return recordskeeper.NewQuerier(f.records) }

// TestRevokeAccessNotOwner: only the owner may revoke.
func TestRevokeAccessNotOwner(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)

	revoke := func(signer string, grant uint64) *types.MsgRevokeAccess {
		return &types.MsgRevokeAccess{Owner: signer, GrantId: grant}
	}
	const onlyOwner = "only the owner may revoke it"
	requireAllRejected(t, f, handler(f.msgServer.RevokeAccess), []rejection[*types.MsgRevokeAccess]{
		{"the grantee", revoke(f.researcher, g), types.ErrNotOwner, onlyOwner},
		{"other patient", revoke(f.otherPatient, g), types.ErrNotOwner, fmt.Sprintf("grant %d was given by %s", g, f.patient)},
		{"hospital (issuer)", revoke(f.hospital, g), types.ErrNotOwner, onlyOwner},
		{"suspended hospital's doctor", revoke(f.suspendedDoctor, g), types.ErrNotOwner, onlyOwner},
		{"stranger", revoke(f.stranger, g), types.ErrNotOwner, onlyOwner},
		{"malformed owner", revoke("med1notbech32", g), types.ErrInvalidAddress, `owner "med1notbech32"`},
		{"unknown grant", revoke(f.patient, 99), types.ErrGrantNotFound, "grant 99 does not exist"},
	})
}

// TestRevokeAccessWithoutRotation: the grant ends and the grantee's wrap
// goes; the owner and the other readers keep theirs.
func TestRevokeAccessWithoutRotation(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	f.grantRead(t, f.patient, f.doctor, id, nil)

	ctx := f.deliver(t, sending(f.msgServer.RevokeAccess, &types.MsgRevokeAccess{Owner: f.patient, GrantId: g}))
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: g, Owner: f.patient, Grantee: f.researcher, Reason: types.RevocationReasonRevoked,
	})
	require.False(t, f.grantStored(t, g))
	f.requireNoRead(t, id, f.researcher)
	require.Equal(t, map[string]uint64{f.patient: 0, f.doctor: 0}, f.wrapReaders(t, id))
	require.Equal(t, uint64(0), f.mustRecord(t, id).KeyEpoch, "no rotation asked, none done")
	f.requireReads(t, id, f.doctor, 0, 0)
}

// TestRevokeAccessKeepsWrapOfScopeReader: revoking a record grant keeps the
// grantee's wrap while a scope grant still lets it read the record.
func TestRevokeAccessKeepsWrapOfScopeReader(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	scope := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.researcher, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeResearch,
		Wraps: []recordstypes.KeyWrap{f.seal(t, id, 0, f.researcher)},
	})
	g := f.grantRead(t, f.patient, f.researcher, id, nil)

	f.deliver(t, sending(f.msgServer.RevokeAccess, &types.MsgRevokeAccess{Owner: f.patient, GrantId: g}))
	f.requireReads(t, id, f.researcher, scope, 0)
}

// TestRevokeAccessRotationRejected: a rotation must cover a record the
// grant covered, with a new valid CID and wraps of the new key for exactly
// the owner and the remaining readers.
func TestRevokeAccessRotationRejected(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	uncovered := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	foreign := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	f.grantRead(t, f.patient, f.doctor, id, nil)
	write := f.grantWrite(t, f.patient, f.hospital)

	edited := func(edit func(*types.Rotation)) types.Rotation {
		rot := f.rotation(t, id, 1, f.patient, f.doctor)
		edit(&rot)
		return rot
	}
	revoke := func(grant uint64, rotations ...types.Rotation) *types.MsgRevokeAccess {
		return &types.MsgRevokeAccess{Owner: f.patient, GrantId: grant, Rotations: rotations}
	}
	requireAllRejected(t, f, handler(f.msgServer.RevokeAccess), []rejection[*types.MsgRevokeAccess]{
		{"a remaining reader left out", revoke(g, f.rotation(t, id, 1, f.patient)), types.ErrInvalidWraps,
			fmt.Sprintf("no wrap for %s, who may read record %d through grant", f.doctor, id)},
		{"the owner left out", revoke(g, f.rotation(t, id, 1, f.doctor)), types.ErrInvalidWraps,
			fmt.Sprintf("no wrap for the owner %s of record %d", f.patient, id)},
		{"the revoked grantee included", revoke(g, f.rotation(t, id, 1, f.patient, f.doctor, f.researcher)), types.ErrInvalidWraps,
			fmt.Sprintf("is for %s, who is neither the owner nor holds a live READ grant", f.researcher)},
		{"wraps of the old epoch", revoke(g, f.rotation(t, id, 0, f.patient, f.doctor)), types.ErrInvalidWraps,
			fmt.Sprintf("seals key epoch 0 of record %d", id)},
		{"a record the grant does not cover", revoke(g, f.rotation(t, uncovered, 1, f.patient)), types.ErrInvalidRotation,
			fmt.Sprintf("grant %d does not cover record %d", g, uncovered)},
		{"another patient's record", revoke(g, f.rotation(t, foreign, 1, f.otherPatient)), types.ErrInvalidRotation,
			fmt.Sprintf("does not cover record %d", foreign)},
		{"an unknown record", revoke(g, f.rotation(t, 999, 1, f.patient)), types.ErrRecordNotFound,
			"rotations[0]: record 999 does not exist"},
		{"the same record twice", revoke(g, f.rotation(t, id, 1, f.patient, f.doctor), f.rotation(t, id, 1, f.patient, f.doctor)),
			types.ErrInvalidRotation, fmt.Sprintf("rotations[1]: record %d is rotated twice", id)},
		{"the current CID", revoke(g, edited(func(r *types.Rotation) { r.Cid = f.mustRecord(t, id).Cid })),
			types.ErrInvalidRotation, fmt.Sprintf("is record %d's current CID", id)},
		{"a CIDv0", revoke(g, edited(func(r *types.Rotation) { r.Cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" })),
			types.ErrInvalidRotation, "is a CIDv0"},
		{"no CID", revoke(g, edited(func(r *types.Rotation) { r.Cid = "" })), types.ErrInvalidRotation, "the CID is empty"},
		{"size 0", revoke(g, edited(func(r *types.Rotation) { r.SizeBytes = 0 })), types.ErrInvalidRotation, "size_bytes is 0"},
		{"a WRITE grant", revoke(write, f.rotation(t, id, 1, f.patient, f.doctor, f.researcher)), types.ErrInvalidRotation,
			fmt.Sprintf("grant %d is a WRITE grant: it never gave a record key", write)},
	})
}

// TestRevokeAccessWithRotation: the record moves to a new key epoch and
// version, the vaults learn which CIDs the revoked reader could open, and
// only the owner and the remaining reader hold the new key.
func TestRevokeAccessWithRotation(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	f.grantRead(t, f.patient, f.doctor, id, nil)
	v1 := f.mustRecord(t, id).Cid
	v2 := testCID("version 2")
	f.deliver(t, func(ctx sdk.Context) error {
		_, err := f.recordsMsg.AddVersion(ctx, &recordstypes.MsgAddVersion{
			Creator: f.patient, RecordId: id, Cid: v2, SizeBytes: 5120,
			Wraps: []recordstypes.KeyWrap{f.seal(t, id, 0, f.patient), f.seal(t, id, 0, f.researcher), f.seal(t, id, 0, f.doctor)},
		})
		return err
	})

	rot := f.rotation(t, id, 1, f.doctor, f.patient)
	ctx := f.deliver(t, sending(f.msgServer.RevokeAccess, &types.MsgRevokeAccess{
		Owner: f.patient, GrantId: g, Rotations: []types.Rotation{rot},
	}))

	record := f.mustRecord(t, id)
	require.Equal(t, uint64(3), record.Version)
	require.Equal(t, uint64(1), record.KeyEpoch)
	require.Equal(t, rot.Cid, record.Cid)
	require.Equal(t, rot.SizeBytes, record.SizeBytes)
	history, err := recordsQuerier(f).History(f.ctx, &recordstypes.QueryHistoryRequest{RecordId: id})
	require.NoError(t, err)
	require.Len(t, history.Versions, 3)
	require.Equal(t, recordstypes.RecordVersion{
		RecordId: id, Version: 3, Cid: rot.Cid, KeyEpoch: 1, Issuer: f.patient, At: genesisTime, SizeBytes: rot.SizeBytes,
	}, history.Versions[2])

	events.Require(t, ctx, &recordstypes.EventKeyRotated{
		RecordId: id, Owner: f.patient, Version: 3, Cid: rot.Cid, SizeBytes: rot.SizeBytes, KeyEpoch: 1,
		ReleasedCids: []string{v1, v2},
	})
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: g, Owner: f.patient, Grantee: f.researcher, Reason: types.RevocationReasonRevoked, RotatedRecords: []uint64{id},
	})

	require.Equal(t, map[string]uint64{f.patient: 1, f.doctor: 1}, f.wrapReaders(t, id), "every old wrap is replaced")
	f.requireReads(t, id, f.doctor, 0, 1)
	f.requireReads(t, id, f.patient, 0, 1)
	f.requireNoRead(t, id, f.researcher)
}
