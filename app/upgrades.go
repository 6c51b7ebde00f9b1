package app

import (
	"context"
	"fmt"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/medchain/medchain/app/upgrades"
	"github.com/medchain/medchain/app/upgrades/cidownership"
	"github.com/medchain/medchain/app/upgrades/emergencyaccess"
	"github.com/medchain/medchain/app/upgrades/multihashidentity"
	"github.com/medchain/medchain/app/upgrades/sealedmetadata"
)

// Upgrades lists every software upgrade this binary knows: the upgrade of
// every release in upgrades.Releases, none ever removed, because a chain of
// an old release may carry any of these names in its plan. Each handler runs
// every migration from the chain's version map, so any of them brings a
// chain of any earlier release to this one. To ship one: add a package
// under app/upgrades that returns an upgrades.Upgrade whose handler calls
// ModuleManager.RunMigrations, list it here and in upgrades.Releases and
// RELEASES.md, and pass a governance MsgSoftwareUpgrade with the same name.
var Upgrades = []upgrades.Upgrade{
	cidownership.Upgrade,      // x/records and x/access 1 -> 2
	sealedmetadata.Upgrade,    // x/records and x/access 2 -> 3
	emergencyaccess.Upgrade,   // x/access 3 -> 4
	multihashidentity.Upgrade, // x/access 4 -> 5 (spent emergency policies); CID identity is the multihash
}

// registerUpgradeHandlers registers the handlers of Upgrades and, when the
// node restarts for a pending upgrade, the store loader that adds or removes
// stores at the upgrade height.
func (app *MedchainApp) registerUpgradeHandlers() {
	for _, u := range Upgrades {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, app.checkedHandler(u))
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

// checkedHandler runs u's handler and then checks the migrated state as a
// whole. Each migration sets and checks only what its own consensus version
// adds, because a chain several versions behind runs them in a row and the
// fields of later versions are still unset while the earlier ones run;
// only once the last one has run must every module's params be valid. A
// failure halts the upgrade with the module and the field named, before
// the new binary commits a block.
func (app *MedchainApp) checkedHandler(u upgrades.Upgrade) upgradetypes.UpgradeHandler {
	run := u.CreateHandler(app.ModuleManager, app.configurator)
	return func(ctx context.Context, plan upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		toVM, err := run(ctx, plan, fromVM)
		if err != nil {
			return nil, err
		}
		if err := app.checkParams(sdk.UnwrapSDKContext(ctx)); err != nil {
			return nil, fmt.Errorf("state after the %s upgrade: %w", u.Name, err)
		}
		return toVM, nil
	}
}

// checkParams validates the params of every medchain module.
func (app *MedchainApp) checkParams(ctx sdk.Context) error {
	type validator interface{ Validate() error }
	check := func(module string, get func() (validator, error)) error {
		p, err := get()
		if err != nil {
			return fmt.Errorf("reading the %s params: %w", module, err)
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%s params: %w", module, err)
		}
		return nil
	}
	for _, c := range []struct {
		module string
		get    func() (validator, error)
	}{
		{"issuers", func() (validator, error) { return app.IssuersKeeper.Params.Get(ctx) }},
		{"records", func() (validator, error) { return app.RecordsKeeper.Params.Get(ctx) }},
		{"access", func() (validator, error) { return app.AccessKeeper.Params.Get(ctx) }},
		{"datanft", func() (validator, error) { return app.DataNFTKeeper.Params.Get(ctx) }},
	} {
		if err := check(c.module, c.get); err != nil {
			return err
		}
	}
	return nil
}
