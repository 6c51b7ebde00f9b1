package keeper

import sdk "github.com/cosmos/cosmos-sdk/types"

// Migrator runs the datanft store migrations.
type Migrator struct{ keeper Keeper }

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{keeper: k} }

// Migrate1to2 brings the pseudonyms hospitals vouch for (MsgVouchPseudonym)
// and the mint of a vouched pseudonym's own records. The new store is
// empty on every chain that had consensus version 1, and nothing stored
// before changes meaning, so there is nothing to rewrite: the version is
// raised so that a node of the old binary cannot run the new messages.
func (m Migrator) Migrate1to2(_ sdk.Context) error { return nil }
