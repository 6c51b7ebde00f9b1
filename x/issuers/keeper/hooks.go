package keeper

import (
	"context"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// Hooks are the issuers module's staking hooks. Only AfterValidatorCreated
// does anything: it keeps validators to ACTIVE hospitals.
type Hooks struct {
	k Keeper
}

var _ stakingtypes.StakingHooks = Hooks{}

// StakingHooks returns the hooks the app registers with the staking keeper
// (stakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(...,
// issuersKeeper.StakingHooks()))).
func (k Keeper) StakingHooks() stakingtypes.StakingHooks {
	return Hooks{k: k}
}

// AfterValidatorCreated rejects a validator unless its operator (the same
// bytes as an account address) is an ACTIVE HOSPITAL issuer. The staking msg
// server calls it for every MsgCreateValidator, however it arrives (a plain
// tx, authz MsgExec, a gov proposal, a gentx delivered by genutil), and the
// error aborts the message, so this is the one place the rule is enforced.
//
// One exception: staking's InitGenesis also calls this hook for each
// validator listed in a genesis file that is not marked as exported
// (`medchaind export` marks its output, so a plain export/import does not
// reach the hook; a genesis assembled from a running chain's state by other
// tools may). Such a file can hold the validator of a hospital that was
// suspended or revoked and that this module jailed; refusing it would make
// the chain impossible to restart. A jailed validator whose operator is a
// HOSPITAL (of any status) is therefore accepted. This opens no hole: a
// validator created by MsgCreateValidator is never jailed when this hook
// runs, and the validator of a non-ACTIVE hospital cannot stay unjailed past
// the end of a block, because the EndBlocker jails it again.
func (h Hooks) AfterValidatorCreated(ctx context.Context, valAddr sdk.ValAddress) error {
	operator := sdk.AccAddress(valAddr)
	issuer, found, err := h.k.GetIssuer(ctx, operator)
	if err != nil {
		return err
	}
	if found && issuer.Kind == types.IssuerKindHospital && issuer.Status == types.IssuerStatusActive {
		return nil
	}
	if found && issuer.Kind == types.IssuerKindHospital && h.k.stakingKeeper != nil {
		validator, err := h.k.stakingKeeper.GetValidator(ctx, valAddr)
		if err != nil && !errors.Is(err, stakingtypes.ErrNoValidatorFound) {
			return fmt.Errorf("reading validator %s: %w", h.k.validatorString(valAddr), err)
		}
		if err == nil && validator.IsJailed() {
			return nil
		}
	}

	var what string
	switch {
	case found && issuer.Kind != types.IssuerKindHospital:
		what = fmt.Sprintf("it is a %s", issuer.Kind.Label())
	case found:
		what = fmt.Sprintf("it is a %s HOSPITAL", issuer.Status.Label())
	default:
		p, isPractitioner, err := h.k.getStoredPractitioner(ctx, operator)
		if err != nil {
			return err
		}
		if isPractitioner {
			what = fmt.Sprintf("it is a practitioner of %s, not an organisation", p.Organisation)
		} else {
			what = "it is not a registered issuer"
		}
	}
	operatorStr, err := h.k.addressCodec.BytesToString(operator)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "validator operator: %s", err)
	}
	return errorsmod.Wrapf(types.ErrNotHospital,
		"validator operator %s (%s) is not an active hospital issuer (%s): only hospitals admitted by governance may validate; see `medchaind q issuers issuer %s`",
		operatorStr, h.k.validatorString(valAddr), what, operatorStr)
}

// validatorString writes an operator address as medvaloper1..., or as hex
// when the keeper has no staking keeper to take the codec from.
func (k Keeper) validatorString(valAddr sdk.ValAddress) string {
	if k.stakingKeeper != nil {
		if s, err := k.stakingKeeper.ValidatorAddressCodec().BytesToString(valAddr); err == nil {
			return s
		}
	}
	return fmt.Sprintf("%X", []byte(valAddr))
}

// The remaining hooks have nothing to check.

// BeforeValidatorModified implements stakingtypes.StakingHooks.
func (Hooks) BeforeValidatorModified(context.Context, sdk.ValAddress) error { return nil }

// AfterValidatorRemoved implements stakingtypes.StakingHooks.
func (Hooks) AfterValidatorRemoved(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

// AfterValidatorBonded implements stakingtypes.StakingHooks.
func (Hooks) AfterValidatorBonded(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

// AfterValidatorBeginUnbonding implements stakingtypes.StakingHooks.
func (Hooks) AfterValidatorBeginUnbonding(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

// BeforeDelegationCreated implements stakingtypes.StakingHooks.
func (Hooks) BeforeDelegationCreated(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

// BeforeDelegationSharesModified implements stakingtypes.StakingHooks.
func (Hooks) BeforeDelegationSharesModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

// BeforeDelegationRemoved implements stakingtypes.StakingHooks.
func (Hooks) BeforeDelegationRemoved(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

// AfterDelegationModified implements stakingtypes.StakingHooks.
func (Hooks) AfterDelegationModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

// BeforeValidatorSlashed implements stakingtypes.StakingHooks.
func (Hooks) BeforeValidatorSlashed(context.Context, sdk.ValAddress, sdkmath.LegacyDec) error {
	return nil
}

// AfterUnbondingInitiated implements stakingtypes.StakingHooks.
func (Hooks) AfterUnbondingInitiated(context.Context, uint64) error { return nil }
