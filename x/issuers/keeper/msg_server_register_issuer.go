package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// RegisterIssuer admits an organisation as an ACTIVE issuer. Only the
// authority may call it, normally through a governance proposal.
func (k msgServer) RegisterIssuer(ctx context.Context, msg *types.MsgRegisterIssuer) (*types.MsgRegisterIssuerResponse, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	addr, err := k.decodeAddress("address", msg.Address)
	if err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, errorsmod.Wrap(err, "reading issuers params")
	}

	canonical, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "address %q: %s", msg.Address, err)
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	issuer := types.Issuer{
		Address:      canonical,
		Name:         msg.Name,
		Kind:         msg.Kind,
		Status:       types.IssuerStatusActive,
		Jurisdiction: msg.Jurisdiction,
		LicenseId:    msg.LicenseId,
		Website:      msg.Website,
		AddedAt:      now,
		UpdatedAt:    now,
	}
	if err := types.ValidateIssuer(issuer, params); err != nil {
		return nil, err
	}

	existing, found, err := k.GetIssuer(ctx, addr)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, errorsmod.Wrapf(types.ErrIssuerExists,
			"%s is already registered as %q (%s, %s); use set-issuer-status to change its status",
			canonical, existing.Name, existing.Kind.Label(), existing.Status.Label())
	}
	p, isPractitioner, err := k.getStoredPractitioner(ctx, addr)
	if err != nil {
		return nil, err
	}
	if isPractitioner {
		return nil, errorsmod.Wrapf(types.ErrIsPractitioner,
			"%s is a practitioner of %s; an organisation needs an account of its own (or the organisation removes the practitioner first)",
			canonical, p.Organisation)
	}

	if err := k.Issuers.Set(ctx, addr, issuer); err != nil {
		return nil, errorsmod.Wrap(err, "storing issuer")
	}
	if err := emit(ctx, &types.EventIssuerRegistered{
		Address:      issuer.Address,
		Name:         issuer.Name,
		Kind:         issuer.Kind,
		Jurisdiction: issuer.Jurisdiction,
		LicenseId:    issuer.LicenseId,
		Website:      issuer.Website,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterIssuerResponse{}, nil
}
