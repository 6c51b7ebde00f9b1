package keeper

import (
	errorsmod "cosmossdk.io/errors"

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
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, signer)
	}
	return nil
}
