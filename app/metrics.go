package app

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// upgradePlanHeight tells the hospital's monitoring that governance
// scheduled an upgrade: at that height every node halts until its operator
// installs the new binary (cosmovisor does it when the binary is in place).
// It is in Prometheus's default registry, which the node serves on
// CometBFT's endpoint ([instrumentation] prometheus in config.toml).
var upgradePlanHeight = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "medchain_upgrade_plan_height",
	Help: "Height of the software upgrade governance scheduled (x/upgrade's current plan); 0 when none is.",
})

func init() {
	prometheus.MustRegister(upgradePlanHeight)
}

// recordUpgradePlan sets medchain_upgrade_plan_height from the current
// plan. It only reads state.
func (app *MedchainApp) recordUpgradePlan(ctx sdk.Context) {
	plan, err := app.UpgradeKeeper.GetUpgradePlan(ctx)
	switch {
	case err == nil:
		upgradePlanHeight.Set(float64(plan.Height))
	case errors.Is(err, upgradetypes.ErrNoUpgradePlanFound):
		upgradePlanHeight.Set(0)
	}
}
