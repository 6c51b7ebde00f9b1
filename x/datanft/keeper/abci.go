package keeper

import (
	"context"
	"math"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
)

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
