package issuers

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/issuers/types"
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
					Use:            "issuer [address]",
					Short:          "Show a registered issuer: name, kind, status, jurisdiction, licence, website",
					Example:        "medchaind query issuers issuer med1qg5ega6dykkxc307y25pecuufrjkxkaggkkxh7",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "Issuers",
					Use:       "issuers",
					Short:     "List issuers, optionally only one kind and/or status",
					Long: "List the organisations admitted by governance, in address order. " +
						"--kind (hospital, clinic, lab, insurer, research) and --status (active, suspended, revoked) filter the list.",
					Example: "medchaind query issuers issuers\n" +
						"medchaind query issuers issuers --kind hospital --status active\n" +
						"medchaind query issuers issuers --status suspended --limit 10",
				},
				{
					RpcMethod: "Practitioner",
					Use:       "practitioner [address]",
					Short:     "Show a practitioner: organisation, role and status",
					Long: "Show a practitioner. Its status is ACTIVE exactly while its organisation is ACTIVE: " +
						"suspending or revoking the organisation makes all of its practitioners INACTIVE at once.",
					Example:        "medchaind query issuers practitioner med1ff4lt8ed7pvn0qlw38ukqnfx3gpt32z5xdjn9t",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod:      "Practitioners",
					Use:            "practitioners [organisation]",
					Short:          "List the practitioners of an organisation",
					Example:        "medchaind query issuers practitioners med1qg5ega6dykkxc307y25pecuufrjkxkaggkkxh7 --limit 50",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "organisation"}},
				},
				{
					RpcMethod: "IsAuthorised",
					Use:       "is-authorised [address]",
					Short:     "Say whether an address may act as an issuer right now, and for which organisation",
					Long: "Answer whether the address may act as an issuer (write records for patients) right now: " +
						"an ACTIVE organisation acts for itself, a practitioner for its organisation while that organisation is ACTIVE. " +
						"When the answer is no, reason says why.",
					Example:        "medchaind query issuers is-authorised med1ff4lt8ed7pvn0qlw38ukqnfx3gpt32z5xdjn9t",
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
					Use:       "register-issuer [address] [name] [kind]",
					Short:     "Propose to admit an organisation as an issuer (governance proposal)",
					Long: "Submit a governance proposal that admits the organisation at ADDRESS as an ACTIVE issuer once it passes. " +
						"KIND is one of hospital, clinic, lab, insurer, research; only hospitals may run validators. " +
						"--from is the proposer and pays the deposit; vote with `medchaind tx gov vote`.",
					Example: `medchaind tx issuers register-issuer med1qg5ega6dykkxc307y25pecuufrjkxkaggkkxh7 "St Mary's Hospital" hospital \
  --jurisdiction GB-ENG --license-id RJ1 --website https://stmarys.example \
  --title "Admit St Mary's Hospital" --summary "Admit St Mary's as a hospital issuer and validator" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "address"}, {ProtoField: "name"}, {ProtoField: "kind"},
					},
					GovProposal: true,
				},
				{
					RpcMethod: "SetIssuerStatus",
					Use:       "set-issuer-status [address] [status]",
					Short:     "Propose to suspend, reinstate or revoke an issuer (governance proposal)",
					Long: "Submit a governance proposal that sets the issuer's STATUS (active, suspended or revoked) once it passes. " +
						"Its practitioners follow at once. A suspended or revoked hospital's validator is jailed; " +
						"a reinstated hospital unjails itself with `medchaind tx slashing unjail`. REVOKED is final.",
					Example: `medchaind tx issuers set-issuer-status med1qg5ega6dykkxc307y25pecuufrjkxkaggkkxh7 suspended \
  --reason "licence under review" \
  --title "Suspend St Mary's Hospital" --summary "Licence under review by the regulator" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "address"}, {ProtoField: "status"},
					},
					GovProposal: true,
				},
				{
					RpcMethod: "AddPractitioner",
					Use:       "add-practitioner [practitioner] [role]",
					Short:     "Add a practitioner to your organisation (sign with --from the organisation)",
					Long: "Add the account PRACTITIONER to the organisation that signs (--from), which must be an ACTIVE issuer. " +
						"ROLE is one of doctor, nurse, lab-tech, admin, other. An account belongs to at most one organisation.",
					Example:        "medchaind tx issuers add-practitioner med1ff4lt8ed7pvn0qlw38ukqnfx3gpt32z5xdjn9t doctor --from st-marys",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "practitioner"}, {ProtoField: "role"}},
				},
				{
					RpcMethod:      "RemovePractitioner",
					Use:            "remove-practitioner [practitioner]",
					Short:          "Remove a practitioner from your organisation (sign with --from the organisation)",
					Example:        "medchaind tx issuers remove-practitioner med1ff4lt8ed7pvn0qlw38ukqnfx3gpt32z5xdjn9t --from st-marys",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "practitioner"}},
				},
				{
					RpcMethod: "UpdateIssuerProfile",
					Use:       "update-profile",
					Short:     "Change your organisation's name and/or website (sign with --from the organisation)",
					Long: "Change the display name (--name) and/or website (--website) of the organisation that signs (--from). " +
						"A flag left out keeps its current value. Kind and status are changed only by governance.",
					Example: `medchaind tx issuers update-profile --name "St Mary's University Hospital" --website https://stmarys.example --from st-marys`,
				},
				{
					RpcMethod: "UpdateParams",
					Use:       "update-params [params]",
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
