package keeper

import (
	"context"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/x/records/placement"
	"github.com/medchain/medchain/x/records/types"
)

// Replicas returns the hospitals whose vaults may hold payloads (ACTIVE,
// with a vault URL, in address order) and the replication factor.
func (k Keeper) Replicas(ctx context.Context) ([]placement.Replica, uint32, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, 0, err
	}
	hospitals, err := k.issuers.ActiveHospitalVaults(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]placement.Replica, 0, len(hospitals))
	for _, h := range hospitals {
		addr, err := k.addressCodec.StringToBytes(h.Address)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, placement.Replica{Address: addr, Name: h.Address, VaultURL: h.VaultUrl})
	}
	return out, params.ReplicationFactor, nil
}

// Place returns the replicas that hold c, in the order clients try them.
func (k Keeper) Place(ctx context.Context, c cid.Cid) ([]types.VaultReplica, uint32, error) {
	replicas, factor, err := k.Replicas(ctx)
	if err != nil {
		return nil, 0, err
	}
	return vaultReplicas(placement.Place(c, replicas, int(factor))), factor, nil
}

func vaultReplicas(rs []placement.Replica) []types.VaultReplica {
	out := make([]types.VaultReplica, len(rs))
	for i, r := range rs {
		out[i] = types.VaultReplica{Address: r.Name, VaultUrl: r.VaultURL}
	}
	return out
}
