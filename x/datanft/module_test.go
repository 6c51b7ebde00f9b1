package datanft_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/moduletest"
	"github.com/medchain/medchain/x/datanft"
	"github.com/medchain/medchain/x/datanft/types"
)

// Every message's signer comes from its proto annotation: the owner who
// claims, mints and fulfils, the seller, the buyer, and the authority.
func TestMsgSigners(t *testing.T) {
	cdc := moduletest.Codec(t, datanft.AppModule{}.RegisterInterfaces)
	a := moduletest.NewAccounts(t)
	user, u, gov, authority := a.User, a.UserAddr, a.Gov, a.GovAuthority
	moduletest.RequireSigners(t, cdc, []moduletest.Signer{
		{Msg: &types.MsgClaimIdentity{Owner: u}, Signer: user},
		{Msg: &types.MsgMintDataNFT{Owner: u}, Signer: user},
		{Msg: &types.MsgListNFT{Seller: u}, Signer: user},
		{Msg: &types.MsgCancelListing{Seller: u}, Signer: user},
		{Msg: &types.MsgBuyNFT{Buyer: u}, Signer: user},
		{Msg: &types.MsgBuyLicence{Buyer: u}, Signer: user},
		{Msg: &types.MsgFulfilLicence{Owner: u}, Signer: user},
		{Msg: &types.MsgUpdateParams{Authority: authority, Params: types.DefaultParams()}, Signer: gov},
	})
}

func TestLegacyAminoNames(t *testing.T) {
	moduletest.RequireAminoNames(t, datanft.AppModule{}.RegisterLegacyAminoCodec, map[sdk.Msg]string{
		&types.MsgClaimIdentity{}:  "medchain/x/datanft/MsgClaimIdentity",
		&types.MsgMintDataNFT{}:    "medchain/x/datanft/MsgMintDataNFT",
		&types.MsgListNFT{}:        "medchain/x/datanft/MsgListNFT",
		&types.MsgCancelListing{}:  "medchain/x/datanft/MsgCancelListing",
		&types.MsgBuyNFT{}:         "medchain/x/datanft/MsgBuyNFT",
		&types.MsgBuyLicence{}:     "medchain/x/datanft/MsgBuyLicence",
		&types.MsgFulfilLicence{}:  "medchain/x/datanft/MsgFulfilLicence",
		&types.MsgVouchPseudonym{}: "medchain/x/datanft/MsgVouchPseudonym",
		&types.MsgUpdateParams{}:   "medchain/x/datanft/MsgUpdateParams",
	})
}

// Every RPC gets a command; fulfilling a licence needs the record key
// (tx datanft fulfil-licences) and params change only by governance.
func TestAutoCLICoversEveryRPC(t *testing.T) {
	moduletest.RequireAutoCLI(t, datanft.AppModule{}.AutoCLIOptions(), moduletest.AutoCLI{
		SkippedTxs: map[string]bool{"FulfilLicence": true, "UpdateParams": true},
	})
}
