package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/access/types"
)

// TestDefaultParams: the defaults are valid and bound a record's pending
// requests and a block's expiry work.
func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, uint32(16), p.MaxPendingRequestsPerRecord)
	require.Equal(t, uint32(2000), p.MaxExpiryWorkPerBlock)
	// max_expirations_per_block record READ grants (the grant and one
	// wrap each) fit in one block's work.
	require.GreaterOrEqual(t, p.MaxExpiryWorkPerBlock, 2*p.MaxExpirationsPerBlock)
	// An organisation's practitioners together break the glass at most
	// this often a day, however many practitioners it adds.
	require.Equal(t, uint32(10), p.MaxEmergencyPerOrganisationPerDay)
	require.GreaterOrEqual(t, p.MaxEmergencyPerOrganisationPerDay, p.MaxEmergencyPerPractitioner)
}
