package keeper

import (
	"bytes"
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// authoriseWriter decides whether writer may write target (a stored record,
// or for a new one a draft with Id 0, Owner and Kind) of owner and returns
// the organisation writer acts for (empty for the owner). The owner always
// may; anyone else must be authorised by x/issuers right now (an ACTIVE
// organisation, or a practitioner of one) and hold WRITE from the owner, for
// itself or its organisation, according to the access hooks.
func (k Keeper) authoriseWriter(ctx context.Context, owner sdk.AccAddress, target types.Record, writer sdk.AccAddress, writerStr string) (string, error) {
	if bytes.Equal(owner, writer) {
		return "", nil
	}
	auth, err := k.issuers.IsAuthorised(ctx, writer)
	if err != nil {
		return "", errorsmod.Wrapf(err, "checking whether %s is an authorised issuer", writerStr)
	}
	if !auth.Authorised {
		reason := auth.Reason
		if reason == "" {
			reason = "not authorised"
		}
		return "", errorsmod.Wrapf(types.ErrNotAuthorisedIssuer,
			"%s may not write records for another account (%s); patients write only their own records, "+
				"and issuers only while their organisation is ACTIVE", writerStr, reason)
	}
	var organisation sdk.AccAddress
	if auth.Organisation != "" {
		if organisation, err = k.addressCodec.StringToBytes(auth.Organisation); err != nil {
			return "", errorsmod.Wrapf(err, "organisation %q of %s", auth.Organisation, writerStr)
		}
	}
	ok, err := k.canWrite(ctx, target, writer, organisation)
	if err != nil {
		return "", err
	}
	if !ok {
		ownerStr, _ := k.addressCodec.BytesToString(owner)
		return "", errorsmod.Wrapf(types.ErrNoWritePermission,
			"%s has not granted WRITE to %s nor to its organisation %s; the patient must grant it first",
			ownerStr, writerStr, auth.Organisation)
	}
	return auth.Organisation, nil
}

// canWrite asks the access hooks; without hooks nobody but the owner (who
// never gets here) may write.
func (k Keeper) canWrite(ctx context.Context, target types.Record, writer, organisation sdk.AccAddress) (bool, error) {
	if k.hooks.hooks == nil {
		return false, nil
	}
	return k.hooks.hooks.CanWrite(ctx, target, writer, organisation)
}

// validateWraps checks the shape of wraps and then hands them to the access
// hooks with the record as it will be stored. Without hooks exactly one
// wrap is accepted, for the owner: nobody else can hold a grant yet.
func (k Keeper) validateWraps(ctx context.Context, record types.Record, wraps []types.KeyWrap) error {
	grantees, err := types.ValidateWrapsShape(wraps, k.addressCodec)
	if err != nil {
		return err
	}
	if err := types.CheckWrapBinding(wraps, record.Id, record.KeyEpoch); err != nil {
		return err
	}
	if k.hooks.hooks != nil {
		return k.hooks.hooks.ValidateWraps(ctx, record, wraps)
	}
	owner, err := k.addressCodec.StringToBytes(record.Owner)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "owner %q: %s", record.Owner, err)
	}
	if len(wraps) != 1 || !bytes.Equal(grantees[0], owner) {
		return errorsmod.Wrapf(types.ErrInvalidWraps,
			"%d wraps given; without access grants the record key must be wrapped exactly once, for the owner %s",
			len(wraps), record.Owner)
	}
	return nil
}

// afterRecordRedacted tells the access hooks, if any, that a record was
// redacted.
func (k Keeper) afterRecordRedacted(ctx context.Context, record types.Record) error {
	if k.hooks.hooks == nil {
		return nil
	}
	return k.hooks.hooks.AfterRecordRedacted(ctx, record)
}
