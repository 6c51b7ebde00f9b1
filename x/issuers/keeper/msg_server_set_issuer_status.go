package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// SetIssuerStatus suspends, reinstates or revokes an issuer. Only the
// authority may call it, normally through a governance proposal.
//
// The organisation's practitioners follow its status without being
// rewritten (their status is derived on read). Suspending or revoking a
// HOSPITAL also jails its validator in the same transaction; reinstating does
// not unjail it, the hospital sends MsgUnjail itself.
func (k msgServer) SetIssuerStatus(ctx context.Context, msg *types.MsgSetIssuerStatus) (*types.MsgSetIssuerStatusResponse, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	addr, err := k.decodeAddress("address", msg.Address)
	if err != nil {
		return nil, err
	}
	if !msg.Status.IsValid() {
		return nil, errorsmod.Wrapf(types.ErrInvalidStatus, "status %s; use one of: %s", msg.Status, types.ValidIssuerStatuses())
	}
	if err := types.ValidateReason(msg.Reason); err != nil {
		return nil, err
	}

	issuer, found, err := k.GetIssuer(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrIssuerNotFound, "%s is not a registered issuer; register it first with register-issuer", msg.Address)
	}
	old := issuer.Status
	switch {
	case old == msg.Status:
		return nil, errorsmod.Wrapf(types.ErrInvalidStatusTransition, "issuer %s is already %s", issuer.Address, old.Label())
	case old == types.IssuerStatusRevoked:
		return nil, errorsmod.Wrapf(types.ErrInvalidStatusTransition,
			"issuer %s is REVOKED, which is final: a revoked issuer cannot be reinstated or suspended; the organisation must be registered under a new account",
			issuer.Address)
	}

	issuer.Status = msg.Status
	issuer.UpdatedAt = sdk.UnwrapSDKContext(ctx).BlockTime()
	if err := k.Issuers.Set(ctx, addr, issuer); err != nil {
		return nil, errorsmod.Wrap(err, "storing issuer")
	}
	if err := emit(ctx, &types.EventIssuerStatusChanged{
		Address:   issuer.Address,
		Kind:      issuer.Kind,
		OldStatus: old,
		NewStatus: issuer.Status,
		Reason:    msg.Reason,
	}); err != nil {
		return nil, err
	}

	if issuer.Kind == types.IssuerKindHospital && issuer.Status != types.IssuerStatusActive {
		if err := k.jailHospitalValidator(ctx, addr, issuer); err != nil {
			return nil, err
		}
	}
	return &types.MsgSetIssuerStatusResponse{}, nil
}
