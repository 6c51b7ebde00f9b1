package keeper

import (
	"context"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// Only ACTIVE hospitals validate. Two mechanisms keep it so:
//
//   - StakingHooks().AfterValidatorCreated rejects a new validator whose
//     operator is not an ACTIVE HOSPITAL. Every validator is created by the
//     staking msg server (directly, through authz MsgExec or a gov proposal,
//     which all dispatch to the same handler) or by genutil delivering a
//     gentx through that same handler, and the hook runs inside it, so
//     wrapping the message does not get around it.
//   - A HOSPITAL that is SUSPENDED or REVOKED has its validator jailed with
//     the staking keeper's Jail, the same call x/slashing makes for downtime:
//     staking's EndBlocker then drops it from the CometBFT validator set.
//     SetIssuerStatus jails at once, and this module's EndBlocker jails again
//     any validator of a non-ACTIVE hospital that was unjailed (MsgUnjail),
//     before staking's EndBlocker applies the validator set changes.
//
// A reinstated hospital is not unjailed automatically; it sends
// `medchaind tx slashing unjail` when it is ready to validate again.

// jailHospitalValidator jails the validator operated by a non-ACTIVE
// hospital at addr, if it has one that is not jailed yet.
func (k Keeper) jailHospitalValidator(ctx context.Context, addr sdk.AccAddress, hospital types.Issuer) error {
	if k.stakingKeeper == nil {
		return nil
	}
	valAddr := sdk.ValAddress(addr)
	validator, err := k.stakingKeeper.GetValidator(ctx, valAddr)
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the validator of hospital %s: %w", hospital.Address, err)
	}
	if validator.IsJailed() {
		return nil
	}

	consAddr, err := validator.GetConsAddr()
	if err != nil {
		return fmt.Errorf("consensus address of validator %s: %w", validator.GetOperator(), err)
	}
	if err := k.stakingKeeper.Jail(ctx, consAddr); err != nil {
		return errorsmod.Wrapf(err, "jailing validator %s of %s hospital %s", validator.GetOperator(), hospital.Status.Label(), hospital.Address)
	}
	sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName).Info(
		"jailed the validator of a hospital that is not active",
		"hospital", hospital.Address, "status", hospital.Status.Label(), "validator", validator.GetOperator())

	return emit(ctx, &types.EventHospitalValidatorJailed{
		Organisation: hospital.Address,
		Validator:    validator.GetOperator(),
		Status:       hospital.Status,
	})
}

// EndBlocker jails the validator of every SUSPENDED or REVOKED hospital that
// is not jailed, so that MsgUnjail cannot bring a barred hospital back into
// the validator set. It reads the (status, kind) index, so its work is
// bounded by the number of non-ACTIVE hospitals, not by all issuers.
//
// It must run before staking's EndBlocker, which turns jailing into a
// validator set update for CometBFT.
func (k Keeper) EndBlocker(ctx context.Context) error {
	if k.stakingKeeper == nil {
		return nil
	}
	for _, status := range []types.IssuerStatus{types.IssuerStatusSuspended, types.IssuerStatusRevoked} {
		iter, err := k.Issuers.Indexes.Status.MatchExact(ctx, statusKindKey(status, types.IssuerKindHospital))
		if err != nil {
			return fmt.Errorf("listing %s hospitals: %w", status.Label(), err)
		}
		hospitals, err := iter.PrimaryKeys() // closes the iterator
		if err != nil {
			return fmt.Errorf("listing %s hospitals: %w", status.Label(), err)
		}
		for _, addr := range hospitals {
			hospital, err := k.Issuers.Get(ctx, addr)
			if err != nil {
				return fmt.Errorf("reading hospital %s: %w", addr, err)
			}
			if err := k.jailHospitalValidator(ctx, addr, hospital); err != nil {
				return err
			}
		}
	}
	return nil
}
