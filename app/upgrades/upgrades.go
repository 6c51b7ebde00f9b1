// Package upgrades describes medchain's on-chain software upgrades. Each
// upgrade is a named handler that the x/upgrade module runs at the height a
// governance proposal chose, plus the stores it adds or removes.
package upgrades

import (
	"context"

	storetypes "cosmossdk.io/store/types"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/types/module"
)

// Upgrade is one planned software upgrade.
type Upgrade struct {
	// Name must equal the name in the governance upgrade plan.
	Name string
	// CreateHandler builds the handler from the app's module manager and
	// configurator; the usual body runs the module migrations.
	CreateHandler func(*module.Manager, module.Configurator) upgradetypes.UpgradeHandler
	// StoreUpgrades lists the stores the new binary adds, renames or deletes.
	StoreUpgrades storetypes.StoreUpgrades
}

// MigrationsOnly is an upgrade that adds no store and whose handler runs
// the module migrations from the version map of the old binary.
func MigrationsOnly(name string) Upgrade {
	return Upgrade{
		Name: name,
		CreateHandler: func(mm *module.Manager, cfg module.Configurator) upgradetypes.UpgradeHandler {
			return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
				return mm.RunMigrations(ctx, cfg, fromVM)
			}
		},
	}
}
