package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// nextID returns the next id of seq (ids start at 1) and advances it.
func nextID(ctx context.Context, seq collections.Sequence) (uint64, error) {
	id, err := seq.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		id = 1
	}
	return id, seq.Set(ctx, id+1)
}

// decodeAddress reads a bech32 account address from the field named field.
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

// str renders address bytes in bech32; addresses in state are always valid.
func (k Keeper) str(addr []byte) string {
	s, err := k.addressCodec.BytesToString(addr)
	if err != nil {
		panic(fmt.Errorf("access keeper: encoding address: %w", err))
	}
	return s
}

func now(ctx context.Context) time.Time { return sdk.UnwrapSDKContext(ctx).BlockTime() }

// CurrentKey returns addr's current encryption key and whether it has one.
func (k Keeper) CurrentKey(ctx context.Context, addr sdk.AccAddress) (types.EncryptionKey, bool, error) {
	id, err := k.CurrentKeys.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return types.EncryptionKey{}, false, nil
	}
	if err != nil {
		return types.EncryptionKey{}, false, err
	}
	key, err := k.Keys.Get(ctx, collections.Join(addr, id))
	if err != nil {
		return types.EncryptionKey{}, false, errorsmod.Wrapf(err, "current key %s of %s", id, k.str(addr))
	}
	return key, true, nil
}

// activeRecord loads a record that must exist and be ACTIVE.
func (k Keeper) activeRecord(ctx context.Context, id uint64) (recordstypes.Record, error) {
	record, found, err := k.records.GetRecord(ctx, id)
	if err != nil {
		return recordstypes.Record{}, err
	}
	if !found {
		return recordstypes.Record{}, errorsmod.Wrapf(types.ErrRecordNotFound, "record %d does not exist", id)
	}
	if record.Status == recordstypes.RecordStatusRedacted {
		return recordstypes.Record{}, errorsmod.Wrapf(types.ErrRecordRedacted, "record %d was redacted by its owner", id)
	}
	return record, nil
}

// sameAddress compares two bech32 strings by their bytes.
func (k Keeper) sameAddress(a, b string) bool {
	x, err1 := k.addressCodec.StringToBytes(a)
	y, err2 := k.addressCodec.StringToBytes(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
