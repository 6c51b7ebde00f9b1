package medclient

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

func txData(t *testing.T, responses ...*codectypes.Any) string {
	t.Helper()
	raw, err := (&sdk.TxMsgData{MsgResponses: responses}).Marshal()
	require.NoError(t, err)
	return hex.EncodeToString(raw)
}

// TestCreatedIDs: the ids of the records a transaction created, in the
// order of its messages, whatever else it did.
func TestCreatedIDs(t *testing.T) {
	created, err := codectypes.NewAnyWithValue(&recordstypes.MsgCreateRecordResponse{Id: 42})
	require.NoError(t, err)
	next, err := codectypes.NewAnyWithValue(&recordstypes.MsgCreateRecordResponse{Id: 43})
	require.NoError(t, err)
	other, err := codectypes.NewAnyWithValue(&recordstypes.MsgAddVersionResponse{})
	require.NoError(t, err)

	ids, err := createdIDs(&sdk.TxResponse{TxHash: "AB", Data: txData(t, other, created)})
	require.NoError(t, err)
	require.Equal(t, []uint64{42}, ids)
	ids, err = createdIDs(&sdk.TxResponse{TxHash: "AB", Data: txData(t, created, other, next)})
	require.NoError(t, err)
	require.Equal(t, []uint64{42, 43}, ids, "a batch's records in order")

	_, err = createdIDs(&sdk.TxResponse{TxHash: "AB", Data: txData(t, other)})
	require.EqualError(t, err, "transaction AB created no record")

	_, err = createdIDs(&sdk.TxResponse{TxHash: "AB", Data: "not hex"})
	require.ErrorContains(t, err, "transaction AB: its data is not hex")
}
