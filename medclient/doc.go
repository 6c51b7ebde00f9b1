// Package medclient is the client side of medchain's record storage, shared
// by the CLI commands of x/records and x/access and usable by any Go
// program that integrates with the chain.
//
// It ties together the three pieces a record needs off chain:
//
//   - the account's encryption key pair, derived from its keyring key
//     (DeriveKeyPair), so that restoring the mnemonic restores it;
//   - the record key, opened from the reader's wrap (OpenRecordKey) and
//     sealed to other readers (SealRecordKey, ReadersOf);
//   - the payload: encrypted with age, chunked into a UnixFS DAG whose CID
//     Kubo would compute, uploaded to a vault or a Kubo node (Upload), and
//     fetched, verified and decrypted into a file that appears only when
//     complete (DownloadFile).
//
// It holds the workflows a client runs, each from plain values:
//
//   - storing a file as a new record (CreateRecord, with OpenInput) or as
//     the next version of one (AddVersion), which check the vault's upload
//     limit before anything is encrypted and ask the chain in simulation
//     before any data moves;
//   - reading a record or one of its earlier versions into a file
//     (DownloadRecord, VersionPayload) through whatever access the account
//     holds;
//   - checking which placed vaults hold a payload (CheckReplicas) and
//     reading a record's access log at a vault (AccessLog);
//   - making a de-identified copy of a DICOM or FHIR record
//     (DeidentifyRecord, with package deid);
//   - sharing: the wraps a READ grant carries (GrantWraps), a request's
//     reason sealed to the patient and opened by them (SealRequestReason,
//     OpenRequestReason);
//   - revoking a READ grant with key rotation (PlanRevocation, then
//     Revocation.Reencrypt) and fulfilling data-NFT licences
//     (PendingLicences, BuildFulfilLicence);
//   - emergency access and key recovery: a patient's emergency policy
//     (BuildEmergencyPolicy), a custodian's release or approval
//     (ReleaseShareFor, ApproveRecoveryFor, which look the access or
//     recovery up and refuse one that is over; BuildShareRelease,
//     BuildRecoveryApproval with it in hand), and recovering the
//     emergency key from released shares (RecoverEmergencyKey,
//     BuildCompleteRecovery).
//
// Nothing here holds a whole payload in memory: encryption, chunking and
// upload are streamed through pipes and a spool file on disk. Nothing here
// parses flags: medclient/cliflags is the glue to medchaind's cobra
// commands (NewRemote, NewReadRemote and NewTx take plain values).
package medclient
