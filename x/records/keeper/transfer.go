package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/records/types"
)

// TransferOwner gives record recordID to newOwner, with its label
// re-sealed for newOwner (a label is bound to its owner; nil for a record
// without one, or a redacted record). Only x/access calls it, when a key
// recovery completes: it has checked that the custodians approved, that the
// delay passed and that newOwner holds a wrap of every ACTIVE record.
// Nothing about the payload changes: same CID, version and key epoch.
func (k Keeper) TransferOwner(ctx context.Context, recordID uint64, newOwner string, sealedLabel []byte) (types.Record, error) {
	record, err := k.getRecord(ctx, recordID)
	if err != nil {
		return types.Record{}, err
	}
	owner, err := k.addressCodec.StringToBytes(newOwner)
	if err != nil {
		return types.Record{}, errorsmod.Wrapf(types.ErrInvalidAddress, "new owner %q: %s", newOwner, err)
	}
	if record.Status == types.RecordStatusActive {
		if err := k.CheckSealedLabel(ctx, sealedLabel); err != nil {
			return types.Record{}, errorsmod.Wrapf(err, "record %d", recordID)
		}
		record.SealedLabel = sealedLabel
	}
	if record.Owner, err = k.addressCodec.BytesToString(owner); err != nil {
		return types.Record{}, err
	}
	if err := k.Records.Set(ctx, record.Id, record); err != nil {
		return types.Record{}, err
	}
	return record, nil
}

// CheckSealedLabel checks a sealed label against params.max_label_length,
// as a record's label is checked: what x/access asks before it moves
// anything in a key recovery, so a bad label refuses the whole message.
func (k Keeper) CheckSealedLabel(ctx context.Context, sealedLabel []byte) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	return types.ValidateSealedLabel(sealedLabel, params.MaxLabelLength)
}
