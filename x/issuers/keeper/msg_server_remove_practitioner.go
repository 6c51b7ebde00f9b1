package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/issuers/types"
)

// RemovePractitioner removes one of the signing organisation's
// practitioners. The organisation must be ACTIVE; it cannot remove another
// organisation's members.
func (k msgServer) RemovePractitioner(ctx context.Context, msg *types.MsgRemovePractitioner) (*types.MsgRemovePractitionerResponse, error) {
	orgAddr, org, err := k.activeOrganisation(ctx, "organisation", msg.Organisation)
	if err != nil {
		return nil, err
	}
	addr, err := k.decodeAddress("practitioner", msg.Practitioner)
	if err != nil {
		return nil, err
	}

	p, found, err := k.getStoredPractitioner(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrPractitionerNotFound,
			"%s is not a practitioner of any organisation; list yours with: medchaind q issuers practitioners %s", msg.Practitioner, org.Address)
	}
	if p.Organisation != org.Address {
		return nil, errorsmod.Wrapf(types.ErrNotMember,
			"%s is a practitioner of %s, not of %s; only its own organisation may remove it", p.Address, p.Organisation, org.Address)
	}

	members, err := k.memberCount(ctx, orgAddr)
	if err != nil {
		return nil, err
	}
	if members == 0 {
		return nil, errorsmod.Wrapf(types.ErrNotMember, "organisation %s has no recorded practitioners; its member count is corrupt", org.Address)
	}

	if err := k.Practitioners.Remove(ctx, addr); err != nil {
		return nil, errorsmod.Wrap(err, "removing practitioner")
	}
	if members == 1 {
		err = k.MemberCount.Remove(ctx, orgAddr)
	} else {
		err = k.MemberCount.Set(ctx, orgAddr, members-1)
	}
	if err != nil {
		return nil, errorsmod.Wrap(err, "storing member count")
	}
	if err := emit(ctx, &types.EventPractitionerRemoved{
		Organisation: p.Organisation,
		Practitioner: p.Address,
		Role:         p.Role,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRemovePractitionerResponse{}, nil
}
