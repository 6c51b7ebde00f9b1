package keeper_test

import (
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// versionMsg is the message the CLI sends: the owner may refresh the
// wraps of the key epoch, anyone else sends none.
func (f fixture) versionMsg(t testing.TB, creator string, id uint64, data string) *types.MsgAddVersion {
	msg := &types.MsgAddVersion{
		Creator:   creator,
		RecordId:  id,
		Cid:       sample.CID(cid.Raw, data),
		SizeBytes: 2048,
		KeyEpoch:  0,
	}
	if creator == f.patient {
		msg.Wraps = []types.KeyWrap{wrapFor(f.patient, id)}
	}
	return msg
}

func TestAddVersionAccepted(t *testing.T) {
	for name, creator := range map[string]func(f fixture) string{
		"owner": func(f fixture) string { return f.patient },
		"practitioner of an organisation with WRITE": func(f fixture) string { return f.doctor },
		"organisation with WRITE":                    func(f fixture) string { return f.hospital },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			first := f.createMsg(t, f.patient, "v1")
			id := f.mustCreate(t, first)

			later := genesisTime.Add(time.Hour)
			f.ctx = f.ctx.WithBlockTime(later).WithBlockHeight(11)
			ctx := f.freshCtx()
			msg := f.versionMsg(t, creator(f), id, "v2")
			resp, err := f.msgServer.AddVersion(ctx, msg)
			require.NoError(t, err)
			require.Equal(t, uint64(2), resp.Version)

			got, err := f.keeper.Records.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, msg.Cid, got.Cid)
			require.Equal(t, uint64(2), got.Version)
			require.Equal(t, uint64(2048), got.SizeBytes)
			require.Equal(t, later, got.UpdatedAt)
			require.Equal(t, genesisTime, got.CreatedAt)
			require.Equal(t, f.patient, got.Issuer, "the record keeps its creator")

			history, err := f.querier.History(ctx, &types.QueryHistoryRequest{RecordId: id})
			require.NoError(t, err)
			require.Equal(t, []types.RecordVersion{
				{RecordId: id, Version: 1, Cid: first.Cid, Issuer: f.patient, At: genesisTime, SizeBytes: 1 << 20},
				{RecordId: id, Version: 2, Cid: msg.Cid, Issuer: creator(f), At: later, SizeBytes: 2048},
			}, history.Versions)

			events.RequireSingle(t, ctx, &types.EventVersionAdded{
				RecordId: id, Owner: f.patient, Issuer: creator(f), Version: 2, Cid: msg.Cid, SizeBytes: 2048,
			})
		})
	}
}

func TestAddVersionRejected(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	earlier := sample.CID(cid.DagProtobuf, "v1")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, "v1b"))
	require.NoError(t, err)
	current, err := f.keeper.Records.Get(f.ctx, id)
	require.NoError(t, err)
	othersMsg := f.createMsg(t, f.otherPatient, "someone else's")
	othersMsg.Owner, othersMsg.Wraps = f.otherPatient, []types.KeyWrap{f.wrap(t, f.otherPatient)}
	otherID := f.mustCreate(t, othersMsg)
	other, err := f.keeper.Records.Get(f.ctx, otherID)
	require.NoError(t, err)
	redacted := f.mustCreate(t, f.createMsg(t, f.patient, "gone"))
	redactedCID := sample.CID(cid.DagProtobuf, "gone")
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)

	tests := []struct {
		name    string
		msg     func() *types.MsgAddVersion
		wantErr error
		wantMsg string
	}{
		{"another patient", func() *types.MsgAddVersion { return f.versionMsg(t, f.otherPatient, id, "v2") }, types.ErrNotAuthorisedIssuer, "not a registered issuer"},
		{"a stranger", func() *types.MsgAddVersion { return f.versionMsg(t, f.stranger, id, "v2") }, types.ErrNotAuthorisedIssuer, "not a registered issuer"},
		{"a practitioner without WRITE", func() *types.MsgAddVersion { return f.versionMsg(t, f.clinicNurse, id, "v2") }, types.ErrNoWritePermission, "has not granted WRITE"},
		{"a practitioner of a suspended organisation", func() *types.MsgAddVersion { return f.versionMsg(t, f.suspendedDoctor, id, "v2") }, types.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"malformed creator", func() *types.MsgAddVersion { return f.versionMsg(t, "bogus", id, "v2") }, types.ErrInvalidAddress, "creator"},
		{"unknown record", func() *types.MsgAddVersion { return f.versionMsg(t, f.patient, 999, "v2") }, types.ErrRecordNotFound, "no record with id 999"},
		{"redacted record", func() *types.MsgAddVersion { return f.versionMsg(t, f.patient, redacted, "v2") }, types.ErrRecordRedacted, "takes no new versions"},
		{"another owner's record, by that owner", func() *types.MsgAddVersion { return f.versionMsg(t, f.otherPatient, id, "v2") }, types.ErrNotAuthorisedIssuer, ""},
		{"garbage CID", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = "garbage"
			return m
		}, types.ErrInvalidCID, "is not a CID"},
		{"CIDv0", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
			return m
		}, types.ErrInvalidCID, "CIDv0"},
		{"the current CID again", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = current.Cid
			return m
		}, types.ErrCIDInUse, "already the current version"},
		{"another record's CID", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = other.Cid
			return m
		}, types.ErrCIDInUse, "a CID belongs to one record version"},
		{"an earlier version's CID", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = earlier
			return m
		}, types.ErrCIDInUse, "is version 1 of record"},
		{"a redacted record's CID", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Cid = redactedCID
			return m
		}, types.ErrCIDInUse, "released by a redaction"},
		{"a writer replacing the wraps", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.hospital, id, "v2")
			m.Wraps = []types.KeyWrap{wrapFor(f.patient, id)}
			return m
		}, types.ErrInvalidWraps, "only the owner may replace the wraps"},
		{"zero size", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.SizeBytes = 0
			return m
		}, types.ErrInvalidSize, "size_bytes is 0"},
		{"another key epoch", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.KeyEpoch = 1
			return m
		}, types.ErrKeyEpochMismatch, "is at key epoch 0"},
		{"wrap for another key epoch", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Wraps[0].KeyEpoch = 1
			return m
		}, types.ErrInvalidWraps, "seals key epoch 1"},
		{"wrap bound to another record", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Wraps[0].RecordId = id + 1
			return m
		}, types.ErrInvalidWraps, "says record"},
		{"access hooks refuse the wraps", func() *types.MsgAddVersion {
			m := f.versionMsg(t, f.patient, id, "v2")
			m.Wraps = []types.KeyWrap{wrapFor(f.hospital, id)}
			return m
		}, errFakeWraps, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg()
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.AddVersion(ctx, msg))
			})
		})
	}
}
