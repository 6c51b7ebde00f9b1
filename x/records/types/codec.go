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
		&MsgCreateRecord{},
		&MsgAddVersion{},
		&MsgRedactRecord{},
		&MsgUpdateParams{},
		&MsgSetArchiveConsent{},
		&MsgRecordArchive{},
	)

	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the module's types under their amino
// names, which Ledger and other amino-JSON signers need. The names must match
// the (amino.name) options in proto/medchain/records/v1 and stay under 40
// characters, which Ledger requires.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgCreateRecord{}, "medchain/x/records/MsgCreateRecord")
	legacy.RegisterAminoMsg(cdc, &MsgAddVersion{}, "medchain/x/records/MsgAddVersion")
	legacy.RegisterAminoMsg(cdc, &MsgRedactRecord{}, "medchain/x/records/MsgRedactRecord")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "medchain/x/records/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgSetArchiveConsent{}, "medchain/x/records/MsgSetArchiveConsent")
	legacy.RegisterAminoMsg(cdc, &MsgRecordArchive{}, "medchain/x/records/MsgRecordArchive")
	cdc.RegisterConcrete(&Params{}, "medchain/x/records/Params", nil)
}
