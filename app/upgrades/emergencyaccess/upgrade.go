// Package emergencyaccess is the software upgrade that brings x/access to
// consensus version 4: patients' emergency policies, break-glass access by
// practitioners of active hospitals and threshold release of the
// emergency key by custodian hospitals. Its new params (emergency_window,
// max_emergency_per_practitioner, max_custodians) are set to their
// defaults; nothing else changes, since no patient has a policy yet.
package emergencyaccess

import "github.com/medchain/medchain/app/upgrades"

// Name is the name a governance upgrade plan must carry.
const Name = "emergency-access"

// Upgrade runs the module migrations; it adds no store.
var Upgrade = upgrades.MigrationsOnly(Name)
