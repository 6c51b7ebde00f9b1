package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// StakingKeeper is the part of x/staking the issuers module needs to keep
// validators to ACTIVE hospitals. *stakingkeeper.Keeper satisfies it.
type StakingKeeper interface {
	// GetValidator returns the validator operated by addr, or
	// stakingtypes.ErrNoValidatorFound.
	GetValidator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error)

	// Jail removes the validator with this consensus address from the
	// active set, as slashing does for downtime. Its operator can send
	// MsgUnjail later.
	Jail(ctx context.Context, consAddr sdk.ConsAddress) error

	// ValidatorAddressCodec writes operator addresses (medvaloper1...) in
	// error messages and events.
	ValidatorAddressCodec() address.Codec
}
