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
		&MsgRegisterEncryptionKey{},
		&MsgGrantAccess{},
		&MsgRevokeAccess{},
		&MsgRequestAccess{},
		&MsgDenyRequest{},
		&MsgCancelRequest{},
		&MsgUpdateParams{},
		&MsgSetEmergencyPolicy{},
		&MsgWithdrawEmergencyPolicy{},
		&MsgAddEmergencyWraps{},
		&MsgEmergencyAccess{},
		&MsgReleaseShare{},
		&MsgRequestRecovery{},
		&MsgApproveRecovery{},
		&MsgCancelRecovery{},
		&MsgCompleteRecovery{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the module's types under their amino
// names (the (amino.name) options of proto/medchain/access/v1, each under
// the 40 characters Ledger allows).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRegisterEncryptionKey{}, "medchain/x/access/MsgRegisterKey")
	legacy.RegisterAminoMsg(cdc, &MsgGrantAccess{}, "medchain/x/access/MsgGrantAccess")
	legacy.RegisterAminoMsg(cdc, &MsgRevokeAccess{}, "medchain/x/access/MsgRevokeAccess")
	legacy.RegisterAminoMsg(cdc, &MsgRequestAccess{}, "medchain/x/access/MsgRequestAccess")
	legacy.RegisterAminoMsg(cdc, &MsgDenyRequest{}, "medchain/x/access/MsgDenyRequest")
	legacy.RegisterAminoMsg(cdc, &MsgCancelRequest{}, "medchain/x/access/MsgCancelRequest")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "medchain/x/access/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgSetEmergencyPolicy{}, "medchain/x/access/MsgSetEmergencyPolicy")
	legacy.RegisterAminoMsg(cdc, &MsgWithdrawEmergencyPolicy{}, "medchain/x/access/MsgWithdrawEmergency")
	legacy.RegisterAminoMsg(cdc, &MsgAddEmergencyWraps{}, "medchain/x/access/MsgAddEmergencyWraps")
	legacy.RegisterAminoMsg(cdc, &MsgEmergencyAccess{}, "medchain/x/access/MsgEmergencyAccess")
	legacy.RegisterAminoMsg(cdc, &MsgReleaseShare{}, "medchain/x/access/MsgReleaseShare")
	legacy.RegisterAminoMsg(cdc, &MsgRequestRecovery{}, "medchain/x/access/MsgRequestRecovery")
	legacy.RegisterAminoMsg(cdc, &MsgApproveRecovery{}, "medchain/x/access/MsgApproveRecovery")
	legacy.RegisterAminoMsg(cdc, &MsgCancelRecovery{}, "medchain/x/access/MsgCancelRecovery")
	legacy.RegisterAminoMsg(cdc, &MsgCompleteRecovery{}, "medchain/x/access/MsgCompleteRecovery")
	cdc.RegisterConcrete(&Params{}, "medchain/x/access/Params", nil)
}
