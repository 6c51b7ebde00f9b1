package medclient_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/medclient"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// TestDownloadRecordRefusesBeforeFetching: an unknown record and a
// redacted one are refused with a sentence that says so, before any key is
// opened or any vault asked, and nothing is written.
func TestDownloadRecordRefusesBeforeFetching(t *testing.T) {
	clientCtx := queryContext(t,
		recordstypes.Record{Id: 3, Owner: "med1owner", Status: recordstypes.RecordStatusRedacted, Version: 1},
	)
	for name, tc := range map[string]struct {
		id   uint64
		want string
	}{
		"unknown":  {9, "record 9 not found"},
		"redacted": {3, "record 3 was redacted by its owner: there is nothing to download"},
	} {
		t.Run(name, func(t *testing.T) {
			v := newFakeVault(t, 1<<30)
			path := filepath.Join(t.TempDir(), "scan.dcm")
			_, err := medclient.DownloadRecord(context.Background(), clientCtx, v.destination(t).Remote, tc.id, 0, path)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, v.Requests(), "a vault was asked")
			_, err = os.Stat(path)
			require.ErrorIs(t, err, os.ErrNotExist, "something was written")
		})
	}
}

// TestVersionPayload: the current version by 0 or by number, an earlier
// version of the same key epoch from the history; a version that does not
// exist and one of an earlier key epoch (released by a rotation) are
// refused, saying why.
func TestVersionPayload(t *testing.T) {
	same := recordstypes.Record{Id: 4, Cid: "bafycurrent", Version: 3, SizeBytes: 4096}
	rotated := recordstypes.Record{Id: 5, Cid: "bafyrotated", Version: 2, KeyEpoch: 1}
	clientCtx := queryContext(t, same, rotated)
	ctx := context.Background()

	for _, v := range []uint64{0, 3} {
		got, err := medclient.VersionPayload(ctx, clientCtx, same, v)
		require.NoError(t, err)
		require.Equal(t, recordstypes.RecordVersion{RecordId: 4, Version: 3, Cid: "bafycurrent", SizeBytes: 4096}, got)
	}
	got, err := medclient.VersionPayload(ctx, clientCtx, same, 2)
	require.NoError(t, err)
	require.Equal(t, uint64(2), got.Version)

	_, err = medclient.VersionPayload(ctx, clientCtx, same, 4)
	require.ErrorContains(t, err, "record 4 has 3 versions; there is no version 4")
	_, err = medclient.VersionPayload(ctx, clientCtx, rotated, 1)
	require.ErrorContains(t, err, "version 1 of record 5 is of key epoch 0; the key was rotated to epoch 1")
}

// TestDeidentifyRecordRefusesBeforeFetching: only the owner of an active
// DICOM or FHIR record gets a de-identified copy; every other case is
// refused, saying why, before any key is opened or any vault asked.
func TestDeidentifyRecordRefusesBeforeFetching(t *testing.T) {
	owner, other := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)), sdk.AccAddress(bytes.Repeat([]byte{2}, 20))
	clientCtx := queryContext(t,
		recordstypes.Record{Id: 1, Owner: other.String(), Kind: recordstypes.RecordKindDICOM, Status: recordstypes.RecordStatusActive, Version: 1},
		recordstypes.Record{Id: 2, Owner: owner.String(), Kind: recordstypes.RecordKindDICOM, Status: recordstypes.RecordStatusRedacted, Version: 1},
		recordstypes.Record{Id: 3, Owner: owner.String(), Kind: recordstypes.RecordKindPDF, Status: recordstypes.RecordStatusActive, Version: 1},
	).WithFromAddress(owner)
	for name, tc := range map[string]struct {
		id   uint64
		want string
	}{
		"unknown":         {9, "record 9 not found"},
		"another's":       {1, "record 1 belongs to " + other.String() + ": only its owner makes de-identified copies"},
		"redacted":        {2, "record 2 was redacted: there is nothing to de-identify"},
		"not DICOM, FHIR": {3, "record 3 is pdf: only DICOM and FHIR records can be de-identified"},
	} {
		t.Run(name, func(t *testing.T) {
			v := newFakeVault(t, 1<<30)
			var report strings.Builder
			_, err := medclient.DeidentifyRecord(context.Background(), clientCtx, v.destination(t).Remote, v.destination(t), tc.id,
				medclient.DeidentifyOptions{ShiftDates: true, Report: &report})
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, v.Requests(), "a vault was asked")
			require.Empty(t, report.String(), "something was de-identified")
		})
	}
}

// TestCheckReplicasRefusesRedacted: a redacted record's payload is
// released everywhere, and the check says so before asking any vault.
func TestCheckReplicasRefusesRedacted(t *testing.T) {
	clientCtx := queryContext(t, recordstypes.Record{Id: 2, Status: recordstypes.RecordStatusRedacted, Version: 1})
	_, err := medclient.CheckReplicas(context.Background(), clientCtx, nil, 2, 0)
	require.ErrorContains(t, err, "record 2 was redacted: its payload is released everywhere")
	_, err = medclient.CheckReplicas(context.Background(), clientCtx, nil, 8, 0)
	require.ErrorContains(t, err, "record 8 not found")
}

// TestAccessLogNeedsAVault: only a medchain vault keeps an access log.
func TestAccessLogNeedsAVault(t *testing.T) {
	_, err := medclient.AccessLog(context.Background(), client.Context{}, "", 1, nil)
	require.ErrorContains(t, err, "the access log is kept by a medchain vault: give --vault")
}
