package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/records/types"
)

// Migrator runs the records module's state migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 sets the replication factor (new in version 2) to its
// default and builds the CID index from the records and their history: a version at its record's current key epoch of an
// ACTIVE record becomes live, one of an earlier epoch (released by a
// rotation) gets a tombstone. The CIDs a redaction erased before version 2
// are gone from state and cannot be indexed; a record reusing one of them
// is accepted, as it was before.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	if params.ReplicationFactor == 0 {
		params.ReplicationFactor = types.DefaultReplicationFactor
		if err := m.k.Params.Set(ctx, params); err != nil {
			return fmt.Errorf("setting the replication factor: %w", err)
		}
	}
	records := map[uint64]types.Record{}
	if err := m.k.Records.Walk(ctx, nil, func(id uint64, r types.Record) (bool, error) {
		records[id] = r
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading records: %w", err)
	}
	return m.k.History.Walk(ctx, nil, func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (bool, error) {
		if v.Cid == "" {
			return false, nil
		}
		r := records[v.RecordId]
		if r.Status == types.RecordStatusActive && v.KeyEpoch == r.KeyEpoch {
			if _, err := m.k.LiveCids.Get(ctx, v.Cid); err == nil {
				// A CID two records shared before uniqueness: the first
				// keeps it, and neither may release the other's pin.
				return false, nil
			}
			return false, m.k.claimCID(ctx, v.Cid, v.RecordId, v.Version)
		}
		return false, m.k.releaseCID(ctx, v.Cid, v.RecordId, v.Version)
	})
}

// Migrate2to3 erases the labels of version 2, which were plaintext: from
// version 3 a label is sealed under the record key, and the chain cannot
// seal an old one (it holds no key). Its bytes now decode as sealed_label,
// so they are cleared rather than left readable. Owners label records
// again with a new version of the client. It also sets every ACTIVE
// record's epoch_cid, the CID of the first version of its current key
// epoch, which new wraps are bound to (wraps made before stay bound to the
// record id, and clients still open them).
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	var changed []types.Record
	if err := m.k.Records.Walk(ctx, nil, func(_ uint64, r types.Record) (bool, error) {
		r.SealedLabel = nil
		if r.Status == types.RecordStatusActive {
			first, err := m.k.epochCID(ctx, r)
			if err != nil {
				return true, err
			}
			r.EpochCid = first
		}
		changed = append(changed, r)
		return false, nil
	}); err != nil {
		return fmt.Errorf("reading records: %w", err)
	}
	for _, r := range changed {
		if err := m.k.Records.Set(ctx, r.Id, r); err != nil {
			return fmt.Errorf("migrating record %d: %w", r.Id, err)
		}
	}
	return nil
}

// Migrate3to4 sets the params new in version 4 to their defaults:
// max_versions_per_record, archive_policy (CONSENT: no record is archived
// until its owner allows it, and every record of version 3 reads
// archive_allowed false) and max_archive_entries_per_version. Every other
// param stays as governance left it. It checks nothing else: the app
// checks all params once, after the last migration. A record that already
// holds more versions stays valid (params bind new writes only): it takes
// no new version through MsgAddVersion, and its owner can still rotate its
// key and redact it. Version 3 has no archive entries, so there is nothing
// else to migrate.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading params: %w", err)
	}
	params.MaxVersionsPerRecord = types.DefaultMaxVersionsPerRecord
	params.ArchivePolicy = types.DefaultArchivePolicy
	params.MaxArchiveEntriesPerVersion = types.DefaultMaxArchiveEntriesPerVersion
	if err := m.k.Params.Set(ctx, params); err != nil {
		return fmt.Errorf("setting the params new in version 4: %w", err)
	}
	return nil
}

// epochCID is the CID of r's first version at its current key epoch.
func (k Keeper) epochCID(ctx context.Context, r types.Record) (string, error) {
	first := ""
	err := k.History.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](r.Id),
		func(_ collections.Pair[uint64, uint64], v types.RecordVersion) (bool, error) {
			if v.KeyEpoch == r.KeyEpoch && v.Cid != "" {
				first = v.Cid
				return true, nil
			}
			return false, nil
		})
	if err != nil {
		return "", fmt.Errorf("reading the history of record %d: %w", r.Id, err)
	}
	return first, nil
}
