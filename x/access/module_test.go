package access_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/moduletest"
	"github.com/medchain/medchain/x/access"
	"github.com/medchain/medchain/x/access/types"
)

// Every message's signer comes from its proto annotation: the owner for
// consent, the requester, the patient for its emergency policy and
// recovery cancellation, the practitioner who breaks the glass, the
// custodian who releases or approves, the new owner of a recovery, and the
// authority for params.
func TestMsgSigners(t *testing.T) {
	cdc := moduletest.Codec(t, access.AppModule{}.RegisterInterfaces)
	a := moduletest.NewAccounts(t)
	user, u, gov, authority := a.User, a.UserAddr, a.Gov, a.GovAuthority
	moduletest.RequireSigners(t, cdc, []moduletest.Signer{
		{Msg: &types.MsgRegisterEncryptionKey{Owner: u}, Signer: user},
		{Msg: &types.MsgGrantAccess{Owner: u, Grantee: authority}, Signer: user},
		{Msg: &types.MsgRevokeAccess{Owner: u, GrantId: 1}, Signer: user},
		{Msg: &types.MsgRequestAccess{Requester: u, Owner: authority}, Signer: user},
		{Msg: &types.MsgDenyRequest{Owner: u, RequestId: 1}, Signer: user},
		{Msg: &types.MsgCancelRequest{Requester: u, RequestId: 1}, Signer: user},
		{Msg: &types.MsgSetEmergencyPolicy{Patient: u}, Signer: user},
		{Msg: &types.MsgWithdrawEmergencyPolicy{Patient: u}, Signer: user},
		{Msg: &types.MsgEmergencyAccess{Practitioner: u, Patient: authority}, Signer: user},
		{Msg: &types.MsgReleaseShare{Custodian: u, AccessId: 1}, Signer: user},
		{Msg: &types.MsgRequestRecovery{NewOwner: u, Patient: authority}, Signer: user},
		{Msg: &types.MsgApproveRecovery{Custodian: u, RecoveryId: 1}, Signer: user},
		{Msg: &types.MsgCancelRecovery{Patient: u, RecoveryId: 1}, Signer: user},
		{Msg: &types.MsgCompleteRecovery{NewOwner: u, RecoveryId: 1}, Signer: user},
		{Msg: &types.MsgUpdateParams{Authority: authority, Params: types.DefaultParams()}, Signer: gov},
	})
}

func TestLegacyAminoNames(t *testing.T) {
	moduletest.RequireAminoNames(t, access.AppModule{}.RegisterLegacyAminoCodec, map[sdk.Msg]string{
		&types.MsgRegisterEncryptionKey{}:   "medchain/x/access/MsgRegisterKey",
		&types.MsgGrantAccess{}:             "medchain/x/access/MsgGrantAccess",
		&types.MsgRevokeAccess{}:            "medchain/x/access/MsgRevokeAccess",
		&types.MsgRequestAccess{}:           "medchain/x/access/MsgRequestAccess",
		&types.MsgDenyRequest{}:             "medchain/x/access/MsgDenyRequest",
		&types.MsgCancelRequest{}:           "medchain/x/access/MsgCancelRequest",
		&types.MsgSetEmergencyPolicy{}:      "medchain/x/access/MsgSetEmergencyPolicy",
		&types.MsgWithdrawEmergencyPolicy{}: "medchain/x/access/MsgWithdrawEmergency",
		&types.MsgAddEmergencyWraps{}:       "medchain/x/access/MsgAddEmergencyWraps",
		&types.MsgEmergencyAccess{}:         "medchain/x/access/MsgEmergencyAccess",
		&types.MsgReleaseShare{}:            "medchain/x/access/MsgReleaseShare",
		&types.MsgRequestRecovery{}:         "medchain/x/access/MsgRequestRecovery",
		&types.MsgApproveRecovery{}:         "medchain/x/access/MsgApproveRecovery",
		&types.MsgCancelRecovery{}:          "medchain/x/access/MsgCancelRecovery",
		&types.MsgCompleteRecovery{}:        "medchain/x/access/MsgCompleteRecovery",
		&types.MsgUpdateParams{}:            "medchain/x/access/MsgUpdateParams",
	})
}

// Every RPC gets a command; the ones that seal, wrap or upload on the
// client are written by hand (client/cli) and skipped here.
func TestAutoCLICoversEveryRPC(t *testing.T) {
	moduletest.RequireAutoCLI(t, access.AppModule{}.AutoCLIOptions(), moduletest.AutoCLI{
		SkippedQueries: map[string]bool{"CheckAccess": true},
		SkippedTxs: map[string]bool{
			"RegisterEncryptionKey": true, "GrantAccess": true, "RevokeAccess": true, "RequestAccess": true,
			"SetEmergencyPolicy": true, "AddEmergencyWraps": true, "EmergencyAccess": true, "ReleaseShare": true, "ApproveRecovery": true, "CompleteRecovery": true,
		},
		Governed: map[string]bool{"UpdateParams": true},
	})
}
