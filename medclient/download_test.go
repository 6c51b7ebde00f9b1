package medclient_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

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
