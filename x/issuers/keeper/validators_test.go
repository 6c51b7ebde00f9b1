package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/runtime"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/issuers/keeper"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestEndBlockerJailsValidatorsOfBarredHospitals(t *testing.T) {
	f := newPopulatedFixture(t)
	f.staking.addValidator(t, f.mustAddr(t, f.hospital), false)
	suspended := f.staking.addValidator(t, f.mustAddr(t, f.suspendedHospital), false) // e.g. after MsgUnjail
	revoked := f.staking.addValidator(t, f.mustAddr(t, f.revokedHospital), false)
	ctx := f.freshCtx()

	require.NoError(t, f.keeper.EndBlocker(ctx))

	require.False(t, f.staking.validator(t, f.mustAddr(t, f.hospital)).IsJailed(), "an active hospital keeps validating")
	require.True(t, f.staking.validator(t, f.mustAddr(t, f.suspendedHospital)).IsJailed())
	require.True(t, f.staking.validator(t, f.mustAddr(t, f.revokedHospital)).IsJailed())
	require.Len(t, f.staking.jailed, 2)

	emitted := ctx.EventManager().Events()
	require.Len(t, emitted, 2)
	events.Equal(t, emitted[0], &types.EventHospitalValidatorJailed{
		Organisation: f.suspendedHospital, Validator: suspended.OperatorAddress, Status: types.IssuerStatusSuspended,
	})
	events.Equal(t, emitted[1], &types.EventHospitalValidatorJailed{
		Organisation: f.revokedHospital, Validator: revoked.OperatorAddress, Status: types.IssuerStatusRevoked,
	})

	// Next block: everything is already jailed, nothing to do.
	ctx = f.freshCtx()
	require.NoError(t, f.keeper.EndBlocker(ctx))
	require.Len(t, f.staking.jailed, 2)
	require.Empty(t, ctx.EventManager().Events())
}

func TestEndBlockerLeavesOthersAlone(t *testing.T) {
	f := newPopulatedFixture(t)
	// A suspended clinic cannot have a validator (the hook refuses it), but
	// if it had one, only hospitals are this module's business.
	_, err := f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
		Authority: f.authority, Address: f.clinic, Status: types.IssuerStatusSuspended,
	})
	require.NoError(t, err)
	f.staking.addValidator(t, f.mustAddr(t, f.clinic), false)
	f.staking.addValidator(t, f.mustAddr(t, f.hospital), false)
	f.staking.addValidator(t, f.mustAddr(t, f.stranger), false)

	require.NoError(t, f.keeper.EndBlocker(f.freshCtx()))
	require.Empty(t, f.staking.jailed)
}

// A hospital suspended, then unjailed by MsgUnjail, is jailed again at the
// end of the block; once reinstated, its MsgUnjail sticks.
func TestEndBlockerAfterUnjail(t *testing.T) {
	f := newPopulatedFixture(t)
	hospital := f.mustAddr(t, f.hospital)
	f.staking.addValidator(t, hospital, false)

	_, err := f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
		Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended,
	})
	require.NoError(t, err)
	require.True(t, f.staking.validator(t, hospital).IsJailed())

	unjail := func() {
		v := f.staking.validator(t, hospital)
		v.Jailed = false
		f.staking.validators[string(hospital)] = v
	}
	unjail()
	require.NoError(t, f.keeper.EndBlocker(f.freshCtx()))
	require.True(t, f.staking.validator(t, hospital).IsJailed(), "a suspended hospital cannot unjail itself")

	_, err = f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
		Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusActive,
	})
	require.NoError(t, err)
	require.True(t, f.staking.validator(t, hospital).IsJailed(), "reinstating does not unjail")
	unjail()
	require.NoError(t, f.keeper.EndBlocker(f.freshCtx()))
	require.False(t, f.staking.validator(t, hospital).IsJailed())
}

func TestEndBlockerWithoutStakingKeeper(t *testing.T) {
	f := newPopulatedFixture(t)
	k := withoutStaking(t, f)
	require.NoError(t, k.EndBlocker(f.ctx))

	// Status changes still work; nothing is jailed.
	_, err := keeper.NewMsgServerImpl(k).SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
		Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended,
	})
	require.NoError(t, err)
}

// withoutStaking returns a keeper without a staking keeper over f's store.
func withoutStaking(t *testing.T, f fixture) keeper.Keeper {
	t.Helper()
	return keeper.NewKeeper(f.cdc, runtime.NewKVStoreService(f.storeKey), f.addressCodec, f.authority, nil)
}
