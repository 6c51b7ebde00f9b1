package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages with the interface
// registry so that they can be packed in transactions and gov proposals.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterIssuer{},
		&MsgSetIssuerStatus{},
		&MsgAddPractitioner{},
		&MsgRemovePractitioner{},
		&MsgUpdateIssuerProfile{},
		&MsgUpdateParams{},
	)

	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the module's types under their amino
// names, which Ledger and other amino-JSON signers need. The names must match
// the (amino.name) options in proto/medchain/issuers/v1; two are shortened
// because Ledger rejects amino names of 40 characters or more.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRegisterIssuer{}, "medchain/x/issuers/MsgRegisterIssuer")
	legacy.RegisterAminoMsg(cdc, &MsgSetIssuerStatus{}, "medchain/x/issuers/MsgSetIssuerStatus")
	legacy.RegisterAminoMsg(cdc, &MsgAddPractitioner{}, "medchain/x/issuers/MsgAddPractitioner")
	legacy.RegisterAminoMsg(cdc, &MsgRemovePractitioner{}, "medchain/x/issuers/MsgRemoveMember")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateIssuerProfile{}, "medchain/x/issuers/MsgUpdateProfile")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "medchain/x/issuers/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "medchain/x/issuers/Params", nil)
}
