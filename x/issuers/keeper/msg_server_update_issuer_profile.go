package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// UpdateIssuerProfile changes the signing organisation's name, website
// and/or vault URL ("none" withdraws the vault). An empty field keeps its
// current value. Kind and status belong to
// governance and cannot be changed here.
func (k msgServer) UpdateIssuerProfile(ctx context.Context, msg *types.MsgUpdateIssuerProfile) (*types.MsgUpdateIssuerProfileResponse, error) {
	addr, issuer, err := k.activeOrganisation(ctx, "issuer", msg.Issuer)
	if err != nil {
		return nil, err
	}
	if msg.Name == "" && msg.Website == "" && msg.VaultUrl == "" {
		return nil, errorsmod.Wrap(types.ErrEmptyProfileUpdate,
			"give a new name (--name), website (--website) and/or vault URL (--vault-url, \"none\" to withdraw it)")
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
	switch msg.VaultUrl {
	case "":
	case types.VaultURLNone:
		issuer.VaultUrl = ""
	default:
		if err := types.ValidateVaultURL(msg.VaultUrl); err != nil {
			return nil, err
		}
		issuer.VaultUrl = msg.VaultUrl
	}
	issuer.UpdatedAt = sdk.UnwrapSDKContext(ctx).BlockTime()

	if err := k.Issuers.Set(ctx, addr, issuer); err != nil {
		return nil, errorsmod.Wrap(err, "storing issuer")
	}
	if err := emit(ctx, &types.EventIssuerProfileUpdated{
		Address:  issuer.Address,
		Name:     issuer.Name,
		Website:  issuer.Website,
		VaultUrl: issuer.VaultUrl,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateIssuerProfileResponse{}, nil
}
