// Package cidownership is the software upgrade that brings x/records and
// x/access to consensus version 2. x/records: the index of live CIDs and
// the tombstones of released ones, built from the records, after which a
// CID belongs to one record version for the chain's whole life, and
// replication_factor. x/access: the per-record cap on pending requests and
// the expiry work budget (params set to their defaults) and the index of
// requests by (owner, record).
package cidownership

import "github.com/medchain/medchain/app/upgrades"

// Name is the name a governance upgrade plan must carry.
const Name = "cid-ownership"

// Upgrade runs the module migrations; it adds no store.
var Upgrade = upgrades.MigrationsOnly(Name)
