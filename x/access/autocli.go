package access

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/access/types"
)

// Example addresses used in the command examples (valid med1 bech32).
const (
	examplePatient = "med17cu8qv2psem0x6h9cwdsejty7gkz5447fxuurn"
	exampleDoctor  = "med1u92qxqmn5vsxws7uc86gn7dlq0a8s4kqy8j0wd"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig.
//
// RegisterEncryptionKey, GrantAccess and RevokeAccess are skipped: they need
// client-side cryptography (deriving the encryption key from the keyring,
// unwrapping and re-wrapping record keys, re-encrypting on rotation) and are
// hand-written commands. Requests, denials and cancellations carry no keys
// and are generated here.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "CheckAccess", Skip: true}, // hand-written (client/cli/check.go): --prove
				{
					RpcMethod:      "Grant",
					Use:            "grant GRANT_ID",
					Short:          "Show one grant",
					Example:        "medchaind query access grant 7",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "GrantsByOwner",
					Use:            "grants-by-owner OWNER",
					Short:          "List the grants a patient gave",
					Example:        "medchaind query access grants-by-owner " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
				},
				{
					RpcMethod:      "GrantsByGrantee",
					Use:            "grants-by-grantee GRANTEE",
					Short:          "List the grants given to an account or organisation",
					Example:        "medchaind query access grants-by-grantee " + exampleDoctor,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "grantee"}},
				},
				{
					RpcMethod:      "GrantsByRecord",
					Use:            "grants-by-record RECORD_ID",
					Short:          "List the grants for a record and the owner's scope grants that cover it",
					Example:        "medchaind query access grants-by-record 42",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}},
				},
				{
					RpcMethod:      "Request",
					Use:            "request REQUEST_ID",
					Short:          "Show one pending access request",
					Example:        "medchaind query access request 3",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "RequestsByOwner",
					Use:            "requests-by-owner OWNER",
					Short:          "List the pending access requests made to a patient",
					Example:        "medchaind query access requests-by-owner " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
				},
				{
					RpcMethod:      "RequestsByRequester",
					Use:            "requests-by-requester REQUESTER",
					Short:          "List the pending access requests an account made",
					Example:        "medchaind query access requests-by-requester " + exampleDoctor,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "requester"}},
				},
				{
					RpcMethod:      "EncryptionKey",
					Use:            "key ADDRESS",
					Short:          "Show an account's current encryption key (or an earlier one with --key-id)",
					Example:        "medchaind query access key " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "EncryptionKeys",
					Use:            "keys ADDRESS",
					Short:          "List every encryption key an account registered, oldest first",
					Example:        "medchaind query access keys " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "EmergencyPolicy",
					Use:            "emergency-policy PATIENT",
					Short:          "Show a patient's emergency policy: custodian hospitals, threshold, emergency key, and whether a break-glass has spent the key (spent_at, spent_by; renew it with `tx access set-emergency-policy`)",
					Example:        "medchaind query access emergency-policy " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "patient"}},
				},
				{
					RpcMethod:      "EmergencyLog",
					Use:            "emergency-log PATIENT",
					Short:          "List every emergency access (break-glass) to a patient's records, newest first: who, which hospital, when, why, and the custodians' releases",
					Example:        "medchaind query access emergency-log " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "patient"}},
				},
				{
					RpcMethod:      "EmergencyAccess",
					Use:            "emergency ACCESS_ID",
					Short:          "Show one emergency access, its releases and whether its window is open",
					Example:        "medchaind query access emergency 4",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Recovery",
					Use:            "recovery RECOVERY_ID",
					Short:          "Show a key recovery: the patient, the new account, its delay, the custodians' approvals and its status",
					Example:        "medchaind query access recovery 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Wrap",
					Use:            "wrap RECORD_ID READER",
					Short:          "Show the stored wrap of a record's key for one reader (public ciphertext)",
					Example:        "medchaind query access wrap 1 " + examplePatient,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}, {ProtoField: "reader"}},
				},
				{
					RpcMethod: "OpenEmergencyAccesses",
					Use:       "open-emergencies",
					Short:     "List the emergency accesses whose window is open (what custodian hospitals may release for)",
					Example:   "medchaind query access open-emergencies",
				},
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the access module parameters in force",
					Example:   "medchaind query access params",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "RegisterEncryptionKey", Skip: true},
				{RpcMethod: "GrantAccess", Skip: true},
				{RpcMethod: "RevokeAccess", Skip: true},
				{RpcMethod: "RequestAccess", Skip: true},      // request: seals the reason to the owner
				{RpcMethod: "SetEmergencyPolicy", Skip: true}, // set-emergency-policy: splits and seals the secret
				{RpcMethod: "AddEmergencyWraps", Skip: true},  // set-emergency-policy --resume: opens and re-seals the record keys
				{RpcMethod: "EmergencyAccess", Skip: true},    // emergency-access: reason names
				{RpcMethod: "ReleaseShare", Skip: true},       // release-share: opens and re-seals the share
				{RpcMethod: "ApproveRecovery", Skip: true},    // approve-recovery: opens and re-seals the share
				{RpcMethod: "CompleteRecovery", Skip: true},   // complete-recovery: re-seals every record key
				{
					RpcMethod:      "RequestRecovery",
					Use:            "request-recovery PATIENT --from NEW_ACCOUNT",
					Short:          "Ask to move a patient who lost their key to this new account; the patient's emergency custodians approve, and the old key can cancel during the delay",
					Example:        "medchaind tx access request-recovery med1... --from alice-new",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "patient"}},
				},
				{
					RpcMethod:      "CancelRecovery",
					Use:            "cancel-recovery RECOVERY_ID --from PATIENT",
					Short:          "Stop a recovery of your records that you did not ask for (your key is not lost)",
					Example:        "medchaind tx access cancel-recovery 1 --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "recovery_id"}},
				},
				{
					RpcMethod: "WithdrawEmergencyPolicy",
					Use:       "withdraw-emergency-policy",
					Short:     "End your emergency policy: its key and every emergency wrap are removed, open emergency accesses end",
					Example:   "medchaind tx access withdraw-emergency-policy --from alice",
				},
				{
					RpcMethod:      "DenyRequest",
					Use:            "deny REQUEST_ID",
					Short:          "Turn down an access request made to you",
					Example:        "medchaind tx access deny 3 --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "request_id"}},
				},
				{
					RpcMethod:      "CancelRequest",
					Use:            "cancel-request REQUEST_ID",
					Short:          "Withdraw an access request you made",
					Example:        "medchaind tx access cancel-request 3 --from dr-house",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "request_id"}},
				},
				{
					RpcMethod: "UpdateParams",
					Use:       "update-params PARAMS_JSON",
					Short:     "Propose new access module parameters (governance proposal; give all of them)",
					Example: `medchaind tx access update-params '{"max_expirations_per_block":500,"max_pending_requests":3,"default_request_ttl":"604800s","max_request_ttl":"7776000s","max_reason_length":140,"max_wraps_per_msg":500,"max_pending_requests_per_record":16,"max_expiry_work_per_block":2000,"emergency_window":"86400s","max_emergency_per_practitioner":5,"max_custodians":7,"recovery_delay":"259200s"}' \
  --title "Access limits" --summary "Raise the expiry bound" --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
