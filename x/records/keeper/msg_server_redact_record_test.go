package keeper_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// After redaction no query returns any CID of the record: not the record,
// not its history, not the owner's or the issuer's lists.
func TestRedactRecordErasesEveryCID(t *testing.T) {
	f := newFixture(t)
	first := f.createMsg(t, f.doctor, "v1")
	id := f.mustCreate(t, first)
	v2 := f.versionMsg(t, f.patient, id, "v2")
	_, err := f.msgServer.AddVersion(f.freshCtx(), v2)
	require.NoError(t, err)
	keep := f.mustCreate(t, f.createMsg(t, f.patient, "kept"))

	ctx := f.freshCtx()
	_, err = f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.NoError(t, err)
	events.RequireSingle(t, ctx, &types.EventRecordRedacted{RecordId: id, Owner: f.patient, Cids: []string{first.Cid, v2.Cid}})
	require.Len(t, f.access.redacted, 1)
	require.Equal(t, id, f.access.redacted[0].Id)
	require.Equal(t, types.RecordStatusRedacted, f.access.redacted[0].Status)

	var answers []string
	rec, err := f.querier.Record(ctx, &types.QueryRecordRequest{Id: id})
	require.NoError(t, err)
	require.Equal(t, types.RecordStatusRedacted, rec.Record.Status)
	require.Empty(t, rec.Record.Cid)
	require.NotEmpty(t, first.SealedLabel, "the fixture's records have a sealed label")
	require.Empty(t, rec.Record.SealedLabel, "the label goes with the record")
	require.Equal(t, uint64(2), rec.Record.Version, "the tombstone keeps its metadata")
	answers = append(answers, rec.String())
	hist, err := f.querier.History(ctx, &types.QueryHistoryRequest{RecordId: id})
	require.NoError(t, err)
	require.Len(t, hist.Versions, 2)
	answers = append(answers, hist.String())
	byOwner, err := f.querier.RecordsByOwner(ctx, &types.QueryRecordsByOwnerRequest{Owner: f.patient})
	require.NoError(t, err)
	require.Len(t, byOwner.Records, 2)
	answers = append(answers, byOwner.String())
	byIssuer, err := f.querier.RecordsByIssuer(ctx, &types.QueryRecordsByIssuerRequest{Issuer: f.doctor})
	require.NoError(t, err)
	require.Len(t, byIssuer.Records, 1)
	answers = append(answers, byIssuer.String())
	gs, err := f.keeper.ExportGenesis(ctx)
	require.NoError(t, err)
	answers = append(answers, gs.String())

	for _, answer := range answers {
		require.NotContains(t, answer, first.Cid)
		require.NotContains(t, answer, v2.Cid)
	}

	// The store itself holds neither CID, in any encoding.
	for _, c := range []string{first.Cid, v2.Cid} {
		raw := cid.MustParse(c).Bytes()
		it := f.ctx.KVStore(f.storeKey).Iterator(nil, nil)
		for ; it.Valid(); it.Next() {
			require.NotContains(t, string(it.Value()), c)
			require.NotContains(t, string(it.Value()), string(raw))
		}
		it.Close()
	}

	other, err := f.keeper.Records.Get(ctx, keep)
	require.NoError(t, err)
	require.NotEmpty(t, other.Cid, "other records are untouched")
}

func TestRedactRecordRejected(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.doctor, "v1"))
	redacted := f.mustCreate(t, f.createMsg(t, f.patient, "gone"))
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)

	tests := []struct {
		name    string
		signer  string
		id      uint64
		wantErr error
		wantMsg string
	}{
		{"another patient", f.otherPatient, id, types.ErrNotOwner, "only its owner may redact it"},
		{"the issuer that created it, with WRITE", f.doctor, id, types.ErrNotOwner, "only its owner"},
		{"its organisation", f.hospital, id, types.ErrNotOwner, "only its owner"},
		{"a practitioner without WRITE", f.clinicNurse, id, types.ErrNotOwner, "only its owner"},
		{"a practitioner of a suspended organisation", f.suspendedDoctor, id, types.ErrNotOwner, "only its owner"},
		{"a stranger", f.stranger, id, types.ErrNotOwner, "only its owner"},
		{"the governance authority", f.authority, id, types.ErrNotOwner, "only its owner"},
		{"malformed owner", "med1garbage", id, types.ErrInvalidAddress, "owner"},
		{"unknown record", f.patient, 999, types.ErrRecordNotFound, "no record with id 999"},
		{"already redacted", f.patient, redacted, types.ErrRecordRedacted, "already redacted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: tc.signer, RecordId: tc.id}))
			})
		})
	}
	require.Len(t, f.access.redacted, 1, "hooks ran only for the accepted redaction")
}

// An error from the access hooks fails the redaction (the transaction then
// reverts, grants and tombstone together).
func TestRedactRecordHookErrorFails(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	f.access.failNext = errors.New("x/access is unhappy")
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.ErrorContains(t, err, "x/access is unhappy")
}

// Without hooks the owner can still redact.
func TestRedactRecordWithoutHooks(t *testing.T) {
	f := newFixtureWithoutHooks(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: strings.ToUpper(f.patient), RecordId: id})
	require.NoError(t, err, "bech32 is case-insensitive")
}

// Redaction shreds the record's archive entries: every entry, of every
// version and hospital, becomes SHREDDED at the block time and stays (a
// deal cannot be deleted); entries of other records in the same pieces
// stay ARCHIVED. Nothing of the record may be archived afterwards.
func TestRedactRecordShredsArchiveEntries(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "v1")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, "v2"))
	require.NoError(t, err)
	kept := f.archivable(t, f.patient, "kept")
	f.mustArchive(t, archiveMsg(f.hospital, "piece A", av(id, 1), av(id, 2), av(kept, 1)))
	f.mustArchive(t, archiveMsg(f.hospitalB, "piece B", av(id, 2)))
	keptBefore := f.archiveEntry(t, kept, 1, "piece A")

	redactedAt := genesisTime.Add(48 * time.Hour)
	f.ctx = f.ctx.WithBlockTime(redactedAt)
	ctx := f.freshCtx()
	_, err = f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.NoError(t, err)
	events.Require(t, ctx, &types.EventArchiveShredded{
		RecordId: id, Count: 3, PieceCids: []string{sample.PieceCID("piece A"), sample.PieceCID("piece B")},
	})
	require.Len(t, ctx.EventManager().Events(), 2, "the redaction and the shredding")

	resp, err := f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id})
	require.NoError(t, err)
	require.Len(t, resp.Entries, 3, "entries are never deleted")
	for _, a := range resp.Entries {
		require.Equal(t, types.ArchiveStatusShredded, a.Status, "version %d in %s", a.Version, a.PieceCid)
		require.NotNil(t, a.ShreddedAt)
		require.Equal(t, redactedAt, *a.ShreddedAt)
		require.Equal(t, genesisTime, a.RecordedAt, "the rest of the entry is kept")
	}
	require.Equal(t, keptBefore, f.archiveEntry(t, kept, 1, "piece A"), "another record in the same piece is untouched")

	requireRejected(t, f, types.ErrRecordRedacted, "is redacted", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "piece A", av(id, 1))))
	})
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec), "shredded entries of a redacted record are valid state")
}

// A record without archive entries is redacted as before: one event.
func TestRedactRecordWithoutArchiveEntries(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "v1")
	ctx := f.freshCtx()
	_, err := f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.NoError(t, err)
	events.RequireSingle(t, ctx, &types.EventRecordRedacted{RecordId: id, Owner: f.patient, Cids: []string{sample.CID(cid.DagProtobuf, "v1")}})
}
