// Package multihashidentity is the software upgrade to release v0.5.0. It
// adds no store. A CID's identity on chain becomes its multihash (a CID
// whose multihash any record ever used, under any codec, is refused from
// the upgrade height on), which needs every node to switch at the same
// height. It also brings x/access to consensus version 5: an emergency
// policy is spent once a break-glass reaches its threshold of releases
// (the migration marks spent every policy whose key an access already
// took to the threshold, and closes the other accesses still open under
// it), and the param max_emergency_per_organisation_per_day (10) bounds
// each organisation's break-glasses per UTC day, counted from the
// emergency log. And it brings x/records to consensus version 4: the
// param max_versions_per_record (64) bounds the versions MsgAddVersion may
// add to a record, so a writer holding the owner's WRITE grant cannot make
// the owner's redaction or key rotation arbitrarily expensive, and hospitals
// record where record versions are archived in Filecoin, as far as
// archive_policy (CONSENT: each owner decides) and
// max_archive_entries_per_version (8) allow (the migration sets the three
// params and keeps the other records params). It brings
// x/datanft to consensus version 2: hospitals vouch for patients'
// pseudonyms (MsgVouchPseudonym), which mint de-identified data with no
// public link to the patient; the new store starts empty. Its handler,
// like every other, runs all module migrations from the chain's version map, so a chain of any earlier
// release reaches this one in a single upgrade.
package multihashidentity

import "github.com/medchain/medchain/app/upgrades"

// Name is the name a governance upgrade plan must carry.
const Name = "multihash-identity"

// Upgrade runs the module migrations; it adds no store.
var Upgrade = upgrades.MigrationsOnly(Name)
