package app

import (
	"testing"

	"github.com/stretchr/testify/require"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/prometheus/client_golang/prometheus"

	"cosmossdk.io/log"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
)

// exportedUpgradeHeight is medchain_upgrade_plan_height as the node's
// Prometheus endpoint (the default registry) serves it.
func exportedUpgradeHeight(t *testing.T) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "medchain_upgrade_plan_height" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("medchain_upgrade_plan_height is not in the default registry")
	return 0
}

// TestUpgradePlanIsExported: once governance schedules an upgrade, the next
// block's PreBlocker exports its height; once the plan is gone, 0.
func TestUpgradePlanIsExported(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	ctx := a.NewUncachedContext(false, cmtproto.Header{Height: 10})

	_, err := a.PreBlocker(ctx, &abci.RequestFinalizeBlock{Height: 10})
	require.NoError(t, err)
	require.Zero(t, exportedUpgradeHeight(t), "no plan")

	require.NoError(t, a.UpgradeKeeper.ScheduleUpgrade(ctx, upgradetypes.Plan{Name: "next-release", Height: 500}))
	_, err = a.PreBlocker(ctx.WithBlockHeight(11), &abci.RequestFinalizeBlock{Height: 11})
	require.NoError(t, err)
	require.Equal(t, 500.0, exportedUpgradeHeight(t))

	require.NoError(t, a.UpgradeKeeper.ClearUpgradePlan(ctx))
	_, err = a.PreBlocker(ctx.WithBlockHeight(12), &abci.RequestFinalizeBlock{Height: 12})
	require.NoError(t, err)
	require.Zero(t, exportedUpgradeHeight(t), "the plan was cancelled")
}
