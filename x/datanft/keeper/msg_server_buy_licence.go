package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft/types"
)

// BuyLicence pays a data-NFT's licence price into the module's escrow and
// opens a pending licence. The record owner's client fulfils it by making
// the READ grant (FulfilLicence); if it does not by the end of block
// refund_height - 1, EndBlock of refund_height refunds the buyer.
func (k msgServer) BuyLicence(ctx context.Context, msg *types.MsgBuyLicence) (*types.MsgBuyLicenceResponse, error) {
	buyer, err := k.decode("buyer", msg.Buyer)
	if err != nil {
		return nil, err
	}
	n, err := k.dataNFT(ctx, msg.ClassId, msg.NftId)
	if err != nil {
		return nil, err
	}
	record, err := k.activeRecordOf(ctx, n)
	if err != nil {
		return nil, err
	}
	if sameAddr(k.addressCodec, record.Owner, buyer) {
		return nil, errorsmod.Wrapf(types.ErrOwnPurchase, "you own record %d; owners always have access to their records", record.Id)
	}
	what := "a licence for " + n.ClassId + "/" + n.Id
	if err := samePrice(msg.Price, n.LicencePrice, what); err != nil {
		return nil, err
	}
	if _, has, err := k.access.CurrentKey(ctx, buyer); err != nil {
		return nil, err
	} else if !has {
		return nil, errorsmod.Wrapf(types.ErrNoEncryptionKey,
			"%s has no encryption key, so the record key could not be sealed to it; run `medchaind tx access register-key` first", msg.Buyer)
	}
	if pending, err := k.PendingByBuyer.Has(ctx, collections.Join3(buyer, n.ClassId, n.Id)); err != nil {
		return nil, err
	} else if pending {
		return nil, errorsmod.Wrapf(types.ErrLicenceExists, "%s already has a pending licence for %s/%s", msg.Buyer, n.ClassId, n.Id)
	}
	if live, err := k.access.LiveRecordGrant(ctx, record.Id, buyer, accesstypes.PermissionRead); err != nil {
		return nil, err
	} else if live {
		return nil, errorsmod.Wrapf(types.ErrLicenceExists,
			"%s already holds a READ grant on record %d; buy another licence when it ends", msg.Buyer, record.Id)
	}
	if err := k.checkFunds(ctx, buyer, n.LicencePrice, what); err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	payee := k.nft.GetOwner(ctx, n.ClassId, n.Id)
	if payee == nil {
		return nil, errorsmod.Wrapf(types.ErrNotFound, "x/nft has no owner for %s/%s", n.ClassId, n.Id)
	}

	// Everything is checked: escrow and record.
	if !n.LicencePrice.IsZero() {
		if err := k.bank.SendCoinsFromAccountToModule(ctx, buyer, types.ModuleName, sdk.NewCoins(n.LicencePrice)); err != nil {
			return nil, err
		}
	}
	id, err := k.NextLicenceID.Next(ctx)
	if err != nil {
		return nil, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	l := types.Licence{
		Id: id, ClassId: n.ClassId, NftId: n.Id, RecordId: record.Id,
		Buyer: k.str(buyer), Payee: k.str(payee), RecordOwner: record.Owner,
		Price: n.LicencePrice, Duration: n.LicenceDuration,
		Status:          types.LicenceStatusPending,
		RequestedHeight: height, RefundHeight: height + params.LicenceTimeoutBlocks,
		Producer: n.Producer, RoyaltyBps: n.RoyaltyBps,
	}
	if err := k.setLicence(ctx, l); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventLicenceRequested{Licence: l}); err != nil {
		return nil, err
	}
	return &types.MsgBuyLicenceResponse{LicenceId: id, RefundHeight: l.RefundHeight}, nil
}
