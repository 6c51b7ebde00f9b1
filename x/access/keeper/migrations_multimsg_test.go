package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
)

// fieldNumbers lists the field numbers present in a protobuf encoding.
func fieldNumbers(t testing.TB, bz []byte) []protowire.Number {
	t.Helper()
	var nums []protowire.Number
	for len(bz) > 0 {
		num, typ, n := protowire.ConsumeTag(bz)
		require.GreaterOrEqual(t, n, 0)
		bz = bz[n:]
		m := protowire.ConsumeFieldValue(num, typ, bz)
		require.GreaterOrEqual(t, m, 0)
		bz = bz[m:]
		nums = append(nums, num)
	}
	return nums
}

// TestCursorsNeedNoMigration: the cursors of a completing policy
// (completing, wrapped_through: fields 10 and 11) and of a moving
// recovery (moving, moved_through: 12 and 13) are new in version 5, and
// their zero values mean what every policy and recovery stored by release
// v0.4.0 is: a complete policy, a recovery that has moved nothing. State
// written with the v0.4.0 layout (fields 1 to 9 and 1 to 11 only) is left
// as it is by Migrate4to5 and read correctly afterwards: the policy takes
// no continuation and covers every record, and the recovery completes,
// here in several messages.
func TestCursorsNeedNoMigration(t *testing.T) {
	f := newRecoveryFixture(t)
	id := f.request(t)
	f.approve(t, f.hospital, id)
	f.approve(t, f.hospitalB, id)
	patient := f.accAddr(t, f.patient)
	policy, err := f.keeper.EmergencyPolicies.Get(f.ctx, patient)
	require.NoError(t, err)
	recovery, err := f.keeper.Recoveries.Get(f.ctx, id)
	require.NoError(t, err)

	// What v0.4.0 stored: its messages had no field above 9 and 11.
	policyBytes, err := policy.Marshal()
	require.NoError(t, err)
	for _, n := range fieldNumbers(t, policyBytes) {
		require.LessOrEqual(t, n, protowire.Number(9), "a v0.4.0 policy has no field %d", n)
	}
	recoveryBytes, err := recovery.Marshal()
	require.NoError(t, err)
	for _, n := range fieldNumbers(t, recoveryBytes) {
		require.LessOrEqual(t, n, protowire.Number(11), "a v0.4.0 recovery has no field %d", n)
	}

	before := f.dumpStore(t, types.StoreKey)
	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate4to5(f.ctx))
	require.Equal(t, before, f.dumpStore(t, types.StoreKey), "the migration rewrites no policy and no recovery")
	got, err := f.keeper.EmergencyPolicies.Get(f.ctx, patient)
	require.NoError(t, err)
	require.False(t, got.Completing, "a v0.4.0 policy is complete")
	require.Zero(t, got.WrappedThrough)
	requireRejected(t, f.fixture, types.ErrInvalidEmergencyPolicy, "is complete", func(ctx sdk.Context) error {
		_, err := f.msgServer.AddEmergencyWraps(ctx, &types.MsgAddEmergencyWraps{Patient: f.patient, KeyId: got.KeyId, Wraps: f.emergencyWraps(t, f.patient, f.dicom)})
		return err
	})

	// The v0.4.0 recovery completes in two messages.
	f.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = 1 })
	f.at(recovery.ExecutableAt)
	first := f.completeMsg(t, id)
	rest := *first
	first.Records, rest.Records = first.Records[:1], rest.Records[1:]
	resp, err := f.msgServer.CompleteRecovery(f.freshCtx(), first)
	require.NoError(t, err)
	require.False(t, resp.Complete)
	resp, err = f.msgServer.CompleteRecovery(f.freshCtx(), &rest)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	for _, rec := range []uint64{f.dicom, f.fhir, f.redacted} {
		require.Equal(t, f.newOwner, f.mustRecord(t, rec).Owner)
	}
}
