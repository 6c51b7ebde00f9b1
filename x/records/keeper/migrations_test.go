package keeper_test

import (
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

// recordsParamsWrittenBy are records params as a chain of the given
// consensus version holds them after governance changed every one it had:
// the fields of later versions are absent from its store, so today's types
// decode them as zero.
func recordsParamsWrittenBy(version uint64) types.Params {
	p := types.Params{ // version 1 (release v0.1.0)
		MaxLabelLength:             32,
		MaxRecordsPerOwnerPerBlock: 5,
		AllowedKinds:               []types.RecordKind{types.RecordKindFHIR, types.RecordKindPDF},
	}
	if version >= 2 { // releases v0.2.0 to v0.4.0 (versions 2 and 3 add no param)
		p.ReplicationFactor = 5
	}
	return p
}

// TestMigrate3to4SetsTheVersionBound: a version 3 store holds params
// without max_versions_per_record or the archive params, all of them
// changed by governance. The migration sets those to their defaults
// (archiving only by the owner's consent, 8 entries per version), keeps
// every other param as stored, and changes nothing else: no record allows
// archiving until its owner says so, and a record that already holds more
// versions than the bound stays as it is, takes no version through
// MsgAddVersion afterwards, and its owner can still rotate it.
func TestMigrate3to4SetsTheVersionBound(t *testing.T) {
	f := newFixture(t)
	f.setMaxVersionsPerRecord(t, 100) // room for a record to outgrow the default
	crowded := f.mustCreate(t, f.createMsg(t, f.patient, "written under version 3"))
	for v := 2; v <= 70; v++ {
		_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.hospital, crowded, fmt.Sprintf("v3 version %d", v)))
		require.NoError(t, err)
	}
	other := f.mustCreate(t, f.createMsg(t, f.patient, "another"))

	v3 := recordsParamsWrittenBy(3)
	require.NoError(t, f.keeper.Params.Set(f.ctx, v3))
	got, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Zero(t, got.MaxVersionsPerRecord, "absent from a version 3 store")
	require.Zero(t, got.ArchivePolicy, "absent from a version 3 store")
	require.Zero(t, got.MaxArchiveEntriesPerVersion, "absent from a version 3 store")
	before, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate3to4(f.ctx))

	want := v3
	want.MaxVersionsPerRecord = types.DefaultMaxVersionsPerRecord
	want.ArchivePolicy = types.ArchivePolicyConsent
	want.MaxArchiveEntriesPerVersion = 8
	got, err = f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NoError(t, got.Validate())
	after, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	before.Params = want
	require.Equal(t, before, after, "only the params change")
	require.NoError(t, after.Validate(f.addressCodec))
	for _, r := range after.Records {
		require.False(t, r.ArchiveAllowed, "record %d: a version 3 record reads as not allowed", r.Id)
	}
	require.Empty(t, after.Archives, "version 3 had no archive entries")
	requireRejected(t, f, types.ErrArchiveNotAllowed, "has not allowed archiving it", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "after the upgrade", av(other, 1))))
	})

	requireRejected(t, f, types.ErrTooManyVersions, "holds 70 versions and the limit (params max_versions_per_record) is 64",
		func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.AddVersion(ctx, f.versionMsg(t, f.hospital, crowded, "v71")))
		})
	_, err = f.rotateKey(f.freshCtx(), crowded, sample.CID(cid.Raw, "crowded, rotated"), 2048, nil, f.patient)
	require.NoError(t, err)
	_, err = f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.hospital, other, "another v2"))
	require.NoError(t, err, "records below the bound take versions as before")
}

// TestRecordsMigrationsFromEveryEarlierVersion: a chain of any earlier
// consensus version, with the params it wrote, runs the migrations from
// its own version up in a row (as one upgrade handler does). Governance's
// values survive, and the params pass the full check the upgrade handler
// makes at the end.
func TestRecordsMigrationsFromEveryEarlierVersion(t *testing.T) {
	const lastVersion = 4
	for from := uint64(1); from < lastVersion; from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			f := newFixture(t)
			f.mustCreate(t, f.createMsg(t, f.patient, "a record"))
			require.NoError(t, f.keeper.Params.Set(f.ctx, recordsParamsWrittenBy(from)))
			m := keeper.NewMigrator(f.keeper)
			steps := map[uint64]func(sdk.Context) error{1: m.Migrate1to2, 2: m.Migrate2to3, 3: m.Migrate3to4}
			for v := from; v < lastVersion; v++ {
				require.NoError(t, steps[v](f.ctx), "migration %d to %d", v, v+1)
			}
			got, err := f.keeper.Params.Get(f.ctx)
			require.NoError(t, err)
			require.NoError(t, got.Validate())
			want := recordsParamsWrittenBy(from)
			if want.ReplicationFactor == 0 {
				want.ReplicationFactor = types.DefaultReplicationFactor
			}
			want.MaxVersionsPerRecord = types.DefaultMaxVersionsPerRecord
			want.ArchivePolicy = types.DefaultArchivePolicy
			want.MaxArchiveEntriesPerVersion = types.DefaultMaxArchiveEntriesPerVersion
			require.Equal(t, want, got)
		})
	}
}
