package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	dicom, pdf, _ := populate(t, f)
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, pdf[0], "pdf v2"))
	require.NoError(t, err)
	derived := f.createMsg(t, f.patient, "copy")
	derived.DerivedFrom = pdf[0]
	f.mustCreate(t, derived)
	// Archive entries: ARCHIVED ones of records that stay, SHREDDED ones of
	// a record redacted after it was archived.
	f.setArchiveConsent(t, pdf[0], true)
	f.setArchiveConsent(t, dicom[0], true)
	f.mustArchive(t, archiveMsg(f.hospital, "piece A", av(pdf[0], 1), av(pdf[0], 2), av(dicom[0], 1)))
	f.mustArchive(t, archiveMsg(f.hospitalB, "piece B", av(dicom[0], 1)))
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: dicom[0]})
	require.NoError(t, err)

	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec))
	require.Len(t, exported.Records, 10)
	require.Len(t, exported.History, 11)
	require.Equal(t, uint64(11), exported.NextId)
	require.Len(t, exported.Archives, 4)
	var shredded int
	for _, e := range exported.Archives {
		if e.Status == types.ArchiveStatusShredded {
			shredded++
		}
	}
	require.Equal(t, 2, shredded)
	allowed, err := f.keeper.Records.Get(f.ctx, pdf[0])
	require.NoError(t, err)
	require.True(t, allowed.ArchiveAllowed, "the owner's consent travels with the record")

	g := newFixture(t)
	require.NoError(t, g.keeper.InitGenesis(g.ctx, exported))
	again, err := g.keeper.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)

	// The indexes were rebuilt: the imported chain lists and numbers as the
	// old one did.
	byIssuer, err := g.querier.RecordsByIssuer(g.ctx, &types.QueryRecordsByIssuerRequest{Issuer: g.doctor})
	require.NoError(t, err)
	require.Len(t, byIssuer.Records, 5)
	id := g.mustCreate(t, g.createMsg(t, g.patient, "after import"))
	require.Equal(t, uint64(11), id)

	// The imported entries work as the old chain's: the hospital renews
	// its own, another hospital cannot take it.
	resp, err := g.msgServer.RecordArchive(g.freshCtx(), archiveMsg(g.hospital, "piece A", av(pdf[0], 1)))
	require.NoError(t, err)
	require.Equal(t, uint32(1), resp.Renewed)
	_, err = g.msgServer.RecordArchive(g.freshCtx(), archiveMsg(g.hospitalB, "piece A", av(pdf[0], 2)))
	require.ErrorIs(t, err, types.ErrArchiveEntryTaken)
}

func TestDefaultGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), exported)
}

func TestInitGenesisRejectsInvalid(t *testing.T) {
	f := newFixtureWithoutHooks(t)
	require.Error(t, f.keeper.InitGenesis(f.ctx, nil))
	bad := types.DefaultGenesis()
	bad.NextId = 0
	require.ErrorIs(t, f.keeper.InitGenesis(f.ctx, bad), types.ErrInvalidRecord)
	bad = types.DefaultGenesis()
	bad.Archives = []types.ArchiveEntry{{
		RecordId: 1, Version: 1, PieceCid: sample.PieceCID("p"), PieceSize: 128, Hospital: f.hospital, Provider: "f01",
		ExpiresAt: genesisTime.Add(time.Hour), RecordedAt: genesisTime, Status: types.ArchiveStatusArchived,
	}}
	require.ErrorIs(t, f.keeper.InitGenesis(f.ctx, bad), types.ErrInvalidArchiveEntry, "an entry of a record that is not there")
}
