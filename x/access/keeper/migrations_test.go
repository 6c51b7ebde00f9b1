package keeper_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
)

// TestMigrate1to2: version 1 state (params without
// max_pending_requests_per_record and max_expiry_work_per_block, requests
// without the (owner, record id) index) becomes exactly the state version
// 2 would have built.
func TestMigrate1to2(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	want := f.dumpStore(t, types.StoreKey)

	params, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	params.MaxPendingRequestsPerRecord, params.MaxExpiryWorkPerBlock = 0, 0
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))
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
	params, err = f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), params)
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
