package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestAfterValidatorCreatedGating(t *testing.T) {
	f := newPopulatedFixture(t)
	hooks := f.keeper.StakingHooks()

	tests := []struct {
		name     string
		operator func() string
		jailed   *bool // the validator as staking holds it when the hook runs; nil: none
		wantErr  error
		wantMsg  string
	}{
		{"active hospital", func() string { return f.hospital }, ptr(false), nil, ""},
		{"active clinic", func() string { return f.clinic }, ptr(false), types.ErrNotHospital, "(it is a CLINIC)"},
		{"suspended hospital", func() string { return f.suspendedHospital }, ptr(false), types.ErrNotHospital, "(it is a SUSPENDED HOSPITAL)"},
		{"revoked hospital", func() string { return f.revokedHospital }, ptr(false), types.ErrNotHospital, "(it is a REVOKED HOSPITAL)"},
		{"practitioner", func() string { return f.doctor }, ptr(false), types.ErrNotHospital, "practitioner of " + f.hospital},
		{"stranger", func() string { return f.stranger }, ptr(false), types.ErrNotHospital, "(it is not a registered issuer)"},
		{"gov module account", func() string { return f.authority }, ptr(false), types.ErrNotHospital, ""},

		// staking's InitGenesis runs the hook for validators already in a
		// (not exported-marked) genesis file: jailed hospitals pass.
		{"jailed validator of a suspended hospital at genesis", func() string { return f.suspendedHospital }, ptr(true), nil, ""},
		{"jailed validator of a revoked hospital at genesis", func() string { return f.revokedHospital }, ptr(true), nil, ""},
		{"jailed validator of a clinic at genesis", func() string { return f.clinic }, ptr(true), types.ErrNotHospital, "CLINIC"},
		{"jailed validator of a stranger at genesis", func() string { return f.stranger }, ptr(true), types.ErrNotHospital, ""},
		{"suspended hospital without a validator record", func() string { return f.suspendedHospital }, nil, types.ErrNotHospital, "SUSPENDED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			operator := f.mustAddr(t, tc.operator())
			delete(f.staking.validators, string(operator))
			if tc.jailed != nil {
				f.staking.addValidator(t, operator, *tc.jailed)
			}

			err := hooks.AfterValidatorCreated(f.ctx, sdk.ValAddress(operator))
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)

			valoper, err2 := f.staking.valCodec.BytesToString(operator)
			require.NoError(t, err2)
			require.ErrorContains(t, err, "validator operator "+tc.operator()+" ("+valoper+") is not an active hospital issuer")
			require.ErrorContains(t, err, "only hospitals admitted by governance may validate")
			require.ErrorContains(t, err, "medchaind q issuers issuer "+tc.operator())
		})
	}
}

// Without a staking keeper (unit tests only) the hook still admits active
// hospitals and rejects everyone else.
func TestAfterValidatorCreatedWithoutStakingKeeper(t *testing.T) {
	f := newPopulatedFixture(t)
	k := withoutStaking(t, f)
	hooks := k.StakingHooks()

	require.NoError(t, hooks.AfterValidatorCreated(f.ctx, sdk.ValAddress(f.mustAddr(t, f.hospital))))
	err := hooks.AfterValidatorCreated(f.ctx, sdk.ValAddress(f.mustAddr(t, f.suspendedHospital)))
	require.ErrorIs(t, err, types.ErrNotHospital)
}

// The other hooks accept everything.
func TestOtherStakingHooksAreNoOps(t *testing.T) {
	f := newPopulatedFixture(t)
	hooks := f.keeper.StakingHooks()
	val := sdk.ValAddress(f.mustAddr(t, f.stranger))
	acc := f.mustAddr(t, f.stranger)
	cons := sdk.ConsAddress(acc)

	require.NoError(t, hooks.BeforeValidatorModified(f.ctx, val))
	require.NoError(t, hooks.AfterValidatorRemoved(f.ctx, cons, val))
	require.NoError(t, hooks.AfterValidatorBonded(f.ctx, cons, val))
	require.NoError(t, hooks.AfterValidatorBeginUnbonding(f.ctx, cons, val))
	require.NoError(t, hooks.BeforeDelegationCreated(f.ctx, acc, val))
	require.NoError(t, hooks.BeforeDelegationSharesModified(f.ctx, acc, val))
	require.NoError(t, hooks.BeforeDelegationRemoved(f.ctx, acc, val))
	require.NoError(t, hooks.AfterDelegationModified(f.ctx, acc, val))
	require.NoError(t, hooks.BeforeValidatorSlashed(f.ctx, val, sdkmath.LegacyNewDecWithPrec(5, 2)))
	require.NoError(t, hooks.AfterUnbondingInitiated(f.ctx, 1))
}

func ptr[T any](v T) *T { return &v }
