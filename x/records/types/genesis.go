package types

import (
	"crypto/sha256"
	"fmt"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
	"github.com/ipfs/go-cid"
)

// NewGenesisState returns a genesis state. Nil lists become empty ones, as
// they read back from JSON.
func NewGenesisState(params Params, records []Record, history []RecordVersion, nextID uint64) *GenesisState {
	if records == nil {
		records = []Record{}
	}
	if history == nil {
		history = []RecordVersion{}
	}
	return &GenesisState{
		Params: params, Records: records, History: history, NextId: nextID,
		ReleasedCids: []ReleasedCid{}, Archives: []ArchiveEntry{},
	}
}

// DefaultGenesis returns the genesis state of a new chain: default params, no
// records, ids starting at 1.
func DefaultGenesis() *GenesisState {
	return NewGenesisState(DefaultParams(), nil, nil, 1)
}

// Validate checks the genesis state without touching any store. Addresses are
// read with addressCodec (the chain's account prefix).
//
// Records are checked against the module's hard limits, not against params:
// params bind new writes only, so a record written under older params (a
// longer label, a kind no longer allowed) stays valid.
func (gs GenesisState) Validate(addressCodec address.Codec) error {
	if err := gs.validate(addressCodec); err != nil {
		return fmt.Errorf("invalid %s genesis: %w", ModuleName, err)
	}
	return nil
}

func (gs GenesisState) validate(addressCodec address.Codec) error {
	if addressCodec == nil {
		return fmt.Errorf("no address codec to read addresses with")
	}
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextId == 0 {
		return errorsmod.Wrap(ErrInvalidRecord, "next_id is 0; record ids start at 1")
	}

	records := make(map[uint64]Record, len(gs.Records))
	for i, r := range gs.Records {
		if r.Id == 0 {
			return errorsmod.Wrapf(ErrInvalidRecord, "records[%d]: id 0; record ids start at 1", i)
		}
		if _, dup := records[r.Id]; dup {
			return errorsmod.Wrapf(ErrInvalidRecord, "records[%d]: id %d is listed more than once", i, r.Id)
		}
		if r.Id >= gs.NextId {
			return errorsmod.Wrapf(ErrInvalidRecord, "records[%d]: id %d is not below next_id %d", i, r.Id, gs.NextId)
		}
		if err := ValidateStoredRecord(r, addressCodec); err != nil {
			return fmt.Errorf("records[%d] (id %d): %w", i, r.Id, err)
		}
		records[r.Id] = r
	}
	for i, r := range gs.Records {
		if r.DerivedFrom == 0 {
			continue
		}
		orig, ok := records[r.DerivedFrom]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidDerivedFrom, "records[%d]: derived_from %d is not in the genesis records", i, r.DerivedFrom)
		}
		if orig.Owner != r.Owner {
			return errorsmod.Wrapf(ErrInvalidDerivedFrom, "records[%d]: derived_from %d belongs to another owner", i, r.DerivedFrom)
		}
	}

	type versionKey struct{ id, version uint64 }
	versions := make(map[versionKey]bool, len(gs.History))
	for i, v := range gs.History {
		r, ok := records[v.RecordId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidHistory, "history[%d]: record %d is not in the genesis records", i, v.RecordId)
		}
		key := versionKey{v.RecordId, v.Version}
		if versions[key] {
			return errorsmod.Wrapf(ErrInvalidHistory, "history[%d]: version %d of record %d is listed more than once", i, v.Version, v.RecordId)
		}
		versions[key] = true
		if v.Version == 0 || v.Version > r.Version {
			return errorsmod.Wrapf(ErrInvalidHistory, "history[%d]: version %d of record %d is outside 1..%d", i, v.Version, v.RecordId, r.Version)
		}
		if _, err := addressCodec.StringToBytes(v.Issuer); err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "history[%d]: issuer %q: %s", i, v.Issuer, err)
		}
		if err := validateStoredCID(v.Cid, r.Status); err != nil {
			return fmt.Errorf("history[%d]: %w", i, err)
		}
	}
	if err := gs.validateCIDs(records); err != nil {
		return err
	}
	for _, r := range gs.Records {
		for v := uint64(1); v <= r.Version; v++ {
			if !versions[versionKey{r.Id, v}] {
				return errorsmod.Wrapf(ErrInvalidHistory, "record %d has version %d but history lacks version %d", r.Id, r.Version, v)
			}
		}
	}
	return gs.validateArchives(records, addressCodec)
}

// validateArchives checks every archive entry on its own and against the
// records: a version of a record in this file, listed once, ARCHIVED or
// RELEASED while the record is ACTIVE and SHREDDED once it is REDACTED (a
// redaction shreds every entry of the record). Neither the live CID nor params
// max_archive_entries_per_version is checked: a rotation releases a
// version after it was archived, and params bind new entries only.
func (gs GenesisState) validateArchives(records map[uint64]Record, addressCodec address.Codec) error {
	seen := make(map[archiveKey]bool, len(gs.Archives))
	for i, e := range gs.Archives {
		if err := ValidateStoredArchiveEntry(e, addressCodec); err != nil {
			return fmt.Errorf("archives[%d]: %w", i, err)
		}
		key := archiveKey{e.RecordId, e.Version, e.PieceCid}
		if seen[key] {
			return errorsmod.Wrapf(ErrInvalidArchiveEntry, "archives[%d]: %s is listed more than once", i, key)
		}
		seen[key] = true
		r, ok := records[e.RecordId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidArchiveEntry, "archives[%d]: record %d is not in the genesis records", i, e.RecordId)
		}
		if e.Version > r.Version {
			return errorsmod.Wrapf(ErrInvalidArchiveEntry, "archives[%d]: record %d has no version %d (it has %d)", i, e.RecordId, e.Version, r.Version)
		}
		if r.Status == RecordStatusRedacted && e.Status != ArchiveStatusShredded {
			return errorsmod.Wrapf(ErrInvalidArchiveEntry, "archives[%d]: record %d is REDACTED, so its entries are SHREDDED, not %s",
				i, e.RecordId, e.Status)
		}
		if r.Status == RecordStatusActive && e.Status == ArchiveStatusShredded {
			return errorsmod.Wrapf(ErrInvalidArchiveEntry, "archives[%d]: record %d is ACTIVE; only a redaction shreds its entries", i, e.RecordId)
		}
	}
	return nil
}

// validateCIDs checks that a CID belongs to one record version: no CID
// twice in the history, each record's current CID that of its current
// version, no tombstone listed twice or naming a record that is not here,
// and no live or rotated-away CID also listed as a tombstone.
func (gs GenesisState) validateCIDs(records map[uint64]Record) error {
	released := make(map[string]bool, len(gs.ReleasedCids))
	for i, r := range gs.ReleasedCids {
		if len(r.CidHash) != sha256.Size {
			return errorsmod.Wrapf(ErrInvalidHistory, "released_cids[%d]: cid_hash has %d bytes, want %d (SHA-256)", i, len(r.CidHash), sha256.Size)
		}
		if released[string(r.CidHash)] {
			return errorsmod.Wrapf(ErrCIDInUse, "released_cids[%d]: listed more than once", i)
		}
		if _, ok := records[r.Use.RecordId]; !ok {
			return errorsmod.Wrapf(ErrInvalidHistory, "released_cids[%d]: record %d is not in the genesis records", i, r.Use.RecordId)
		}
		released[string(r.CidHash)] = true
	}
	owners := make(map[string]uint64, len(gs.History))
	for i, v := range gs.History {
		if v.Cid == "" {
			continue
		}
		if prev, dup := owners[v.Cid]; dup {
			return errorsmod.Wrapf(ErrCIDInUse, "history[%d]: CID %s of record %d is also a version of record %d; a CID belongs to one record version",
				i, v.Cid, v.RecordId, prev)
		}
		owners[v.Cid] = v.RecordId
		c, err := cid.Decode(v.Cid)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidCID, "history[%d]: %v", i, err)
		}
		r := records[v.RecordId]
		live := r.Status == RecordStatusActive && v.KeyEpoch == r.KeyEpoch
		if live && released[string(CIDHash(c))] {
			return errorsmod.Wrapf(ErrCIDInUse, "history[%d]: CID %s is live in record %d and also listed as released", i, v.Cid, v.RecordId)
		}
		if v.Version == r.Version && v.Cid != r.Cid {
			return errorsmod.Wrapf(ErrInvalidHistory, "history[%d]: version %d of record %d has CID %s, the record says %s", i, v.Version, v.RecordId, v.Cid, r.Cid)
		}
	}
	return nil
}

// ValidateStoredRecord checks a record as it is kept in state.
func ValidateStoredRecord(r Record, addressCodec address.Codec) error {
	for field, addr := range map[string]string{"owner": r.Owner, "issuer": r.Issuer} {
		if _, err := addressCodec.StringToBytes(addr); err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %s", field, addr, err)
		}
	}
	if r.Organisation != "" {
		if _, err := addressCodec.StringToBytes(r.Organisation); err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "organisation %q: %s", r.Organisation, err)
		}
	}
	if !r.Status.IsValid() {
		return errorsmod.Wrapf(ErrInvalidRecord, "status %s is not ACTIVE or REDACTED", r.Status)
	}
	if err := validateStoredCID(r.Cid, r.Status); err != nil {
		return err
	}
	if err := ValidateKind(r.Kind); err != nil {
		return err
	}
	if r.EpochCid != "" {
		if r.Status == RecordStatusRedacted {
			return errorsmod.Wrap(ErrInvalidRecord, "a REDACTED record keeps no epoch_cid")
		}
		if _, err := ValidateCID(r.EpochCid); err != nil {
			return errorsmod.Wrapf(err, "epoch_cid")
		}
	}
	if err := ValidateSealedLabel(r.SealedLabel, MaxLabelLengthCap); err != nil {
		return err
	}
	if r.Version == 0 {
		return errorsmod.Wrap(ErrInvalidRecord, "version 0; versions start at 1")
	}
	if r.DerivedFrom == r.Id {
		return errorsmod.Wrap(ErrInvalidDerivedFrom, "a record cannot be derived from itself")
	}
	return nil
}

// validateStoredCID checks a stored CID: canonical and valid while ACTIVE,
// empty once REDACTED.
func validateStoredCID(s string, status RecordStatus) error {
	if status == RecordStatusRedacted {
		if s != "" {
			return errorsmod.Wrap(ErrInvalidRecord, "a REDACTED record keeps no CID")
		}
		return nil
	}
	c, err := ValidateCID(s)
	if err != nil {
		return err
	}
	if c.String() != s {
		return errorsmod.Wrapf(ErrInvalidCID, "%q is not in canonical form; write %s", s, c)
	}
	return nil
}
