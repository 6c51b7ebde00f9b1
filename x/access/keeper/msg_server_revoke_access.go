package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// RevokeAccess ends a grant (owner only): the grant, its decision entry and
// the wraps only it justified are deleted. Each rotation moves a record the
// grant covered to key epoch + 1 in the same transaction: the record points
// at its payload re-encrypted under a new key, and the new key is wrapped
// for exactly the owner and the readers that remain, no more and no fewer.
// Without a rotation the revoked grantee loses the permission but could
// still open the old key if it kept a copy of its wrap: clients rotate by
// default.
func (k msgServer) RevokeAccess(ctx context.Context, msg *types.MsgRevokeAccess) (*types.MsgRevokeAccessResponse, error) {
	owner, err := k.decodeAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	grant, err := k.Grants.Get(ctx, msg.GrantId)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrGrantNotFound, "grant %d does not exist (revoked, expired, or never made)", msg.GrantId)
	}
	if !k.sameAddress(grant.Owner, msg.Owner) {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "grant %d was given by %s; only the owner may revoke it", grant.Id, grant.Owner)
	}
	if err := k.checkNotMoving(ctx, owner, "no revocation now"); err != nil {
		return nil, err
	}
	if len(msg.Rotations) > 0 && grant.Permission != types.PermissionRead {
		return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "grant %d is a WRITE grant: it never gave a record key, so there is nothing to rotate", grant.Id)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}

	// Check every rotation before writing anything.
	t := now(ctx)
	rotated := make([]uint64, 0, len(msg.Rotations))
	records := make([]recordstypes.Record, 0, len(msg.Rotations))
	seen := map[uint64]bool{}
	wraps := 0
	for i, rot := range msg.Rotations {
		if seen[rot.RecordId] {
			return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "rotations[%d]: record %d is rotated twice", i, rot.RecordId)
		}
		seen[rot.RecordId] = true
		record, err := k.activeRecord(ctx, rot.RecordId)
		if err != nil {
			return nil, errorsmod.Wrapf(err, "rotations[%d]", i)
		}
		if !k.sameAddress(record.Owner, msg.Owner) || !covers(grant, record) {
			return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "rotations[%d]: grant %d does not cover record %d; rotate only the records it gave access to", i, grant.Id, record.Id)
		}
		c, err := recordstypes.ValidateCID(rot.Cid)
		if err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "rotations[%d]: %s", i, err)
		}
		if c.String() == record.Cid {
			return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "rotations[%d]: %s is record %d's current CID; upload the payload re-encrypted under the new key", i, rot.Cid, record.Id)
		}
		if err := recordstypes.ValidateSize(rot.SizeBytes); err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidRotation, "rotations[%d]: %s", i, err)
		}
		wraps += len(rot.Wraps)
		if uint32(wraps) > params.MaxWrapsPerMsg {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "more than %d wraps in one message (params max_wraps_per_msg)", params.MaxWrapsPerMsg)
		}
		remaining, err := k.requiredReaders(ctx, record, t, grant.Id)
		if err != nil {
			return nil, err
		}
		if err := k.checkReaderWraps(ctx, record, record.KeyEpoch+1, rot.Wraps, remaining); err != nil {
			return nil, errorsmod.Wrapf(err, "rotations[%d] of record %d", i, record.Id)
		}
		rotated = append(rotated, record.Id)
		records = append(records, record)
	}

	// Write: the grant goes first, so the new wraps are what remains.
	if err := k.deleteGrant(ctx, grant, types.RevocationReasonRevoked, rotated); err != nil {
		return nil, err
	}
	ownerStr := k.str(owner)
	for i, rot := range msg.Rotations {
		updated, err := k.records.RotateKey(ctx, rot.RecordId, rot.Cid, rot.SizeBytes, rot.SealedLabel, ownerStr, rot.Receipt)
		if err != nil {
			return nil, errorsmod.Wrapf(err, "rotating record %d", rot.RecordId)
		}
		if updated.KeyEpoch != records[i].KeyEpoch+1 {
			return nil, fmt.Errorf("record %d moved to key epoch %d, expected %d", rot.RecordId, updated.KeyEpoch, records[i].KeyEpoch+1)
		}
		if err := k.replaceWraps(ctx, owner, rot.RecordId, rot.Wraps); err != nil {
			return nil, err
		}
	}
	return &types.MsgRevokeAccessResponse{}, nil
}

// covers reports whether grant g covers record (same owner assumed).
func covers(g types.Grant, record recordstypes.Record) bool {
	if g.RecordId != 0 {
		return g.RecordId == record.Id
	}
	return types.CoversKind(g.Kinds, record.Kind)
}
