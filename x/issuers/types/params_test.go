package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()
	require.Equal(t, uint32(128), p.MaxNameLength)
	require.Equal(t, uint32(10000), p.MaxPractitionersPerOrganisation)
	require.NoError(t, p.Validate())
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name    string
		params  types.Params
		wantErr string
	}{
		{"smallest valid", types.NewParams(1, 1), ""},
		{"zero max_name_length", types.NewParams(0, 1), "max_name_length"},
		{"zero max_practitioners_per_organisation", types.NewParams(1, 0), "max_practitioners_per_organisation"},
		{"all zero", types.Params{}, "max_name_length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.params.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidParams)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
