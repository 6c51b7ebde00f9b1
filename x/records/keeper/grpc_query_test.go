package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// populate creates, for the patient: 5 DICOM records by the doctor, 3 PDF
// records by the patient (one redacted); and one record of another patient.
func populate(t *testing.T, f fixture) (dicom, pdf []uint64, redacted uint64) {
	t.Helper()
	for i := 0; i < 5; i++ {
		dicom = append(dicom, f.mustCreate(t, f.createMsg(t, f.doctor, fmt.Sprintf("dicom %d", i))))
	}
	for i := 0; i < 3; i++ {
		msg := f.createMsg(t, f.patient, fmt.Sprintf("pdf %d", i))
		msg.Kind = types.RecordKindPDF
		pdf = append(pdf, f.mustCreate(t, msg))
	}
	other := f.createMsg(t, f.otherPatient, "theirs")
	other.Owner, other.Wraps = f.otherPatient, []types.KeyWrap{f.wrap(t, f.otherPatient)}
	f.mustCreate(t, other)
	redacted = pdf[1]
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)
	return dicom, pdf, redacted
}

func ids(records []types.Record) []uint64 {
	out := make([]uint64, 0, len(records))
	for _, r := range records {
		out = append(out, r.Id)
	}
	return out
}

func TestQueryRecord(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "x"))
	resp, err := f.querier.Record(f.ctx, &types.QueryRecordRequest{Id: id})
	require.NoError(t, err)
	require.Equal(t, id, resp.Record.Id)

	_, err = f.querier.Record(f.ctx, &types.QueryRecordRequest{Id: 42})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.querier.Record(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestQueryRecordsByOwnerFilters(t *testing.T) {
	f := newFixture(t)
	dicom, pdf, redacted := populate(t, f)

	for name, tc := range map[string]struct {
		kind   types.RecordKind
		status types.RecordStatus
		want   []uint64
	}{
		"all":            {0, 0, append(append([]uint64{}, dicom...), pdf...)},
		"dicom":          {types.RecordKindDICOM, 0, dicom},
		"pdf":            {types.RecordKindPDF, 0, pdf},
		"redacted":       {0, types.RecordStatusRedacted, []uint64{redacted}},
		"active pdf":     {types.RecordKindPDF, types.RecordStatusActive, []uint64{pdf[0], pdf[2]}},
		"genomic (none)": {types.RecordKindGenomic, 0, []uint64{}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{Owner: f.patient, Kind: tc.kind, Status: tc.status})
			require.NoError(t, err)
			require.Equal(t, tc.want, ids(resp.Records))
		})
	}

	for name, req := range map[string]*types.QueryRecordsByOwnerRequest{
		"empty owner":     {},
		"malformed owner": {Owner: "med1xyz"},
		"unknown kind":    {Owner: f.patient, Kind: 99},
		"unknown status":  {Owner: f.patient, Status: 99},
	} {
		_, err := f.querier.RecordsByOwner(f.ctx, req)
		require.Equal(t, codes.InvalidArgument, status.Code(err), name)
	}
}

// Pages by key and by offset cover the filtered list exactly once; the
// total counts matches only.
func TestQueryRecordsByOwnerPagination(t *testing.T) {
	f := newFixture(t)
	_, pdf, _ := populate(t, f)
	allActive := []uint64{1, 2, 3, 4, 5, pdf[0], pdf[2]}

	var got []uint64
	var key []byte
	for page := 0; ; page++ {
		require.Less(t, page, 10)
		resp, err := f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{
			Owner: f.patient, Status: types.RecordStatusActive, Pagination: &query.PageRequest{Key: key, Limit: 3},
		})
		require.NoError(t, err)
		require.LessOrEqual(t, len(resp.Records), 3)
		got = append(got, ids(resp.Records)...)
		if key = resp.Pagination.NextKey; key == nil {
			break
		}
	}
	require.Equal(t, allActive, got)

	resp, err := f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{
		Owner: f.patient, Status: types.RecordStatusActive, Pagination: &query.PageRequest{Offset: 2, Limit: 2, CountTotal: true},
	})
	require.NoError(t, err)
	require.Equal(t, allActive[2:4], ids(resp.Records))
	require.Equal(t, uint64(len(allActive)), resp.Pagination.Total)

	resp, err = f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{
		Owner: f.patient, Pagination: &query.PageRequest{Limit: 2, Reverse: true},
	})
	require.NoError(t, err)
	require.Equal(t, []uint64{pdf[2], pdf[1]}, ids(resp.Records))

	// A next_key of one owner's list is refused for another's.
	first, err := f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{Owner: f.patient, Pagination: &query.PageRequest{Limit: 1}})
	require.NoError(t, err)
	_, err = f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{Owner: f.otherPatient, Pagination: &query.PageRequest{Key: first.Pagination.NextKey}})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.querier.RecordsByOwner(f.ctx, &types.QueryRecordsByOwnerRequest{Owner: f.patient, Pagination: &query.PageRequest{Key: first.Pagination.NextKey, Offset: 1}})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestQueryRecordsByIssuer(t *testing.T) {
	f := newFixture(t)
	dicom, pdf, _ := populate(t, f)

	resp, err := f.querier.RecordsByIssuer(f.ctx, &types.QueryRecordsByIssuerRequest{Issuer: f.doctor})
	require.NoError(t, err)
	require.Equal(t, dicom, ids(resp.Records))

	resp, err = f.querier.RecordsByIssuer(f.ctx, &types.QueryRecordsByIssuerRequest{Issuer: f.patient, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, pdf[:2], ids(resp.Records))
	require.Equal(t, uint64(3), resp.Pagination.Total)

	resp, err = f.querier.RecordsByIssuer(f.ctx, &types.QueryRecordsByIssuerRequest{Issuer: f.stranger})
	require.NoError(t, err)
	require.Empty(t, resp.Records)

	_, err = f.querier.RecordsByIssuer(f.ctx, &types.QueryRecordsByIssuerRequest{Issuer: "x"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestQueryHistoryPagination(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	other := f.mustCreate(t, f.createMsg(t, f.patient, "other"))
	for v := 2; v <= 4; v++ {
		_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, fmt.Sprintf("v%d", v)))
		require.NoError(t, err)
	}

	resp, err := f.querier.History(f.ctx, &types.QueryHistoryRequest{RecordId: id, Pagination: &query.PageRequest{Limit: 3, CountTotal: true}})
	require.NoError(t, err)
	require.Len(t, resp.Versions, 3)
	require.Equal(t, uint64(4), resp.Pagination.Total)
	resp, err = f.querier.History(f.ctx, &types.QueryHistoryRequest{RecordId: id, Pagination: &query.PageRequest{Key: resp.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, resp.Versions, 1)
	require.Equal(t, uint64(4), resp.Versions[0].Version)

	resp, err = f.querier.History(f.ctx, &types.QueryHistoryRequest{RecordId: other})
	require.NoError(t, err)
	require.Len(t, resp.Versions, 1, "only the record's own versions")

	_, err = f.querier.History(f.ctx, &types.QueryHistoryRequest{RecordId: 99})
	require.Equal(t, codes.NotFound, status.Code(err))
}

// Archives lists one record's entries, of every version or of one, in
// (version, piece) order, with expired judged at the block time.
func TestQueryArchives(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "v1")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, "v2"))
	require.NoError(t, err)
	other := f.archivable(t, f.patient, "other")
	soon := archiveMsg(f.hospital, "short deal", av(id, 2), av(id, 1))
	soon.ExpiresAt = genesisTime.Add(24 * time.Hour)
	f.mustArchive(t, soon)
	f.mustArchive(t, archiveMsg(f.hospitalB, "long deal", av(id, 1), av(other, 1)))

	pieces := func(resp *types.QueryArchivesResponse) []string {
		var out []string
		for _, a := range resp.Entries {
			out = append(out, fmt.Sprintf("v%d %s expired=%t", a.Version, a.PieceCid, a.Expired))
		}
		return out
	}
	short, long := sample.PieceCID("short deal"), sample.PieceCID("long deal")
	v1 := []string{"v1 " + short + " expired=false", "v1 " + long + " expired=false"}
	if long < short {
		v1[0], v1[1] = v1[1], v1[0]
	}
	resp, err := f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id})
	require.NoError(t, err)
	require.Equal(t, append(append([]string{}, v1...), "v2 "+short+" expired=false"), pieces(resp))

	resp, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id, Version: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"v2 " + short + " expired=false"}, pieces(resp))

	// A day later the short deal has ended: at its expiry exactly, expired.
	later := f.ctx.WithBlockTime(genesisTime.Add(24 * time.Hour))
	resp, err = f.querier.Archives(later, &types.QueryArchivesRequest{RecordId: id, Version: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"v2 " + short + " expired=true"}, pieces(resp))

	resp, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, v1, pieces(resp))
	require.Equal(t, uint64(3), resp.Pagination.Total)
	resp, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id, Pagination: &query.PageRequest{Key: resp.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []string{"v2 " + short + " expired=false"}, pieces(resp), "the next page stays within the record")

	resp, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: other})
	require.NoError(t, err)
	require.Len(t, resp.Entries, 1, "only the record's own entries")
	noEntries := f.mustCreate(t, f.createMsg(t, f.patient, "never archived"))
	resp, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: noEntries})
	require.NoError(t, err)
	require.Empty(t, resp.Entries)

	_, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: 99})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id, Version: 3})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, "record 1 has no version 3")
	_, err = f.querier.Archives(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
