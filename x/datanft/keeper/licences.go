package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

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
