package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

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
