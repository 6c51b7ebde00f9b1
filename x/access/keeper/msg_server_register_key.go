package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
)

// RegisterEncryptionKey makes public_key the signer's current encryption
// key. A key registered before becomes current again; earlier keys stay
// readable by id, because wraps sealed to them remain valid.
func (k msgServer) RegisterEncryptionKey(ctx context.Context, msg *types.MsgRegisterEncryptionKey) (*types.MsgRegisterEncryptionKeyResponse, error) {
	owner, err := k.decodeAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := types.ValidatePublicKey(msg.Algorithm, msg.PublicKey); err != nil {
		return nil, err
	}
	id := types.KeyID(msg.PublicKey)
	current, hasCurrent, err := k.CurrentKey(ctx, owner)
	if err != nil {
		return nil, err
	}
	if hasCurrent && current.KeyId == id {
		return nil, errorsmod.Wrapf(types.ErrKeyAlreadyCurrent, "key %s is already the current encryption key of %s", id, msg.Owner)
	}
	key, err := k.Keys.Get(ctx, collections.Join(owner, id))
	switch {
	case err == nil: // an earlier key becomes current again
	case errorsmod.IsOf(err, collections.ErrNotFound):
		key = types.EncryptionKey{
			Owner: k.str(owner), KeyId: id, Algorithm: msg.Algorithm, PublicKey: msg.PublicKey, RegisteredAt: now(ctx),
		}
		if err := k.Keys.Set(ctx, collections.Join(owner, id), key); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if err := k.CurrentKeys.Set(ctx, owner, id); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEncryptionKeyRegistered{Owner: key.Owner, KeyId: id, PreviousKeyId: current.KeyId}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterEncryptionKeyResponse{KeyId: id}, nil
}
