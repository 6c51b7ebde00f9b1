package medclient

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSimulationReason(t *testing.T) {
	raw := "rpc error: code = Unknown desc = rpc error: code = Unknown desc = failed to execute message; message index: 0: " +
		"med1abc has not granted WRITE to med1def nor to its organisation med1ghi; the patient must grant it first: " +
		"owner has not granted write permission [/work/main/x/records/keeper/access.go:49] with gas used: '50304': unknown request"
	require.Equal(t,
		"med1abc has not granted WRITE to med1def nor to its organisation med1ghi; the patient must grant it first: owner has not granted write permission",
		SimulationReason(errors.New(raw)))
	require.Equal(t, "account med1x not found", SimulationReason(errors.New("account med1x not found")))
}
