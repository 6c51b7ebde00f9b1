package keeper

import (
	"context"
	"errors"
	"math"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
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

// setLicence stores a licence and, while it is pending, its places in the
// owner's to-do list, the buyer's pending set and the refund queue.
func (k Keeper) setLicence(ctx context.Context, l types.Licence) error {
	if err := k.Licences.Set(ctx, l.Id, l); err != nil {
		return err
	}
	if l.Status != types.LicenceStatusPending {
		return nil
	}
	owner, buyer, err := k.parties(l)
	if err != nil {
		return err
	}
	if err := k.PendingByOwner.Set(ctx, collections.Join(owner, l.Id), l.RefundHeight); err != nil {
		return err
	}
	if err := k.PendingByBuyer.Set(ctx, collections.Join3(buyer, l.ClassId, l.NftId)); err != nil {
		return err
	}
	return k.RefundQueue.Set(ctx, collections.Join(l.RefundHeight, l.Id))
}

// parties returns a licence's record owner and buyer, which key its
// pending sets.
func (k Keeper) parties(l types.Licence) (owner, buyer sdk.AccAddress, err error) {
	if owner, err = k.decode("record_owner", l.RecordOwner); err != nil {
		return nil, nil, err
	}
	buyer, err = k.decode("buyer", l.Buyer)
	return owner, buyer, err
}

// closeLicence stores a licence that is no longer pending and removes it
// from the pending sets.
func (k Keeper) closeLicence(ctx context.Context, l types.Licence) error {
	owner, buyer, err := k.parties(l)
	if err != nil {
		return err
	}
	if err := k.PendingByOwner.Remove(ctx, collections.Join(owner, l.Id)); err != nil {
		return err
	}
	if err := k.PendingByBuyer.Remove(ctx, collections.Join3(buyer, l.ClassId, l.NftId)); err != nil {
		return err
	}
	if err := k.RefundQueue.Remove(ctx, collections.Join(l.RefundHeight, l.Id)); err != nil {
		return err
	}
	return k.Licences.Set(ctx, l.Id, l)
}

// pendingLicence loads a licence that must exist and still be pending at
// the current height.
func (k Keeper) pendingLicence(ctx context.Context, id uint64) (types.Licence, error) {
	l, err := k.Licences.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return l, errorsmod.Wrapf(types.ErrNotFound, "there is no licence %d", id)
	}
	if err != nil {
		return l, err
	}
	switch {
	case l.Status == types.LicenceStatusFulfilled:
		return l, errorsmod.Wrapf(types.ErrLicenceClosed, "licence %d was already fulfilled (grant %d)", id, l.GrantId)
	case l.Status == types.LicenceStatusRefunded:
		return l, errorsmod.Wrapf(types.ErrLicenceClosed, "licence %d timed out and its buyer was refunded", id)
	case sdk.UnwrapSDKContext(ctx).BlockHeight() >= l.RefundHeight:
		return l, errorsmod.Wrapf(types.ErrLicenceClosed,
			"licence %d timed out at height %d; it is being refunded to its buyer", id, l.RefundHeight)
	}
	return l, nil
}

// FulfilLicence makes a pending licence's READ grant through x/access
// (record grant to the buyer, purpose RESEARCH, ending after the licence
// duration, carrying the wrap), then pays the escrow out: the royalty to
// the producer, the rest to the payee. The record owner signs: only it
// holds the record key the wrap seals.
func (k msgServer) FulfilLicence(ctx context.Context, msg *types.MsgFulfilLicence) (*types.MsgFulfilLicenceResponse, error) {
	owner, err := k.decode("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	l, err := k.pendingLicence(ctx, msg.LicenceId)
	if err != nil {
		return nil, err
	}
	if !sameAddr(k.addressCodec, l.RecordOwner, owner) {
		return nil, errorsmod.Wrapf(types.ErrNotRecordOwner,
			"licence %d is for record %d of %s; only the record's owner holds its key and may fulfil it", l.Id, l.RecordId, l.RecordOwner)
	}
	buyer, err := k.decode("buyer", l.Buyer)
	if err != nil {
		return nil, err
	}
	if !sameAddr(k.addressCodec, msg.Wrap.Grantee, buyer) {
		return nil, errorsmod.Wrapf(accesstypes.ErrInvalidWraps, "the wrap is for %q, but licence %d is for %s", msg.Wrap.Grantee, l.Id, l.Buyer)
	}
	payee, err := k.decode("payee", l.Payee)
	if err != nil {
		return nil, err
	}
	producer, err := k.decode("producer", l.Producer)
	if err != nil {
		return nil, err
	}
	expires := sdk.UnwrapSDKContext(ctx).BlockTime().Add(l.Duration)
	grant, err := k.access.GrantAccess(ctx, &accesstypes.MsgGrantAccess{
		Owner: msg.Owner, Grantee: l.Buyer, RecordId: l.RecordId,
		Permission: accesstypes.PermissionRead, Purpose: accesstypes.PurposeResearch,
		ExpiresAt: &expires, Wraps: []recordstypes.KeyWrap{msg.Wrap},
	})
	if err != nil {
		return nil, errorsmod.Wrapf(err, "licence %d", l.Id)
	}
	toPayee, royalty := types.SplitRoyalty(l.Price, l.RoyaltyBps)
	if err := k.payOut(ctx, payee, toPayee); err != nil {
		return nil, err
	}
	if err := k.payOut(ctx, producer, royalty); err != nil {
		return nil, err
	}
	l.Status, l.GrantId = types.LicenceStatusFulfilled, grant.GrantId
	if err := k.closeLicence(ctx, l); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventLicenceFulfilled{
		LicenceId: l.Id, GrantId: grant.GrantId, Buyer: l.Buyer, Payee: l.Payee, Producer: l.Producer,
		ToPayee: toPayee, ToProducer: royalty,
	}); err != nil {
		return nil, err
	}
	return &types.MsgFulfilLicenceResponse{GrantId: grant.GrantId, ToPayee: toPayee, ToProducer: royalty}, nil
}

// EndBlocker refunds the licences whose refund height has come, at most
// max_refunds_per_block per block, oldest first. A licence waiting its
// turn can no longer be fulfilled (pendingLicence), so the bound never
// lets a late fulfilment through.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(height, uint64(math.MaxUint64)))
	var due []uint64
	if err := k.RefundQueue.Walk(ctx, rng, func(key collections.Pair[int64, uint64]) (bool, error) {
		due = append(due, key.K2())
		return uint32(len(due)) >= params.MaxRefundsPerBlock, nil
	}); err != nil {
		return err
	}
	for _, id := range due {
		l, err := k.Licences.Get(ctx, id)
		if err != nil {
			return err
		}
		buyer, err := k.decode("buyer", l.Buyer)
		if err != nil {
			return err
		}
		if err := k.payOut(ctx, buyer, l.Price); err != nil {
			return err
		}
		l.Status = types.LicenceStatusRefunded
		if err := k.closeLicence(ctx, l); err != nil {
			return err
		}
		if err := emit(ctx, &types.EventLicenceRefunded{LicenceId: l.Id, Buyer: l.Buyer, Amount: l.Price}); err != nil {
			return err
		}
	}
	return nil
}
