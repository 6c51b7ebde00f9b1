package keeper

import (
	"context"

	"github.com/cosmos/gogoproto/proto"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the records Msg service backed by keeper. Each
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

// getRecord loads a record or fails with ErrRecordNotFound.
func (k Keeper) getRecord(ctx context.Context, id uint64) (types.Record, error) {
	record, found, err := k.GetRecord(ctx, id)
	if err != nil {
		return types.Record{}, err
	}
	if !found {
		return types.Record{}, errorsmod.Wrapf(types.ErrRecordNotFound, "no record with id %d", id)
	}
	return record, nil
}

// ownedRecord loads record id for its owner's message: signer (the
// message's field named field) must be well formed and the record's owner,
// else ErrNotOwner says that only the owner may do what.
func (k Keeper) ownedRecord(ctx context.Context, field, signer string, id uint64, what string) (types.Record, error) {
	signerAddr, err := k.decodeAddress(field, signer)
	if err != nil {
		return types.Record{}, err
	}
	record, err := k.getRecord(ctx, id)
	if err != nil {
		return types.Record{}, err
	}
	owner, err := k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return types.Record{}, err
	}
	if !sdk.AccAddress(owner).Equals(signerAddr) {
		return types.Record{}, errorsmod.Wrapf(types.ErrNotOwner, "record %d belongs to %s; only its owner may %s", record.Id, record.Owner, what)
	}
	return record, nil
}

// emit emits a typed event on the SDK context behind ctx.
func emit(ctx context.Context, event proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(event); err != nil {
		return errorsmod.Wrapf(err, "emitting %T", event)
	}
	return nil
}
