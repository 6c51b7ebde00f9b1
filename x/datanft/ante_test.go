package datanft

import (
	"testing"

	"cosmossdk.io/x/nft"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/medchain/medchain/x/datanft/types"
)

func TestIdentityNFTsNeverMove(t *testing.T) {
	send := func(class string) sdk.Msg {
		return &nft.MsgSend{ClassId: class, Id: "med1abc", Sender: "med1abc", Receiver: "med1def"}
	}
	exec := func(msgs ...sdk.Msg) sdk.Msg {
		m := authz.NewMsgExec(sdk.AccAddress("grantee"), msgs)
		return &m
	}
	for name, tc := range map[string]struct {
		msgs []sdk.Msg
		ok   bool
	}{
		"identity send":                  {[]sdk.Msg{send(types.IdentityClassID)}, false},
		"another class":                  {[]sdk.Msg{send("research-data")}, true},
		"identity send second in the tx": {[]sdk.Msg{send("research-data"), send(types.IdentityClassID)}, false},
		"through authz exec":             {[]sdk.Msg{exec(send(types.IdentityClassID))}, false},
		"through nested authz exec":      {[]sdk.Msg{exec(exec(send(types.IdentityClassID)))}, false},
		"authz exec of another class":    {[]sdk.Msg{exec(send("research-data"))}, true},
	} {
		t.Run(name, func(t *testing.T) {
			err := refuseIdentitySends(tc.msgs)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, types.ErrNotTransferable)
			}
		})
	}
}
