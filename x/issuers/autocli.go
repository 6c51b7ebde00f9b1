package issuers

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/issuers/types"
)

// Example addresses used in the command examples (valid med1 bech32).
const (
	exampleHospital = "med1u92qxqmn5vsxws7uc86gn7dlq0a8s4kqy8j0wd"
	exampleDoctor   = "med1guesn0n2rslgqtcjxa76u2uj9zy79rmu7e87g0"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: the query and tx
// commands of the module are generated from its proto services.
//
// The authority messages (register-issuer, set-issuer-status,
// update-params) are GovProposal commands: `--from` is the proposer, the
// authority field is filled with the gov module account, and the command
// submits a governance proposal carrying the message (with --title,
// --summary, --deposit, --metadata). --no-proposal sends the bare message
// instead, which only the authority itself could sign.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "Issuer",
					Use:            "issuer ADDRESS",
					Short:          "Show a registered issuer: name, kind, status, jurisdiction, licence, website",
					Example:        "medchaind query issuers issuer " + exampleHospital,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "Issuers",
					Use:       "issuers",
					Short:     "List issuers, optionally only one kind and/or status",
					Long: "List the organisations admitted by governance, in address order. " +
						"--kind and --status filter the list; filtered by status alone, the list is grouped by kind.",
					Example: "medchaind query issuers issuers\n" +
						"medchaind query issuers issuers --kind hospital --status active\n" +
						"medchaind query issuers issuers --status suspended --page-limit 10",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"kind":   {Usage: "only issuers of this kind: hospital, clinic, lab, insurer or research"},
						"status": {Usage: "only issuers with this status: active, suspended or revoked"},
					},
				},
				{
					RpcMethod: "Practitioner",
					Use:       "practitioner ADDRESS",
					Short:     "Show a practitioner: organisation, role and status",
					Long: "Show a practitioner. Its status is ACTIVE exactly while its organisation is ACTIVE: " +
						"suspending or revoking the organisation makes all of its practitioners INACTIVE at once.",
					Example:        "medchaind query issuers practitioner " + exampleDoctor,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "Practitioners",
					Use:            "practitioners ORGANISATION",
					Short:          "List the practitioners of an organisation",
					Example:        "medchaind query issuers practitioners " + exampleHospital + " --page-limit 50",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "organisation"}},
				},
				{
					RpcMethod: "IsAuthorised",
					Use:       "is-authorised ADDRESS",
					Short:     "Say whether an address may act as an issuer right now, and for which organisation",
					Long: "Answer whether ADDRESS may act as an issuer (write records for patients) right now: " +
						"an ACTIVE organisation acts for itself, a practitioner for its organisation while that organisation is ACTIVE. " +
						"When the answer is no, reason says why.",
					Example:        "medchaind query issuers is-authorised " + exampleDoctor,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the issuers module parameters in force",
					Example:   "medchaind query issuers params",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "RegisterIssuer",
					Use:       "register-issuer ADDRESS NAME KIND",
					Short:     "Propose to admit an organisation as an issuer (governance proposal)",
					Long: "Submit a governance proposal that, once it passes, admits the organisation whose account is ADDRESS " +
						"as an ACTIVE issuer named NAME. KIND is hospital, clinic, lab, insurer or research; only hospitals may run validators. " +
						"--from is the proposer and pays the --deposit; vote with `medchaind tx gov vote`.",
					Example: "medchaind tx issuers register-issuer " + exampleHospital + ` "St Mary's Hospital" hospital \
  --jurisdiction GB-ENG --license-id RJ1 --website https://stmarys.example \
  --title "Admit St Mary's Hospital" --summary "Admit St Mary's as a hospital issuer and validator" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "address"}, {ProtoField: "name"}, {ProtoField: "kind"},
					},
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"jurisdiction": {Usage: `where the organisation is licensed, e.g. "GB-ENG" or "US-CA" (optional)`},
						"license_id":   {Usage: "the organisation's licence or registration number with its regulator (optional)"},
						"website":      {Usage: "the organisation's http(s) website (optional)"},
					},
					GovProposal: true,
				},
				{
					RpcMethod: "SetIssuerStatus",
					Use:       "set-issuer-status ADDRESS STATUS",
					Short:     "Propose to suspend, reinstate or revoke an issuer (governance proposal)",
					Long: "Submit a governance proposal that, once it passes, sets the issuer's STATUS: active, suspended or revoked. " +
						"Its practitioners follow at once. A suspended or revoked hospital's validator is jailed; " +
						"a reinstated hospital unjails itself with `medchaind tx slashing unjail`. REVOKED is final.",
					Example: "medchaind tx issuers set-issuer-status " + exampleHospital + ` suspended \
  --reason "licence under review" \
  --title "Suspend St Mary's Hospital" --summary "Licence under review by the regulator" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "address"}, {ProtoField: "status"},
					},
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"reason": {Usage: "why, for the record (optional)"},
					},
					GovProposal: true,
				},
				{
					RpcMethod: "AddPractitioner",
					Use:       "add-practitioner PRACTITIONER ROLE",
					Short:     "Add a practitioner to your organisation (sign with --from the organisation)",
					Long: "Add the account PRACTITIONER to the organisation that signs (--from), which must be an ACTIVE issuer. " +
						"ROLE is doctor, nurse, lab-tech, admin or other. An account belongs to at most one organisation.",
					Example:        "medchaind tx issuers add-practitioner " + exampleDoctor + " doctor --from st-marys",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "practitioner"}, {ProtoField: "role"}},
				},
				{
					RpcMethod:      "RemovePractitioner",
					Use:            "remove-practitioner PRACTITIONER",
					Short:          "Remove a practitioner from your organisation (sign with --from the organisation)",
					Example:        "medchaind tx issuers remove-practitioner " + exampleDoctor + " --from st-marys",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "practitioner"}},
				},
				{
					RpcMethod: "UpdateIssuerProfile",
					Use:       "update-profile",
					Short:     "Change your organisation's name, website and/or vault URL (sign with --from the organisation)",
					Long: "Change the display name (--name), website (--website) and/or public vault URL (--vault-url) of the " +
						"organisation that signs (--from). A flag left out keeps its current value; --vault-url none withdraws " +
						"the vault. The vaults of ACTIVE hospitals hold the replicas of every record payload. Kind and status " +
						"are changed only by governance.",
					Example: `medchaind tx issuers update-profile --name "St Mary's University Hospital" --website https://stmarys.example --from st-marys` + "\n" +
						`medchaind tx issuers update-profile --vault-url https://vault.stmarys.example --from st-marys`,
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"name":      {Usage: "the new display name (leave out to keep the current one)"},
						"website":   {Usage: "the new http(s) website (leave out to keep the current one)"},
						"vault_url": {Name: "vault-url", Usage: "the new public http(s) URL of your vault, or none to withdraw it (leave out to keep the current one)"},
					},
				},
				{
					RpcMethod: "UpdateParams",
					Use:       "update-params PARAMS_JSON",
					Short:     "Propose new issuers module parameters (governance proposal; give all of them)",
					Example: `medchaind tx issuers update-params '{"max_name_length":128,"max_practitioners_per_organisation":10000}' \
  --title "Raise the practitioner limit" --summary "Large hospitals need more accounts" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
