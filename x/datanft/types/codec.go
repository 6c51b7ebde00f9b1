package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgClaimIdentity{},
		&MsgMintDataNFT{},
		&MsgListNFT{},
		&MsgCancelListing{},
		&MsgBuyNFT{},
		&MsgBuyLicence{},
		&MsgFulfilLicence{},
		&MsgVouchPseudonym{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the module's messages under their
// amino names (proto/medchain/datanft/v1), for Ledger and amino-JSON
// signers.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgClaimIdentity{}, "medchain/x/datanft/MsgClaimIdentity")
	legacy.RegisterAminoMsg(cdc, &MsgMintDataNFT{}, "medchain/x/datanft/MsgMintDataNFT")
	legacy.RegisterAminoMsg(cdc, &MsgListNFT{}, "medchain/x/datanft/MsgListNFT")
	legacy.RegisterAminoMsg(cdc, &MsgCancelListing{}, "medchain/x/datanft/MsgCancelListing")
	legacy.RegisterAminoMsg(cdc, &MsgBuyNFT{}, "medchain/x/datanft/MsgBuyNFT")
	legacy.RegisterAminoMsg(cdc, &MsgBuyLicence{}, "medchain/x/datanft/MsgBuyLicence")
	legacy.RegisterAminoMsg(cdc, &MsgFulfilLicence{}, "medchain/x/datanft/MsgFulfilLicence")
	legacy.RegisterAminoMsg(cdc, &MsgVouchPseudonym{}, "medchain/x/datanft/MsgVouchPseudonym")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "medchain/x/datanft/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "medchain/x/datanft/Params", nil)
}
