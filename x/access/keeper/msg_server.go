package keeper

import (
	"context"

	"github.com/cosmos/gogoproto/proto"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the access Msg service backed by keeper. Each
// handler lives in its own msg_server_<name>.go file. Every handler checks
// everything before it writes anything, so a rejected message changes
// nothing even outside a transaction.
func NewMsgServerImpl(keeper Keeper) types.MsgServer {
	return msgServer{Keeper: keeper}
}

// checkAuthority fails unless signer is the module authority.
func (k Keeper) checkAuthority(signer string) error {
	if _, err := k.addressCodec.StringToBytes(signer); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "malformed authority address %q: %s", signer, err)
	}
	if signer != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s; this message must be submitted as a governance proposal", k.authority, signer)
	}
	return nil
}

// emit emits a typed event.
func emit(ctx context.Context, event proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(event); err != nil {
		return errorsmod.Wrapf(err, "emitting %T", event)
	}
	return nil
}

// GrantService is the access keeper with its Msg service: what x/datanft
// needs to fulfil a licence with an ordinary, fully checked grant.
type GrantService struct {
	types.MsgServer
	Keeper
}

// NewGrantService returns keeper's GrantService.
func NewGrantService(keeper Keeper) GrantService {
	return GrantService{MsgServer: NewMsgServerImpl(keeper), Keeper: keeper}
}
