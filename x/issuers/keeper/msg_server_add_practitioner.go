package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// AddPractitioner makes an account a practitioner of the signing
// organisation, which must be ACTIVE. An account belongs to at most one
// organisation and an issuer cannot be a practitioner.
func (k msgServer) AddPractitioner(ctx context.Context, msg *types.MsgAddPractitioner) (*types.MsgAddPractitionerResponse, error) {
	orgAddr, org, err := k.activeOrganisation(ctx, "organisation", msg.Organisation)
	if err != nil {
		return nil, err
	}
	addr, err := k.decodeAddress("practitioner", msg.Practitioner)
	if err != nil {
		return nil, err
	}
	if !msg.Role.IsValid() {
		return nil, errorsmod.Wrapf(types.ErrInvalidRole, "role %s; use one of: %s", msg.Role, types.ValidPractitionerRoles())
	}

	_, isIssuer, err := k.GetIssuer(ctx, addr)
	if err != nil {
		return nil, err
	}
	if isIssuer {
		return nil, errorsmod.Wrapf(types.ErrIsIssuer,
			"%s is a registered issuer; an organisation cannot be a practitioner, give the person an account of their own", msg.Practitioner)
	}
	existing, isPractitioner, err := k.getStoredPractitioner(ctx, addr)
	if err != nil {
		return nil, err
	}
	if isPractitioner {
		if existing.Organisation == org.Address {
			return nil, errorsmod.Wrapf(types.ErrAlreadyPractitioner,
				"%s is already a %s of this organisation", existing.Address, existing.Role.Label())
		}
		return nil, errorsmod.Wrapf(types.ErrAlreadyPractitioner,
			"%s is a practitioner of another organisation (%s); it must remove them before they can join", existing.Address, existing.Organisation)
	}

	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, errorsmod.Wrap(err, "reading issuers params")
	}
	members, err := k.memberCount(ctx, orgAddr)
	if err != nil {
		return nil, err
	}
	if members >= uint64(params.MaxPractitionersPerOrganisation) {
		return nil, errorsmod.Wrapf(types.ErrTooManyPractitioners,
			"organisation %s has %d practitioners, the limit (params max_practitioners_per_organisation); remove one first",
			org.Address, members)
	}

	canonical, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "practitioner %q: %s", msg.Practitioner, err)
	}
	p := types.Practitioner{
		Address:      canonical,
		Organisation: org.Address,
		Role:         msg.Role,
		AddedAt:      sdk.UnwrapSDKContext(ctx).BlockTime(),
	}
	if err := k.Practitioners.Set(ctx, addr, p); err != nil {
		return nil, errorsmod.Wrap(err, "storing practitioner")
	}
	if err := k.MemberCount.Set(ctx, orgAddr, members+1); err != nil {
		return nil, errorsmod.Wrap(err, "storing member count")
	}
	if err := emit(ctx, &types.EventPractitionerAdded{
		Organisation: p.Organisation,
		Practitioner: p.Address,
		Role:         p.Role,
	}); err != nil {
		return nil, err
	}
	return &types.MsgAddPractitionerResponse{}, nil
}
