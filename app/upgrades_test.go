package app

import (
	"testing"
	"time"

	"cosmossdk.io/log"
	upgradetypes "cosmossdk.io/x/upgrade/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/app/upgrades"
	"github.com/medchain/medchain/app/upgrades/multihashidentity"
	accesstypes "github.com/medchain/medchain/x/access/types"
	datanfttypes "github.com/medchain/medchain/x/datanft/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// TestUpgradeOfAV040Chain: the v0.5.0 upgrade handler, as the app
// registers it, takes a chain whose modules are at release v0.4.0's
// consensus versions, with the params v0.4.0 wrote (access without
// max_emergency_per_organisation_per_day, records without
// max_versions_per_record and the archive params, whose other values
// governance had changed), to
// this binary's versions, and every module's params pass the check the
// handler makes at the end.
func TestUpgradeOfAV040Chain(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	require.NoError(t, a.LoadLatestVersion())
	ctx := a.BaseApp.NewUncachedContext(false, cmtproto.Header{Time: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), Height: 100, ChainID: "medchain-test"})

	require.NoError(t, a.IssuersKeeper.Params.Set(ctx, issuerstypes.DefaultParams()))
	recordsV4 := recordstypes.NewParams(32, 5, []recordstypes.RecordKind{recordstypes.RecordKindDICOM, recordstypes.RecordKindFHIR})
	recordsV4.ReplicationFactor = 4
	recordsV4.MaxVersionsPerRecord = 0 // absent from v0.4.0's store, like the two archive params
	recordsV4.ArchivePolicy = recordstypes.ArchivePolicyUnspecified
	recordsV4.MaxArchiveEntriesPerVersion = 0
	require.NoError(t, a.RecordsKeeper.Params.Set(ctx, recordsV4))
	require.NoError(t, a.DataNFTKeeper.Params.Set(ctx, datanfttypes.DefaultParams()))
	v4 := accesstypes.DefaultParams()
	v4.MaxEmergencyPerOrganisationPerDay = 0 // absent from v0.4.0's store
	require.NoError(t, a.AccessKeeper.Params.Set(ctx, v4))
	require.Error(t, a.checkParams(ctx), "v0.4.0's access params are not valid for this binary")

	fromVM := a.ModuleManager.GetVersionMap()
	var v040 upgrades.Release
	for _, r := range upgrades.Releases {
		if r.Version == "v0.4.0" {
			v040 = r
		}
	}
	for module, v := range v040.Modules {
		fromVM[module] = v
	}
	toVM, err := a.checkedHandler(multihashidentity.Upgrade)(ctx, upgradetypes.Plan{Name: multihashidentity.Name, Height: 100}, fromVM)
	require.NoError(t, err)
	for module, v := range upgrades.Current().Modules {
		require.Equal(t, v, toVM[module], module)
	}
	params, err := a.AccessKeeper.Params.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, accesstypes.DefaultParams(), params)
	records, err := a.RecordsKeeper.Params.Get(ctx)
	require.NoError(t, err)
	wantRecords := recordsV4
	wantRecords.MaxVersionsPerRecord = recordstypes.DefaultMaxVersionsPerRecord
	wantRecords.ArchivePolicy = recordstypes.ArchivePolicyConsent
	wantRecords.MaxArchiveEntriesPerVersion = recordstypes.DefaultMaxArchiveEntriesPerVersion
	require.Equal(t, wantRecords, records, "governance's records params kept, the version bound and the archive params set")
}
