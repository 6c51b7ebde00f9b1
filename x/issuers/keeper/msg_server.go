package keeper

import (
	"context"

	"github.com/cosmos/gogoproto/proto"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the issuers Msg service backed by keeper. Each
// handler lives in its own msg_server_<name>.go file.
func NewMsgServerImpl(keeper Keeper) types.MsgServer {
	return msgServer{Keeper: keeper}
}

// checkAuthority fails unless signer is a well-formed address equal to the
// module authority.
func (k Keeper) checkAuthority(signer string) error {
	if _, err := k.addressCodec.StringToBytes(signer); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "malformed authority address %q: %s", signer, err)
	}
	if signer != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s; this message must be submitted as a governance proposal", k.authority, signer)
	}
	return nil
}

// decodeAddress reads a bech32 account address from the message field
// named field.
func (k Keeper) decodeAddress(field, addr string) (sdk.AccAddress, error) {
	if addr == "" {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s is empty", field)
	}
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s %q: %s", field, addr, err)
	}
	return bz, nil
}

// activeOrganisation checks that signer is a registered, ACTIVE issuer and
// returns it: the messages an organisation signs for itself are only
// accepted while governance lets it act.
func (k Keeper) activeOrganisation(ctx context.Context, field, signer string) (sdk.AccAddress, types.Issuer, error) {
	addr, err := k.decodeAddress(field, signer)
	if err != nil {
		return nil, types.Issuer{}, err
	}
	org, found, err := k.GetIssuer(ctx, addr)
	if err != nil {
		return nil, types.Issuer{}, err
	}
	if !found {
		p, isPractitioner, err := k.getStoredPractitioner(ctx, addr)
		if err != nil {
			return nil, types.Issuer{}, err
		}
		if isPractitioner {
			return nil, types.Issuer{}, errorsmod.Wrapf(types.ErrNotOrganisation,
				"%s is a practitioner of %s, not an organisation; sign with the organisation's own account", signer, p.Organisation)
		}
		return nil, types.Issuer{}, errorsmod.Wrapf(types.ErrNotOrganisation,
			"%s is not a registered issuer; organisations are admitted by governance (medchaind tx issuers register-issuer)", signer)
	}
	if org.Status != types.IssuerStatusActive {
		return nil, types.Issuer{}, errorsmod.Wrapf(types.ErrOrganisationNotActive,
			"organisation %s is %s; only an ACTIVE organisation may do this", signer, org.Status.Label())
	}
	return addr, org, nil
}

// emit emits a typed event on the SDK context behind ctx.
func emit(ctx context.Context, event proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(event); err != nil {
		return errorsmod.Wrapf(err, "emitting %T", event)
	}
	return nil
}
