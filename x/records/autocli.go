package records

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/records/types"
)

// Example addresses used in the command examples (valid med1 bech32).
const (
	examplePatient = "med1guesn0n2rslgqtcjxa76u2uj9zy79rmu7e87g0"
	exampleDoctor  = "med1u92qxqmn5vsxws7uc86gn7dlq0a8s4kqy8j0wd"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: the query commands and
// the redact, set-archive-consent and update-params transactions are
// generated from the proto services.
//
// CreateRecord and AddVersion are skipped: they need the client-side
// encryption, vault upload and key wrapping of the hand-written `upload`
// command, and a bare CID typed on the command line would carry no usable
// key. RecordArchive is skipped too: its versions are a repeated message,
// which the hand-written record-archive takes as RECORD_ID:VERSION
// arguments. update-params is a GovProposal command: `--from` is the
// proposer and the authority field is filled with the gov module account.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Record",
					Use:       "record ID",
					Short:     "Show a record: owner, issuer, CID, kind, size, label, version, key epoch, status",
					Long: "Show one record by id. A REDACTED record is shown as its tombstone, " +
						"without any CID.",
					Example:        "medchaind query records record 42",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "RecordsByOwner",
					Use:       "records-by-owner OWNER",
					Short:     "List a patient's records, optionally only one kind and/or status",
					Example: "medchaind query records records-by-owner " + examplePatient + "\n" +
						"medchaind query records records-by-owner " + examplePatient + " --kind dicom --status active --page-limit 20",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"kind":   {Usage: "only records of this kind: dicom, fhir, pdf, image, genomic or other"},
						"status": {Usage: "only records with this status: active or redacted"},
					},
				},
				{
					RpcMethod:      "RecordsByIssuer",
					Use:            "records-by-issuer ISSUER",
					Short:          "List the records an account created",
					Example:        "medchaind query records records-by-issuer " + exampleDoctor + " --page-limit 50",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "issuer"}},
				},
				{
					RpcMethod:      "History",
					Use:            "history RECORD_ID",
					Short:          "List every version of a record, oldest first",
					Example:        "medchaind query records history 42",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}},
				},
				{
					RpcMethod: "NextRecordId",
					Use:       "next-id",
					Short:     "Show the id the next new record will get (clients bind key wraps to it)",
					Example:   "medchaind query records next-id",
				},
				{
					RpcMethod: "ByCid",
					Use:       "by-cid CID",
					Short:     "Show which record version a CID belongs to, and whether its payload is still live",
					Long: "A CID belongs to one record version for the chain's whole life. by-cid answers with that " +
						"record id and version, and live=false once a redaction or a key rotation released the payload.",
					Example:        "medchaind query records by-cid bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cid"}},
				},
				{
					RpcMethod: "LiveCids",
					Use:       "live-cids",
					Short:     "List every CID vaults must keep (versions at the current key epoch of active records)",
					Example:   "medchaind query records live-cids --page-limit 100",
				},
				{
					RpcMethod: "Placement",
					Use:       "placement CID",
					Short:     "List the hospitals whose vaults hold a CID, in the order clients try them",
					Long: "Placement is rendezvous hashing of the CID over the ACTIVE hospitals that registered a vault URL, " +
						"replication_factor of them, highest score first. `records replicas RECORD_ID` also asks each vault " +
						"whether it holds the payload.",
					Example:        "medchaind query records placement bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "cid"}},
				},
				{
					RpcMethod: "Vaults",
					Use:       "vaults",
					Short:     "List the hospitals' vaults that hold replicas, and the replication factor",
					Example:   "medchaind query records vaults",
				},
				{
					RpcMethod: "Archives",
					Use:       "archives RECORD_ID",
					Short:     "List a record's Filecoin archive entries: piece, provider, deal, expiry, status",
					Long: "Lists the archive entries of every version of RECORD_ID (or of --record-version N only), in version and piece " +
						"order: which hospital stored the version's ciphertext in which Filecoin piece, with which provider, " +
						"until when, and whether the deal has expired at the latest block. A redacted record's entries are " +
						"SHREDDED: the ciphertext stays in the piece until the deal ends, but nobody can open it.",
					Example:        "medchaind query records archives 42\nmedchaind query records archives 42 --record-version 2",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}},
					FlagOptions: map[string]*autocliv1.FlagOptions{
						// --record-version, as `query records download` names a record version.
						"version": {Name: "record-version", Usage: "only this version's entries (0: every version)"},
					},
				},
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the records module parameters in force",
					Example:   "medchaind query records params",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "CreateRecord", Skip: true},
				{RpcMethod: "AddVersion", Skip: true},
				{RpcMethod: "RecordArchive", Skip: true}, // record-archive (client/cli/archive.go): versions as RECORD_ID:VERSION
				{
					RpcMethod: "SetArchiveConsent",
					Use:       "set-archive-consent RECORD_ID true|false",
					Short:     "Allow (true) or forbid (false) hospitals to archive one of your records to Filecoin",
					Long: "Sets whether hospitals may store the record's ciphertext in Filecoin deals, which the params' " +
						"archive_policy CONSENT (the default) asks each owner. Only the record's owner (--from) may. " +
						"Forbidding it stops new archive entries and renewals; entries already recorded stay, because a " +
						"Filecoin deal cannot be ended early. They hold ciphertext only, and redacting the record makes " +
						"it unreadable for good.",
					Example: "medchaind tx records set-archive-consent 42 true --from patient\n" +
						"medchaind tx records set-archive-consent 42 false --from patient",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}, {ProtoField: "allow"}},
				},
				{
					RpcMethod: "RedactRecord",
					Use:       "redact RECORD_ID",
					Short:     "Redact one of your records (right to erasure; sign with --from the owner)",
					Long: "Tombstone the record RECORD_ID, which must belong to the signer (--from). " +
						"Its CID and the CIDs of all its versions are erased from state, its grants and key wraps are deleted, " +
						"and vaults unpin the content. This cannot be undone.",
					Example:        "medchaind tx records redact 42 --from patient",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "record_id"}},
				},
				{
					RpcMethod: "UpdateParams",
					Use:       "update-params PARAMS_JSON",
					Short:     "Propose new records module parameters (governance proposal; give all of them)",
					Example: `medchaind tx records update-params '{"max_label_length":64,"max_records_per_owner_per_block":20,"allowed_kinds":["RECORD_KIND_DICOM","RECORD_KIND_FHIR","RECORD_KIND_PDF"],"replication_factor":3,"max_versions_per_record":64,"archive_policy":"ARCHIVE_POLICY_CONSENT","max_archive_entries_per_version":8}' \
  --title "Restrict record kinds" --summary "Only clinical documents for now" \
  --deposit 10000000umed --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
