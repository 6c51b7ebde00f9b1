package app

import (
	"context"
	"testing"
	"time"

	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	"github.com/stretchr/testify/require"

	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// A Ledger (and Keplr with one) signs amino-JSON. The chain must build the
// same document the signer saw, every field of a nested message from
// another proto file included: a record's wraps, a revocation's rotations.
func TestAminoJSONSignBytesKeepNestedMessages(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	owner := sdk.AccAddress("owner_______________").String()
	wrap := recordstypes.KeyWrap{Grantee: owner, KeyId: "0123456789abcdef", Ciphertext: []byte{1, 2, 3}, KeyEpoch: 2}
	expires := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, tc := range map[string]struct {
		msg  sdk.Msg
		want []string
	}{
		"create record": {
			&recordstypes.MsgCreateRecord{Creator: owner, Owner: owner, Cid: "bafk", Kind: recordstypes.RecordKindDICOM, SizeBytes: 4096, Wraps: []recordstypes.KeyWrap{wrap},
				Receipt: &recordstypes.UploadReceipt{Hospital: owner, PubKey: []byte{2, 3}, Signature: []byte{4}}},
			[]string{`"wraps":[{"ciphertext":"AQID","grantee":"` + owner + `","key_epoch":"2","key_id":"0123456789abcdef"}]`, `"kind":1`, `"size_bytes":"4096"`,
				`"receipt":{"hospital":"` + owner + `","pub_key":"AgM=","signature":"BA=="}`},
		},
		"grant": {
			&accesstypes.MsgGrantAccess{Owner: owner, Grantee: owner, RecordId: 7, Permission: accesstypes.PermissionRead,
				Purpose: accesstypes.PurposeTreatment, ExpiresAt: &expires, Wraps: []recordstypes.KeyWrap{wrap}},
			[]string{`"key_id":"0123456789abcdef"`, `"expires_at":"2027-01-02T03:04:05Z"`, `"record_id":"7"`},
		},
		"revoke with rotation": {
			&accesstypes.MsgRevokeAccess{Owner: owner, GrantId: 3, Rotations: []accesstypes.Rotation{{RecordId: 7, Cid: "bafk2", SizeBytes: 4096, Wraps: []recordstypes.KeyWrap{wrap}, SealedLabel: []byte{9}}}},
			[]string{`"rotations":[{"cid":"bafk2","record_id":"7","sealed_label":"CQ==","size_bytes":"4096","wraps":[{"ciphertext":"AQID"`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := a.TxConfig().NewTxBuilder()
			require.NoError(t, b.SetMsgs(tc.msg))
			b.SetGasLimit(200000)
			bz, err := authsigning.GetSignBytesAdapter(context.Background(), a.TxConfig().SignModeHandler(),
				signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON, authsigning.SignerData{ChainID: "medchain-test", AccountNumber: 1, Sequence: 2, Address: owner}, b.GetTx())
			require.NoError(t, err)
			for _, w := range tc.want {
				require.Contains(t, string(bz), w)
			}
		})
	}
}
