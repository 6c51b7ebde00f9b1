package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// CreateRecord registers a new record for msg.Owner, at version 1 and key
// epoch 0.
//
// The owner may always create records for themself. Anyone else must be an
// authorised issuer (x/issuers) holding WRITE from the owner for itself or
// its organisation (AccessHooks.CanWrite). Everything is checked before
// anything is written, so a rejected message changes nothing.
func (k msgServer) CreateRecord(ctx context.Context, msg *types.MsgCreateRecord) (*types.MsgCreateRecordResponse, error) {
	creator, err := k.decodeAddress("creator", msg.Creator)
	if err != nil {
		return nil, err
	}
	owner, err := k.decodeAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	draft := types.Record{Owner: msg.Owner, Kind: msg.Kind}
	organisation, err := k.authoriseWriter(ctx, owner, draft, creator, msg.Creator)
	if err != nil {
		return nil, err
	}

	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, errorsmod.Wrap(err, "reading records params")
	}
	c, err := types.ValidateCID(msg.Cid)
	if err != nil {
		return nil, err
	}
	if err := k.checkCIDUnused(ctx, c); err != nil {
		return nil, err
	}
	if err := types.ValidateMetadata(msg.Kind, msg.SizeBytes, msg.SealedLabel, params); err != nil {
		return nil, err
	}
	if err := k.checkDerivedFrom(ctx, msg.DerivedFrom, owner); err != nil {
		return nil, err
	}
	creatorStr, err := k.addressCodec.BytesToString(creator)
	if err != nil {
		return nil, err
	}
	if err := k.checkUploadReceipt(ctx, msg.Receipt, creatorStr, c); err != nil {
		return nil, err
	}

	sdkCtx := sdk.UnwrapSDKContext(ctx)
	count, err := k.ownerBlockCount(ctx, owner, sdkCtx.BlockHeight())
	if err != nil {
		return nil, err
	}
	if count.Count >= params.MaxRecordsPerOwnerPerBlock {
		return nil, errorsmod.Wrapf(types.ErrTooManyRecords,
			"%s already has %d new records in block %d, the limit (params max_records_per_owner_per_block); send the rest in a later block",
			msg.Owner, count.Count, count.Height)
	}

	id, err := k.NextRecordID(ctx)
	if err != nil {
		return nil, err
	}
	// Addresses are stored in canonical form, whatever case the message used.
	ownerStr, err := k.addressCodec.BytesToString(owner)
	if err != nil {
		return nil, err
	}
	now := sdkCtx.BlockTime()
	record := types.Record{
		Id:           id,
		Owner:        ownerStr,
		Issuer:       creatorStr,
		Organisation: organisation,
		Cid:          c.String(),
		Kind:         msg.Kind,
		SizeBytes:    msg.SizeBytes,
		SealedLabel:  msg.SealedLabel,
		Version:      1,
		KeyEpoch:     0,
		Status:       types.RecordStatusActive,
		CreatedAt:    now,
		UpdatedAt:    now,
		DerivedFrom:  msg.DerivedFrom,
		EpochCid:     c.String(),
	}
	// Wraps are sealed before the id is known: 0 stands for "this record".
	wraps := make([]types.KeyWrap, len(msg.Wraps))
	for i, w := range msg.Wraps {
		if w.RecordId == 0 {
			w.RecordId = id
		}
		wraps[i] = w
	}
	if err := k.validateWraps(ctx, record, wraps); err != nil {
		return nil, err
	}

	if err := k.Records.Set(ctx, id, record); err != nil {
		return nil, errorsmod.Wrapf(err, "storing record %d", id)
	}
	if err := k.History.Set(ctx, collections.Join(id, record.Version), types.RecordVersion{
		RecordId: id, Version: record.Version, Cid: record.Cid, KeyEpoch: record.KeyEpoch, Issuer: creatorStr, At: now,
		SizeBytes: record.SizeBytes,
	}); err != nil {
		return nil, errorsmod.Wrapf(err, "storing history of record %d", id)
	}
	if err := k.claimCID(ctx, record.Cid, id, record.Version); err != nil {
		return nil, err
	}
	if err := k.NextID.Set(ctx, id+1); err != nil {
		return nil, errorsmod.Wrap(err, "advancing the record id sequence")
	}
	count.Count++
	if err := k.OwnerBlockCounts.Set(ctx, owner, count); err != nil {
		return nil, errorsmod.Wrapf(err, "counting records of %s", ownerStr)
	}

	if err := emit(ctx, &types.EventRecordCreated{
		RecordId:     id,
		Owner:        ownerStr,
		Issuer:       creatorStr,
		Organisation: organisation,
		Cid:          record.Cid,
		Kind:         record.Kind,
		SizeBytes:    record.SizeBytes,
		KeyEpoch:     record.KeyEpoch,
		DerivedFrom:  record.DerivedFrom,
	}); err != nil {
		return nil, err
	}
	return &types.MsgCreateRecordResponse{Id: id}, nil
}

// checkDerivedFrom checks that a de-identified copy points at an ACTIVE
// record of the same owner (0 means "not a copy").
func (k Keeper) checkDerivedFrom(ctx context.Context, derivedFrom uint64, owner []byte) error {
	if derivedFrom == 0 {
		return nil
	}
	orig, found, err := k.GetRecord(ctx, derivedFrom)
	if err != nil {
		return err
	}
	if !found {
		return errorsmod.Wrapf(types.ErrInvalidDerivedFrom, "derived_from %d: no such record", derivedFrom)
	}
	origOwner, err := k.addressCodec.StringToBytes(orig.Owner)
	if err != nil {
		return err
	}
	if !sdk.AccAddress(origOwner).Equals(sdk.AccAddress(owner)) {
		return errorsmod.Wrapf(types.ErrInvalidDerivedFrom, "derived_from %d belongs to another owner; a copy must derive from the same patient's record", derivedFrom)
	}
	if orig.Status == types.RecordStatusRedacted {
		return errorsmod.Wrapf(types.ErrInvalidDerivedFrom, "derived_from %d is redacted", derivedFrom)
	}
	return nil
}

// ownerBlockCount returns how many records were created for owner in the
// block at height (zero if its entry is from an older block).
func (k Keeper) ownerBlockCount(ctx context.Context, owner sdk.AccAddress, height int64) (types.OwnerBlockCount, error) {
	count, err := k.OwnerBlockCounts.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) || (err == nil && count.Height != height) {
		return types.OwnerBlockCount{Height: height}, nil
	}
	if err != nil {
		return types.OwnerBlockCount{}, err
	}
	return count, nil
}
