package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

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

// fillToCap brings record id to params max_versions_per_record versions
// through MsgAddVersion signed by writer, and returns the record.
func (f fixture) fillToCap(t *testing.T, id uint64, writer string) types.Record {
	t.Helper()
	params, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	record, err := f.keeper.Records.Get(f.ctx, id)
	require.NoError(t, err)
	for v := record.Version + 1; v <= uint64(params.MaxVersionsPerRecord); v++ {
		resp, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, writer, id, fmt.Sprintf("record %d version %d", id, v)))
		require.NoError(t, err, "version %d of %d", v, params.MaxVersionsPerRecord)
		require.Equal(t, v, resp.Version)
	}
	record, err = f.keeper.Records.Get(f.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, params.MaxVersionsPerRecord, record.Version)
	return record
}

// setMaxVersionsPerRecord puts n in force as max_versions_per_record,
// the other params at their defaults.
func (f fixture) setMaxVersionsPerRecord(t *testing.T, n uint32) {
	t.Helper()
	params := types.DefaultParams()
	params.MaxVersionsPerRecord = n
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))
}

// history lists every version of record id, oldest first.
func (f fixture) history(t *testing.T, id uint64) []types.RecordVersion {
	t.Helper()
	resp, err := f.querier.History(f.ctx, &types.QueryHistoryRequest{RecordId: id, Pagination: &query.PageRequest{Limit: 1000}})
	require.NoError(t, err)
	return resp.Versions
}

// liveCIDs lists every live CID.
func (f fixture) liveCIDs(t *testing.T) []types.LiveCid {
	t.Helper()
	resp, err := f.querier.LiveCids(f.ctx, &types.QueryLiveCidsRequest{Pagination: &query.PageRequest{Limit: 1000}})
	require.NoError(t, err)
	return resp.Cids
}

// TestAddVersionRefusedAtTheCap is the finding: a hospital holding the
// patient's WRITE grant could add versions without end, and redaction and
// rotation walk every one. A record filled to the default
// max_versions_per_record (64), by its owner or by the hospital, takes no
// further version from anyone who may write it, and the refusal writes
// nothing: the record stays at its version, its current CID stays the live
// one and the new CID is not claimed.
func TestAddVersionRefusedAtTheCap(t *testing.T) {
	require.EqualValues(t, 64, types.DefaultMaxVersionsPerRecord)
	for filler, writer := range map[string]func(f fixture) string{
		"the owner":                 func(f fixture) string { return f.patient },
		"a hospital with WRITE":     func(f fixture) string { return f.hospital },
		"a practitioner with WRITE": func(f fixture) string { return f.doctor },
	} {
		t.Run("filled by "+filler, func(t *testing.T) {
			f := newFixture(t)
			id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
			full := f.fillToCap(t, id, writer(f))
			live := f.liveCIDs(t)
			require.Len(t, live, int(types.DefaultMaxVersionsPerRecord), "every version of key epoch 0 is live")

			for signer, creator := range map[string]string{
				"the owner":                 f.patient,
				"a hospital with WRITE":     f.hospital,
				"a practitioner with WRITE": f.doctor,
			} {
				t.Run("next version by "+signer, func(t *testing.T) {
					msg := f.versionMsg(t, creator, id, "one too many")
					requireRejected(t, f, types.ErrTooManyVersions,
						fmt.Sprintf("record %d holds 64 versions and the limit (params max_versions_per_record) is 64", id),
						func(ctx sdk.Context) (any, error) { return result(f.msgServer.AddVersion(ctx, msg)) })

					got, err := f.keeper.Records.Get(f.ctx, id)
					require.NoError(t, err)
					require.Equal(t, full, got, "the record keeps its version and CID")
					require.Equal(t, live, f.liveCIDs(t), "the live CID index is unchanged")
					_, err = f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: msg.Cid})
					require.Equal(t, codes.NotFound, status.Code(err), "the refused CID belongs to no record: %v", err)
				})
			}
		})
	}
}

// TestAddVersionCapErrorTellsWhatToDo: the refusal names the record, how
// many versions it holds and the limit, and what the owner can do.
func TestAddVersionCapErrorTellsWhatToDo(t *testing.T) {
	f := newFixture(t)
	f.setMaxVersionsPerRecord(t, 3)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	f.fillToCap(t, id, f.hospital)

	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.hospital, id, "v4"))
	require.ErrorIs(t, err, types.ErrTooManyVersions)
	for _, want := range []string{
		fmt.Sprintf("record %d", id), "holds 3 versions", "max_versions_per_record) is 3",
		"its owner can create a new record", "or redact this one",
	} {
		require.ErrorContains(t, err, want)
	}
}

// TestAddVersionAtTheCapStillUnauthorised: at the cap, whoever may not
// write the record gets the refusal they always get, never the cap error,
// which would tell them how full a record of someone else is.
func TestAddVersionAtTheCapStillUnauthorised(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	f.fillToCap(t, id, f.hospital)
	redacted := f.mustCreate(t, f.createMsg(t, f.patient, "to redact"))
	f.fillToCap(t, redacted, f.patient)
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		creator string
		record  uint64
		wantErr error
		wantMsg string
	}{
		{"a stranger", f.stranger, id, types.ErrNotAuthorisedIssuer, "not a registered issuer"},
		{"another patient", f.otherPatient, id, types.ErrNotAuthorisedIssuer, "not a registered issuer"},
		{"a suspended organisation the patient granted WRITE", f.suspended, id, types.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"a practitioner of a suspended organisation", f.suspendedDoctor, id, types.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"a practitioner without WRITE", f.clinicNurse, id, types.ErrNoWritePermission, "has not granted WRITE"},
		{"an organisation without WRITE", f.clinic, id, types.ErrNoWritePermission, "has not granted WRITE"},
		{"the owner, to a redacted record at the cap", f.patient, redacted, types.ErrRecordRedacted, "takes no new versions"},
		{"a hospital with WRITE, to a redacted record at the cap", f.hospital, redacted, types.ErrRecordRedacted, "takes no new versions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := f.versionMsg(t, tc.creator, tc.record, "one too many")
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				resp, err := f.msgServer.AddVersion(ctx, msg)
				require.NotErrorIs(t, err, types.ErrTooManyVersions)
				return result(resp, err)
			})
		})
	}
}

// TestOwnerRotatesAtTheCap: the cap never blocks the owner's key rotation,
// through which a revocation takes effect: a grantee holding READ and WRITE
// who filled the record must not keep the key. The rotation releases every
// version of the old epoch, takes the record past the cap, and a writer
// still cannot add to it; redaction then releases every CID.
func TestOwnerRotatesAtTheCap(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	f.fillToCap(t, id, f.hospital)
	limit := uint64(types.DefaultMaxVersionsPerRecord)

	var epoch0 []string
	for _, v := range f.history(t, id) {
		epoch0 = append(epoch0, v.Cid)
	}
	require.Len(t, epoch0, int(limit))

	ctx := f.freshCtx()
	rotatedCID := sample.CID(cid.Raw, "re-encrypted at the cap")
	rotated, err := f.rotateKey(ctx, id, rotatedCID, 2048, nil, f.patient)
	require.NoError(t, err)
	require.Equal(t, limit+1, rotated.Version)
	require.Equal(t, uint64(1), rotated.KeyEpoch)
	require.Equal(t, rotatedCID, rotated.Cid)
	require.Equal(t, []types.LiveCid{{Cid: rotatedCID, RecordId: id, Version: limit + 1}}, f.liveCIDs(t))
	events.RequireSingle(t, ctx, &types.EventKeyRotated{
		RecordId: id, Owner: f.patient, Version: limit + 1, Cid: rotatedCID, SizeBytes: 2048, KeyEpoch: 1,
		ReleasedCids: epoch0, // every version of the old epoch
	})

	// A second rotation (the owner revokes another reader) still works.
	again, err := f.rotateKey(f.freshCtx(), id, sample.CID(cid.Raw, "re-encrypted again"), 2048, nil, f.patient)
	require.NoError(t, err)
	require.Equal(t, limit+2, again.Version)

	for _, writer := range []string{f.hospital, f.patient} {
		msg := f.versionMsg(t, writer, id, "after the rotations")
		msg.KeyEpoch = again.KeyEpoch
		if len(msg.Wraps) > 0 {
			msg.Wraps[0].KeyEpoch = again.KeyEpoch
		}
		requireRejected(t, f, types.ErrTooManyVersions, fmt.Sprintf("holds %d versions", limit+2), func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.AddVersion(ctx, msg))
		})
	}

	ctx = f.freshCtx()
	_, err = f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.NoError(t, err)
	require.Empty(t, f.liveCIDs(t))
	gs, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Len(t, gs.ReleasedCids, int(limit)+2, "every version's CID has a tombstone")
	require.NoError(t, gs.Validate(f.addressCodec), "a record past the cap is valid state")
}

// TestAddVersionCapFollowsGovernance: the cap is the param in force when
// the version is added. Raised, the full record takes versions again;
// lowered below a record's versions, the record stays as it is and takes
// none.
func TestAddVersionCapFollowsGovernance(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	f.fillToCap(t, id, f.hospital)

	params := types.DefaultParams()
	params.MaxVersionsPerRecord = 65
	_, err := f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
	resp, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.hospital, id, "v65"))
	require.NoError(t, err)
	require.Equal(t, uint64(65), resp.Version)

	params.MaxVersionsPerRecord = 2
	_, err = f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
	requireRejected(t, f, types.ErrTooManyVersions, "holds 65 versions and the limit (params max_versions_per_record) is 2",
		func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.AddVersion(ctx, f.versionMsg(t, f.patient, id, "v66")))
		})
	gs, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate(f.addressCodec), "params bind new writes only")
}
