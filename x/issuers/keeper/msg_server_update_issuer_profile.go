package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// UpdateIssuerProfile changes the signing organisation's name and/or
// website. An empty field keeps its current value. Kind and status belong to
// governance and cannot be changed here.
func (k msgServer) UpdateIssuerProfile(ctx context.Context, msg *types.MsgUpdateIssuerProfile) (*types.MsgUpdateIssuerProfileResponse, error) {
	addr, issuer, err := k.activeOrganisation(ctx, "issuer", msg.Issuer)
	if err != nil {
		return nil, err
	}
	if msg.Name == "" && msg.Website == "" {
		return nil, errorsmod.Wrap(types.ErrEmptyProfileUpdate, "give a new name (--name) and/or a new website (--website)")
	}

	if msg.Name != "" {
		params, err := k.Params.Get(ctx)
		if err != nil {
			return nil, errorsmod.Wrap(err, "reading issuers params")
		}
		if err := types.ValidateName(msg.Name, params.MaxNameLength); err != nil {
			return nil, err
		}
		issuer.Name = msg.Name
	}
	if msg.Website != "" {
		if err := types.ValidateWebsite(msg.Website); err != nil {
			return nil, err
		}
		issuer.Website = msg.Website
	}
	issuer.UpdatedAt = sdk.UnwrapSDKContext(ctx).BlockTime()

	if err := k.Issuers.Set(ctx, addr, issuer); err != nil {
		return nil, errorsmod.Wrap(err, "storing issuer")
	}
	if err := emit(ctx, &types.EventIssuerProfileUpdated{
		Address: issuer.Address,
		Name:    issuer.Name,
		Website: issuer.Website,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateIssuerProfileResponse{}, nil
}
