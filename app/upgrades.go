package app

import (
	"fmt"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/medchain/medchain/app/upgrades"
	"github.com/medchain/medchain/app/upgrades/cidownership"
	"github.com/medchain/medchain/app/upgrades/emergencyaccess"
	"github.com/medchain/medchain/app/upgrades/sealedmetadata"
)

// Upgrades lists every software upgrade this binary knows. To ship one: add
// a package under app/upgrades that returns an upgrades.Upgrade whose
// handler calls ModuleManager.RunMigrations, list it here, and pass a
// governance MsgSoftwareUpgrade with the same name.
var Upgrades = []upgrades.Upgrade{
	cidownership.Upgrade,    // x/records and x/access 1 -> 2
	sealedmetadata.Upgrade,  // x/records and x/access 2 -> 3
	emergencyaccess.Upgrade, // x/access 3 -> 4
}

// registerUpgradeHandlers registers the handlers of Upgrades and, when the
// node restarts for a pending upgrade, the store loader that adds or removes
// stores at the upgrade height.
func (app *MedchainApp) registerUpgradeHandlers() {
	for _, u := range Upgrades {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.CreateHandler(app.ModuleManager, app.configurator))
	}

	info, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("reading upgrade-info.json: %w", err))
	}
	if info.Name == "" || app.UpgradeKeeper.IsSkipHeight(info.Height) {
		return
	}
	for _, u := range Upgrades {
		if u.Name == info.Name {
			storeUpgrades := u.StoreUpgrades
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(info.Height, &storeUpgrades))
			return
		}
	}
}
