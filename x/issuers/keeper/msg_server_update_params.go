package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// UpdateParams replaces the module parameters. Only the authority may call
// it, normally through a governance proposal.
//
// New limits must admit the state that already exists (every issuer's name,
// every organisation's member count): otherwise an exported genesis would
// fail its own validation and the chain could not be restarted from it.
func (k msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := k.checkParamsAdmitState(ctx, msg.Params); err != nil {
		return nil, err
	}

	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, errorsmod.Wrap(err, "storing issuers params")
	}
	if err := emit(ctx, &types.EventParamsUpdated{
		Authority: msg.Authority,
		Params:    msg.Params,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// checkParamsAdmitState fails when existing names or member counts exceed
// the new limits. It reads every issuer and member count once, which is
// bounded by the number of organisations governance has admitted.
func (k Keeper) checkParamsAdmitState(ctx context.Context, params types.Params) error {
	err := k.Issuers.Walk(ctx, nil, func(_ sdk.AccAddress, issuer types.Issuer) (bool, error) {
		if uint64(len(issuer.Name)) > uint64(params.MaxNameLength) {
			return true, errorsmod.Wrapf(types.ErrInvalidParams,
				"max_name_length %d is shorter than the name of issuer %s (%d bytes); raise the limit or have the issuer shorten its name first",
				params.MaxNameLength, issuer.Address, len(issuer.Name))
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	return k.MemberCount.Walk(ctx, nil, func(org sdk.AccAddress, members uint64) (bool, error) {
		if members > uint64(params.MaxPractitionersPerOrganisation) {
			orgStr, _ := k.addressCodec.BytesToString(org)
			return true, errorsmod.Wrapf(types.ErrInvalidParams,
				"max_practitioners_per_organisation %d is below the %d practitioners of organisation %s; raise the limit or have it remove practitioners first",
				params.MaxPractitionersPerOrganisation, members, orgStr)
		}
		return false, nil
	})
}
