// Package records is the registry of encrypted medical records: each record
// is a pointer (a CIDv1 in a vault) to a payload encrypted on the client,
// with coarse, non-identifying metadata, its owner (the patient), who
// created it and its version history. The chain never holds a payload or
// the keys to it.
//
// A patient creates records for themself; a practitioner or organisation
// that x/issuers authorises creates records for a patient who grants it
// WRITE. Write permission and the key wraps that travel with every record
// are decided by x/access through the AccessHooks this module declares
// (types.AccessHooks, installed with Keeper.SetHooks); until hooks are set,
// only owners write, with one wrap for themselves. Redaction is the right to
// erasure: the record becomes a tombstone and no query returns its CIDs. See
// README.md.
package records
