package keeper

import (
	"context"
	"errors"

	"github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

var (
	_ types.MsgServer   = msgServer{}
	_ types.QueryServer = Querier{}
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the datanft Msg service. Each handler checks
// everything before it writes anything, so a refused message changes
// nothing even outside a transaction.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

// emit emits a typed event.
func emit(ctx context.Context, event proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(event); err != nil {
		return errorsmod.Wrapf(err, "emitting %T", event)
	}
	return nil
}

// decode parses a signer or account field.
func (k Keeper) decode(field, addr string) (sdk.AccAddress, error) {
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil || len(bz) == 0 {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return bz, nil
}

// str formats an address.
func (k Keeper) str(addr sdk.AccAddress) string {
	s, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		return addr.String()
	}
	return s
}

// dataNFT loads a data-NFT that must exist.
func (k Keeper) dataNFT(ctx context.Context, classID, nftID string) (types.DataNFT, error) {
	n, err := k.NFTs.Get(ctx, collections.Join(classID, nftID))
	if errors.Is(err, collections.ErrNotFound) {
		return n, errorsmod.Wrapf(types.ErrNotFound, "there is no data-NFT %s/%s", classID, nftID)
	}
	return n, err
}

// activeRecordOf loads the record behind a data-NFT, which must still be
// ACTIVE: once its owner redacts it nothing more is sold.
func (k Keeper) activeRecordOf(ctx context.Context, n types.DataNFT) (recordstypes.Record, error) {
	r, found, err := k.records.GetRecord(ctx, n.RecordId)
	if err != nil {
		return r, err
	}
	if !found || r.Status != recordstypes.RecordStatusActive {
		return r, errorsmod.Wrapf(types.ErrRecordWithdrawn,
			"the owner of record %d behind %s/%s redacted it; it is no longer sold or licensed", n.RecordId, n.ClassId, n.Id)
	}
	return r, nil
}

// pay sends amt from one account to another, skipping zero amounts.
func (k Keeper) pay(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coin) error {
	if amt.IsZero() {
		return nil
	}
	return k.bank.SendCoins(ctx, from, to, sdk.NewCoins(amt))
}

// payOut sends amt from the escrow to an account, skipping zero amounts.
func (k Keeper) payOut(ctx context.Context, to sdk.AccAddress, amt sdk.Coin) error {
	if amt.IsZero() {
		return nil
	}
	return k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(amt))
}

// checkFunds gives a clear error when payer cannot pay amt.
func (k Keeper) checkFunds(ctx context.Context, payer sdk.AccAddress, amt sdk.Coin, what string) error {
	if amt.IsZero() {
		return nil
	}
	have := k.bank.SpendableCoins(ctx, payer).AmountOf(amt.Denom)
	if have.LT(amt.Amount) {
		return errorsmod.Wrapf(types.ErrInsufficientFunds, "%s costs %s and %s has %s%s spendable", what, amt, k.str(payer), have, amt.Denom)
	}
	return nil
}

// samePrice fails unless the buyer's price is exactly the asking price.
func samePrice(offered, asked sdk.Coin, what string) error {
	if offered.Amount.IsNil() || offered.Denom != asked.Denom || !offered.Amount.Equal(asked.Amount) {
		return errorsmod.Wrapf(types.ErrPriceMismatch, "%s costs %s, not %s; check the current price and send it again", what, asked, offered)
	}
	return nil
}

// sameAddr says whether the address string s is a.
func sameAddr(ac address.Codec, s string, a sdk.AccAddress) bool {
	bz, err := ac.StringToBytes(s)
	return err == nil && a.Equals(sdk.AccAddress(bz))
}
