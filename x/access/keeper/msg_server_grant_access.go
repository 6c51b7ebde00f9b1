package keeper

import (
	"context"
	"slices"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// GrantAccess records the owner's consent. A READ grant carries the record
// key of every ACTIVE record it covers sealed to the grantee's current key
// (exactly one wrap per covered record, at the record's key epoch). A WRITE
// grant carries no wraps and may only go to an authorised issuer (an
// organisation or practitioner x/issuers admits). One grant per (target,
// grantee, permission): an expired one waiting for EndBlock is replaced, a
// live one must be revoked first.
func (k msgServer) GrantAccess(ctx context.Context, msg *types.MsgGrantAccess) (*types.MsgGrantAccessResponse, error) {
	owner, err := k.decodeAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	grantee, err := k.decodeAddress("grantee", msg.Grantee)
	if err != nil {
		return nil, err
	}
	if err := k.checkNotMoving(ctx, owner, "no grant now"); err != nil {
		return nil, err
	}
	if owner.Equals(grantee) && msg.RecordId == 0 {
		return nil, errorsmod.Wrap(types.ErrInvalidGrant, "the grantee is the owner; owners always have access to their records")
	}
	if grantee.Equals(types.EmergencyReader(owner)) {
		// Its wraps come with the emergency policy and go with it; a grant
		// would seal record keys to the emergency key outside the policy,
		// or to a key a break-glass has spent.
		if p, found, err := k.findEmergencyPolicy(ctx, owner); err != nil {
			return nil, err
		} else if found && p.IsSpent() {
			return nil, errSpent(p, "no grant to the emergency reader %s", msg.Grantee)
		}
		return nil, errorsmod.Wrapf(types.ErrInvalidGrant,
			"%s is your emergency reader: it holds wraps only through your emergency policy (`medchaind tx access set-emergency-policy`), never through a grant", msg.Grantee)
	}
	if err := types.ValidatePermissionPurpose(msg.Permission, msg.Purpose); err != nil {
		return nil, err
	}
	if err := types.ValidateTarget(msg.RecordId, msg.Kinds); err != nil {
		return nil, err
	}
	t := now(ctx)
	if msg.ExpiresAt != nil && !msg.ExpiresAt.After(t) {
		return nil, errorsmod.Wrapf(types.ErrInvalidGrant, "expires_at %s is not after the current block time %s", msg.ExpiresAt.UTC(), t.UTC())
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}

	// The target: one of the owner's ACTIVE records, or a scope.
	var covered []recordstypes.Record
	if msg.RecordId != 0 {
		record, err := k.activeRecord(ctx, msg.RecordId)
		if err != nil {
			return nil, err
		}
		if !k.sameAddress(record.Owner, msg.Owner) {
			return nil, errorsmod.Wrapf(types.ErrNotOwner, "record %d belongs to another patient; only its owner may grant access to it", msg.RecordId)
		}
		if owner.Equals(grantee) {
			return nil, errorsmod.Wrap(types.ErrInvalidGrant, "the grantee is the owner; owners always have access to their records")
		}
		covered = []recordstypes.Record{record}
	} else if msg.Permission == types.PermissionRead {
		if err := k.records.WalkOwnerRecords(ctx, owner, func(r recordstypes.Record) (bool, error) {
			if r.Status == recordstypes.RecordStatusActive && types.CoversKind(msg.Kinds, r.Kind) {
				covered = append(covered, r)
			}
			return false, nil
		}); err != nil {
			return nil, err
		}
	}

	// One grant per (target, grantee, permission).
	existing, found, err := k.accessEntry(ctx, msg.RecordId, owner, grantee, msg.Permission)
	if err != nil {
		return nil, err
	}
	if found && existing.IsLive(t) {
		return nil, errorsmod.Wrapf(types.ErrGrantExists,
			"grant %d already gives %s %s on this target; revoke it first to change it", existing.GrantId, msg.Grantee, msg.Permission.Label())
	}

	switch msg.Permission {
	case types.PermissionWrite:
		if len(msg.Wraps) > 0 {
			return nil, errorsmod.Wrapf(types.ErrInvalidWraps, "a WRITE grant carries no wraps (%d given); WRITE does not include READ", len(msg.Wraps))
		}
		auth, err := k.issuers.IsAuthorised(ctx, grantee)
		if err != nil {
			return nil, err
		}
		if !auth.Authorised {
			return nil, errorsmod.Wrapf(types.ErrNotIssuer,
				"WRITE lets an organisation or practitioner create records for you, and %s is not one (%s)", msg.Grantee, auth.Reason)
		}
	case types.PermissionRead:
		if err := k.checkGrantWraps(ctx, msg, grantee, covered, params); err != nil {
			return nil, err
		}
	}

	var request *types.AccessRequest
	if msg.RequestId != 0 {
		r, err := k.matchRequest(ctx, msg)
		if err != nil {
			return nil, err
		}
		request = &r
	}

	// Everything is checked: write.
	if found {
		old, err := k.Grants.Get(ctx, existing.GrantId)
		if err != nil {
			return nil, err
		}
		if err := k.deleteGrant(ctx, old, types.RevocationReasonExpired, nil); err != nil {
			return nil, err
		}
	}
	id, err := nextID(ctx, k.NextGrantID)
	if err != nil {
		return nil, err
	}
	grant := types.Grant{
		Id:         id,
		Owner:      k.str(owner),
		Grantee:    k.str(grantee),
		RecordId:   msg.RecordId,
		Kinds:      msg.Kinds,
		Permission: msg.Permission,
		Purpose:    msg.Purpose,
		ExpiresAt:  msg.ExpiresAt,
		CreatedAt:  t,
		RequestId:  msg.RequestId,
	}
	if err := k.setGrant(ctx, grant); err != nil {
		return nil, err
	}
	if err := k.storeWraps(ctx, owner, msg.Wraps); err != nil {
		return nil, err
	}
	if request != nil {
		if err := k.closeRequest(ctx, *request, "GRANTED", id); err != nil {
			return nil, err
		}
	}
	if err := emit(ctx, &types.EventAccessGranted{Grant: grant, Wraps: uint32(len(msg.Wraps))}); err != nil {
		return nil, err
	}
	return &types.MsgGrantAccessResponse{GrantId: id}, nil
}

// checkGrantWraps checks the wraps of a READ grant: the grantee has a key,
// and there is exactly one wrap per covered record, for the grantee, at the
// record's key epoch, sealed to the grantee's current key.
func (k Keeper) checkGrantWraps(ctx context.Context, msg *types.MsgGrantAccess, grantee sdk.AccAddress, covered []recordstypes.Record, params types.Params) error {
	if _, found, err := k.CurrentKey(ctx, grantee); err != nil {
		return err
	} else if !found {
		return errorsmod.Wrapf(types.ErrNoEncryptionKey,
			"%s has no registered encryption key, so no record key can be sealed to it; it must run `medchaind tx access register-key` first", msg.Grantee)
	}
	if uint32(len(msg.Wraps)) > params.MaxWrapsPerMsg {
		return errorsmod.Wrapf(types.ErrInvalidWraps,
			"%d wraps; at most %d per message (params max_wraps_per_msg): grant narrower scopes", len(msg.Wraps), params.MaxWrapsPerMsg)
	}
	epochs := make(map[uint64]uint64, len(covered))
	for _, r := range covered {
		epochs[r.Id] = r.KeyEpoch
	}
	seen := make(map[uint64]bool, len(msg.Wraps))
	for i, w := range msg.Wraps {
		if !k.sameAddress(w.Grantee, msg.Grantee) {
			return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for %s, but the grant is to %s; every wrap must be for the grantee", i, w.Grantee, msg.Grantee)
		}
		epoch, ok := epochs[w.RecordId]
		if !ok {
			return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d] is for record %d, which the grant does not cover (or which is not the owner's ACTIVE record)", i, w.RecordId)
		}
		if seen[w.RecordId] {
			return errorsmod.Wrapf(types.ErrInvalidWraps, "wraps[%d]: record %d has more than one wrap", i, w.RecordId)
		}
		seen[w.RecordId] = true
		if err := k.checkWrap(ctx, i, w, w.RecordId, epoch); err != nil {
			return err
		}
	}
	var missing []uint64
	for _, r := range covered {
		if !seen[r.Id] {
			missing = append(missing, r.Id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return errorsmod.Wrapf(types.ErrInvalidWraps, "no wrap for records %v, which the grant covers; a READ grant needs one wrap per covered record", missing)
	}
	return nil
}

// matchRequest loads the request a grant answers and checks the grant
// matches it: same owner, requester as grantee, same target, permission and
// purpose.
func (k Keeper) matchRequest(ctx context.Context, msg *types.MsgGrantAccess) (types.AccessRequest, error) {
	r, err := k.pendingRequest(ctx, msg.RequestId)
	if err != nil {
		return r, err
	}
	if !k.sameAddress(r.Owner, msg.Owner) {
		return r, errorsmod.Wrapf(types.ErrNotOwner, "request %d was made to another patient", r.Id)
	}
	switch {
	case !k.sameAddress(r.Requester, msg.Grantee):
		return r, errorsmod.Wrapf(types.ErrRequestMismatch, "request %d came from %s, but the grant is to %s", r.Id, r.Requester, msg.Grantee)
	case r.RecordId != msg.RecordId || !sameKinds(r.Kinds, msg.Kinds):
		return r, errorsmod.Wrapf(types.ErrRequestMismatch, "request %d asks for record %d kinds %v, the grant is for record %d kinds %v", r.Id, r.RecordId, r.Kinds, msg.RecordId, msg.Kinds)
	case r.Permission != msg.Permission:
		return r, errorsmod.Wrapf(types.ErrRequestMismatch, "request %d asks for %s, the grant gives %s", r.Id, r.Permission.Label(), msg.Permission.Label())
	case r.Purpose != msg.Purpose:
		return r, errorsmod.Wrapf(types.ErrRequestMismatch, "request %d is for %s, the grant for %s", r.Id, r.Purpose.Label(), msg.Purpose.Label())
	}
	return r, nil
}

// sameKinds compares two kind lists as sets (both are free of duplicates).
func sameKinds(a, b []recordstypes.RecordKind) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}
