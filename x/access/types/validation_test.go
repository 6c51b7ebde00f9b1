package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/x/access/types"
)

// TestSealedReasonOverheadMatchesTheClient: the chain's idea of a sealed
// reason's size is the client's.
func TestSealedReasonOverheadMatchesTheClient(t *testing.T) {
	require.Equal(t, envelope.ReasonOverhead, types.SealedReasonOverhead)
}

// TestValidateSealedReason: nothing, or a sealed reason within the limit;
// plaintext and truncated ciphertext are refused.
func TestValidateSealedReason(t *testing.T) {
	require.NoError(t, types.ValidateSealedReason(nil, 140))
	require.NoError(t, types.ValidateSealedReason(types.FakeSealedReason("follow-up"), 140))
	require.ErrorIs(t, types.ValidateSealedReason([]byte("follow-up"), 140), types.ErrInvalidRequest)
	require.ErrorIs(t, types.ValidateSealedReason(types.FakeSealedReason("x")[:types.SealedReasonOverhead], 140), types.ErrInvalidRequest)
	require.NoError(t, types.ValidateSealedReason(types.FakeSealedReason("0123456789abcdef"), 5), "a 5-byte limit allows one 16-byte block")
	require.ErrorContains(t, types.ValidateSealedReason(types.FakeSealedReason("0123456789abcdefg"), 5), "the limit is 5")
}
