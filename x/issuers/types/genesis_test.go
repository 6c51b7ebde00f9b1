package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate())
	require.NoError(t, types.NewGenesisState(types.NewParams(32, 3)).Validate())

	err := types.GenesisState{}.Validate()
	require.ErrorIs(t, err, types.ErrInvalidParams)

	err = types.NewGenesisState(types.NewParams(128, 0)).Validate()
	require.ErrorIs(t, err, types.ErrInvalidParams)
	require.ErrorContains(t, err, "max_practitioners_per_organisation")
}
