package sample_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/sample"
)

func TestAddrIsStableAndDistinct(t *testing.T) {
	require.Equal(t, sample.Addr("alice"), sample.Addr("alice"))
	require.NotEqual(t, sample.Addr("alice"), sample.Addr("bob"))
	require.Len(t, sample.Addr("alice"), 20)
	require.Equal(t, "alice_______________", string(sample.Addr("alice")))
}
