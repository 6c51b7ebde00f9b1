// Package node runs a vault beside a medchain node: inside
// `medchaind start` (configured by the [vault] section of app.toml) or on
// its own as `medchaind vault serve`.
//
// A vault that follows the chain keeps exactly what live records point
// at. Its Follower reads the results of every block from a CometBFT RPC
// endpoint, in order, and
//
//   - pins the CID of each EventRecordCreated and EventVersionAdded (when
//     this vault holds it: a record uploaded to another hospital's vault is
//     that vault's to keep);
//   - unpins every CID an EventRecordRedacted or EventKeyRotated releases,
//     as of the moment it learns of it.
//
// Uploads are not pinned by themselves: an upload stays "unpinned since
// its write" until its record reaches the chain, so the periodic garbage
// collection removes uploads that were never registered, and released
// payloads, once the grace period has passed. The height reached is stored
// in the vault, so a restarted vault resumes where it stopped; a new vault
// starts at the node's earliest block.
package node
