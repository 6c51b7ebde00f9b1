// Package sealedmetadata is the software upgrade that brings x/records and
// x/access to consensus version 3: record labels and request reasons are
// sealed (the plaintext ones of earlier versions are erased, since the
// chain cannot seal them), rotations re-seal a record's label, and new
// payload sizes must be padded size classes. A chain still at version 1
// runs the cid-ownership migrations first, in the same upgrade.
package sealedmetadata

import "github.com/medchain/medchain/app/upgrades"

// Name is the name a governance upgrade plan must carry.
const Name = "sealed-metadata"

// Upgrade runs the module migrations; it adds no store.
var Upgrade = upgrades.MigrationsOnly(Name)
