package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/records/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	_, pdf, _ := populate(t, f)
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, pdf[0], "pdf v2"))
	require.NoError(t, err)
	derived := f.createMsg(t, f.patient, "copy")
	derived.DerivedFrom = pdf[0]
	f.mustCreate(t, derived)

	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec))
	require.Len(t, exported.Records, 10)
	require.Len(t, exported.History, 11)
	require.Equal(t, uint64(11), exported.NextId)

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
}
