package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// InitGenesis loads a validated genesis state. The decision entries, the
// expiry queues, the pending counts and the indexes are rebuilt from
// grants, wraps and requests.
func (k Keeper) InitGenesis(ctx context.Context, g *types.GenesisState) error {
	if err := g.Validate(k.addressCodec); err != nil {
		return err
	}
	owners, err := k.wrapOwners(ctx, g.Wraps)
	if err != nil {
		return err
	}
	if err := k.Params.Set(ctx, g.Params); err != nil {
		return err
	}
	for _, key := range g.Keys {
		owner, _ := k.addressCodec.StringToBytes(key.Owner)
		key.Owner = k.str(owner)
		if err := k.Keys.Set(ctx, collections.Join(sdk.AccAddress(owner), key.KeyId), key); err != nil {
			return err
		}
	}
	for _, c := range g.CurrentKeys {
		owner, _ := k.addressCodec.StringToBytes(c.Owner)
		if err := k.CurrentKeys.Set(ctx, owner, c.KeyId); err != nil {
			return err
		}
	}
	for _, gr := range g.Grants {
		if err := k.setGrant(ctx, gr); err != nil {
			return err
		}
	}
	for _, w := range g.Wraps {
		wrap := recordstypes.KeyWrap{Grantee: w.Grantee, KeyId: w.KeyId, Ciphertext: w.Ciphertext, RecordId: w.RecordId, KeyEpoch: w.KeyEpoch}
		if err := k.storeWraps(ctx, owners[w.RecordId], []recordstypes.KeyWrap{wrap}); err != nil {
			return err
		}
	}
	for _, r := range g.Requests {
		requester, _ := k.addressCodec.StringToBytes(r.Requester)
		owner, _ := k.addressCodec.StringToBytes(r.Owner)
		pending, err := k.PendingRequests.Get(ctx, collections.Join(sdk.AccAddress(requester), sdk.AccAddress(owner)))
		if err != nil && !errorsmod.IsOf(err, collections.ErrNotFound) {
			return err
		}
		if err := k.setRequest(ctx, r, requester, owner, pending+1); err != nil {
			return err
		}
	}
	if err := k.NextGrantID.Set(ctx, g.NextGrantId); err != nil {
		return err
	}
	if err := k.NextRequestID.Set(ctx, g.NextRequestId); err != nil {
		return err
	}
	for _, p := range g.EmergencyPolicies {
		patient, _ := k.addressCodec.StringToBytes(p.Patient)
		if err := k.EmergencyPolicies.Set(ctx, patient, p); err != nil {
			return err
		}
	}
	t := now(ctx)
	for _, a := range g.EmergencyAccesses {
		if a.IsOpen(t) {
			if err := k.setOpenEmergency(ctx, a); err != nil {
				return err
			}
		} else if err := k.EmergencyAccesses.Set(ctx, a.Id, a); err != nil {
			return err
		}
	}
	if err := k.NextEmergencyID.Set(ctx, max(g.NextEmergencyId, 1)); err != nil {
		return err
	}
	if err := k.rebuildEmergencyCounts(ctx); err != nil {
		return err
	}
	for _, r := range g.Recoveries {
		if err := k.Recoveries.Set(ctx, r.Id, r); err != nil {
			return err
		}
		if r.Status == types.RecoveryStatusPending {
			patient, _ := k.addressCodec.StringToBytes(r.Patient)
			newOwner, _ := k.addressCodec.StringToBytes(r.NewOwner)
			if err := k.setPendingRecovery(ctx, r, patient, newOwner); err != nil {
				return err
			}
			if r.Moving {
				if err := k.mirrorScopeGrants(ctx, newOwner, patient); err != nil {
					return err
				}
			}
		}
	}
	return k.NextRecoveryID.Set(ctx, max(g.NextRecoveryId, 1))
}

// wrapOwners returns the owner of every record g's wraps seal, from
// x/records (initialised before this module): the WrapsByReader index is
// keyed by it.
func (k Keeper) wrapOwners(ctx context.Context, wraps []types.Wrap) (map[uint64]sdk.AccAddress, error) {
	owners := map[uint64]sdk.AccAddress{}
	for i, w := range wraps {
		if _, ok := owners[w.RecordId]; ok {
			continue
		}
		record, found, err := k.records.GetRecord(ctx, w.RecordId)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errorsmod.Wrapf(types.ErrInvalidGenesis, "wraps[%d]: record %d is not in the records genesis", i, w.RecordId)
		}
		owner, err := k.addressCodec.StringToBytes(record.Owner)
		if err != nil {
			return nil, err
		}
		owners[w.RecordId] = owner
	}
	return owners, nil
}

// ExportGenesis returns the module's state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	g := &types.GenesisState{}
	var err error
	if g.Params, err = k.Params.Get(ctx); err != nil {
		return nil, err
	}
	if err := k.Keys.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, string], v types.EncryptionKey) (bool, error) {
		g.Keys = append(g.Keys, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.CurrentKeys.Walk(ctx, nil, func(owner sdk.AccAddress, id string) (bool, error) {
		g.CurrentKeys = append(g.CurrentKeys, types.CurrentKey{Owner: k.str(owner), KeyId: id})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Grants.Walk(ctx, nil, func(_ uint64, v types.Grant) (bool, error) {
		g.Grants = append(g.Grants, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Wraps.Walk(ctx, nil, func(_ collections.Pair[uint64, sdk.AccAddress], v types.Wrap) (bool, error) {
		g.Wraps = append(g.Wraps, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Requests.Walk(ctx, nil, func(_ uint64, v types.AccessRequest) (bool, error) {
		g.Requests = append(g.Requests, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if g.NextGrantId, err = k.NextGrantID.Peek(ctx); err != nil {
		return nil, err
	}
	if g.NextRequestId, err = k.NextRequestID.Peek(ctx); err != nil {
		return nil, err
	}
	if err := k.EmergencyPolicies.Walk(ctx, nil, func(_ sdk.AccAddress, v types.EmergencyPolicy) (bool, error) {
		g.EmergencyPolicies = append(g.EmergencyPolicies, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.EmergencyAccesses.Walk(ctx, nil, func(_ uint64, v types.EmergencyAccess) (bool, error) {
		g.EmergencyAccesses = append(g.EmergencyAccesses, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if g.NextEmergencyId, err = k.NextEmergencyID.Peek(ctx); err != nil {
		return nil, err
	}
	g.NextEmergencyId = max(g.NextEmergencyId, 1)
	if err := k.Recoveries.Walk(ctx, nil, func(_ uint64, v types.Recovery) (bool, error) {
		g.Recoveries = append(g.Recoveries, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if g.NextRecoveryId, err = k.NextRecoveryID.Peek(ctx); err != nil {
		return nil, err
	}
	g.NextRecoveryId = max(g.NextRecoveryId, 1)
	g.NextGrantId = max(g.NextGrantId, 1)
	g.NextRequestId = max(g.NextRequestId, 1)
	return g, nil
}
