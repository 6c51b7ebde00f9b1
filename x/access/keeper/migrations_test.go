package keeper_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
)

// paramsWrittenBy are the access params as each earlier release's genesis
// wrote them: the fields of its own version only, the later ones absent
// from its store and so decoded as zero by today's types.
func paramsWrittenBy(version uint64) types.Params {
	p := types.Params{ // version 1 (release v0.1.0)
		MaxExpirationsPerBlock: 500,
		MaxPendingRequests:     3,
		DefaultRequestTtl:      7 * 24 * time.Hour,
		MaxRequestTtl:          90 * 24 * time.Hour,
		MaxReasonLength:        140,
		MaxWrapsPerMsg:         500,
	}
	if version >= 2 { // releases v0.2.0 and v0.3.0
		p.MaxPendingRequestsPerRecord = 16
		p.MaxExpiryWorkPerBlock = 2000
	}
	return p
}

// migrations are the access migrations by the version they start from.
func migrations(m keeper.Migrator) map[uint64]func(sdk.Context) error {
	return map[uint64]func(sdk.Context) error{1: m.Migrate1to2, 2: m.Migrate2to3, 3: m.Migrate3to4}
}

// TestMigrate1to2: version 1 state (params without
// max_pending_requests_per_record and max_expiry_work_per_block, requests
// without the (owner, record id) index) becomes exactly the state version
// 2 would have built. It starts from the params release v0.1.0 wrote, whose
// emergency params (version 4) are unset: the migration must neither need
// them nor set them.
func TestMigrate1to2(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(2)))
	want := f.dumpStore(t, types.StoreKey)

	require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(1)))
	store := f.kvStore(t, types.StoreKey)
	indexed := 0
	for _, e := range f.dumpStore(t, types.StoreKey) {
		if bytes.HasPrefix([]byte(e.Key), types.RequestsByTargetKey) {
			store.Delete([]byte(e.Key))
			indexed++
		}
	}
	require.NotZero(t, indexed, "richState has pending requests")

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate1to2(f.ctx))
	require.Equal(t, want, f.dumpStore(t, types.StoreKey))
}

// TestMigrationsFromEveryEarlierVersion: a chain of any earlier release,
// with the params that release wrote, runs the migrations from its own
// version up in a row (as one upgrade handler does) and ends with the
// params a new chain starts with, which pass the full validation the
// upgrade handler makes at the end. Release v0.4.0 validated the whole
// params inside Migrate1to2, before Migrate3to4 had set the emergency
// params, and every node of a v0.1.0 chain halted in the upgrade.
func TestMigrationsFromEveryEarlierVersion(t *testing.T) {
	for from := uint64(1); from < 4; from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			f := newFixture(t)
			richState(t, f)
			require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(from)))
			steps := migrations(keeper.NewMigrator(f.keeper))
			for v := from; v < 4; v++ {
				require.NoError(t, steps[v](f.ctx), "migration %d to %d", v, v+1)
			}
			params, err := f.keeper.Params.Get(f.ctx)
			require.NoError(t, err)
			require.NoError(t, params.Validate())
			require.Equal(t, types.DefaultParams(), params)
		})
	}
}

// TestMigrationsKeepWhatGovernanceChose: a param governance changed before
// the upgrade keeps its value; a migration fills only the fields its own
// version adds.
func TestMigrationsKeepWhatGovernanceChose(t *testing.T) {
	f := newFixture(t)
	params := paramsWrittenBy(1)
	params.MaxPendingRequests = 7
	params.MaxWrapsPerMsg = 250
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))
	steps := migrations(keeper.NewMigrator(f.keeper))
	for v := uint64(1); v < 4; v++ {
		require.NoError(t, steps[v](f.ctx))
	}
	got, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(7), got.MaxPendingRequests)
	require.Equal(t, uint32(250), got.MaxWrapsPerMsg)
	require.Equal(t, types.DefaultEmergencyWindow, got.EmergencyWindow)
}

// TestMigrate2to3: the reasons of version 2 requests, plaintext whose
// bytes now decode as sealed_reason, are erased; nothing else changes.
func TestMigrate2to3(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	var requests []types.AccessRequest
	require.NoError(t, f.keeper.Requests.Walk(f.ctx, nil, func(_ uint64, r types.AccessRequest) (bool, error) {
		requests = append(requests, r)
		return false, nil
	}))
	require.NotEmpty(t, requests, "richState has pending requests")
	for _, r := range requests {
		r.SealedReason = nil
		require.NoError(t, f.keeper.Requests.Set(f.ctx, r.Id, r))
	}
	want := f.dumpStore(t, types.StoreKey)
	for _, r := range requests {
		r.SealedReason = []byte("follow-up of her knee MRI") // as version 2 stored it
		require.NoError(t, f.keeper.Requests.Set(f.ctx, r.Id, r))
	}

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate2to3(f.ctx))
	require.Equal(t, want, f.dumpStore(t, types.StoreKey))
}
