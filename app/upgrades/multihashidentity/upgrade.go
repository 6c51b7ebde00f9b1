// Package multihashidentity is the software upgrade to release v0.5.0. It
// moves no store: a CID's identity on chain becomes its multihash (a CID
// whose multihash any record ever used, under any codec, is refused from
// the upgrade height on), which needs every node to switch at the same
// height. Its handler, like every other, runs all module migrations from
// the chain's version map, so a chain of any earlier release reaches this
// one in a single upgrade.
package multihashidentity

import "github.com/medchain/medchain/app/upgrades"

// Name is the name a governance upgrade plan must carry.
const Name = "multihash-identity"

// Upgrade runs the module migrations; it adds no store.
var Upgrade = upgrades.MigrationsOnly(Name)
