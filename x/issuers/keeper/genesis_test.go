package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	for name, gs := range map[string]*types.GenesisState{
		"default": types.DefaultGenesis(),
		"custom":  types.NewGenesisState(types.NewParams(1, 1)),
		"maximum": types.NewGenesisState(types.NewParams(^uint32(0), ^uint32(0))),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			require.NoError(t, f.keeper.InitGenesis(f.ctx, gs))

			exported, err := f.keeper.ExportGenesis(f.ctx)
			require.NoError(t, err)
			require.Equal(t, gs, exported)
		})
	}
}

func TestInitGenesisRejectsInvalidState(t *testing.T) {
	f := newFixture(t)

	require.Error(t, f.keeper.InitGenesis(f.ctx, nil))
	err := f.keeper.InitGenesis(f.ctx, types.NewGenesisState(types.NewParams(0, 10)))
	require.ErrorIs(t, err, types.ErrInvalidParams)

	has, err := f.keeper.Params.Has(f.ctx)
	require.NoError(t, err)
	require.False(t, has, "a rejected genesis must not write state")
}

func TestExportGenesisBeforeInit(t *testing.T) {
	f := newFixture(t)
	_, err := f.keeper.ExportGenesis(f.ctx)
	require.Error(t, err)
}
