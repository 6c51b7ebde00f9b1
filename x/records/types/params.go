package types

import errorsmod "cosmossdk.io/errors"

const (
	// DefaultMaxLabelLength is the default limit, in bytes, on labels.
	DefaultMaxLabelLength uint32 = 64

	// DefaultMaxRecordsPerOwnerPerBlock is the default spam bound.
	DefaultMaxRecordsPerOwnerPerBlock uint32 = 20

	// MaxLabelLengthCap is the hard limit on max_label_length and on the
	// label of any stored record: labels are meant to be short, and
	// governance cannot make them carry documents.
	MaxLabelLengthCap uint32 = 256

	// DefaultReplicationFactor is how many hospitals' vaults hold each
	// live payload by default: the loss of any two leaves one copy.
	DefaultReplicationFactor uint32 = 3

	// MaxReplicationFactor bounds replication_factor: every placed vault
	// fetches and stores each payload.
	MaxReplicationFactor uint32 = 16

	// DefaultMaxVersionsPerRecord is how many versions a record may reach
	// through MsgAddVersion by default: redaction and key rotation walk
	// every one of them, so this bounds what a writer holding the owner's
	// WRITE grant can make them cost.
	DefaultMaxVersionsPerRecord uint32 = 64

	// MaxVersionsPerRecordCap is the hard limit on max_versions_per_record:
	// a redaction or rotation of a record at the cap walks this many
	// versions in one transaction, which must stay well inside a block.
	// Governance may lower the param, not lift the bound.
	MaxVersionsPerRecordCap uint32 = 1024

	// DefaultArchivePolicy is who decides whether a record may be archived
	// to Filecoin: its owner, record by record.
	DefaultArchivePolicy = ArchivePolicyConsent

	// DefaultMaxArchiveEntriesPerVersion is how many Filecoin pieces one
	// record version may be recorded in by default: a few copies with
	// different providers, and room for a replacement deal.
	DefaultMaxArchiveEntriesPerVersion uint32 = 8

	// MaxArchiveEntriesPerVersionCap is the hard limit on
	// max_archive_entries_per_version: a redaction marks every archive
	// entry of every version of the record in one transaction, about
	// 10,000 gas each, which the owner pays (a record of 64 versions in 8
	// pieces each takes its redaction from 0.7 to 6 million gas;
	// BenchmarkRedactArchivedRecord). Governance may double the default,
	// not make erasure arbitrarily dear.
	MaxArchiveEntriesPerVersionCap uint32 = 16
)

// NewParams returns Params with the given limits and allowed kinds.
func NewParams(maxLabelLength, maxRecordsPerOwnerPerBlock uint32, allowedKinds []RecordKind) Params {
	return Params{
		MaxLabelLength:              maxLabelLength,
		MaxRecordsPerOwnerPerBlock:  maxRecordsPerOwnerPerBlock,
		AllowedKinds:                allowedKinds,
		ReplicationFactor:           DefaultReplicationFactor,
		MaxVersionsPerRecord:        DefaultMaxVersionsPerRecord,
		ArchivePolicy:               DefaultArchivePolicy,
		MaxArchiveEntriesPerVersion: DefaultMaxArchiveEntriesPerVersion,
	}
}

// DefaultParams returns the parameters a new chain starts with: every kind
// allowed.
func DefaultParams() Params {
	return NewParams(DefaultMaxLabelLength, DefaultMaxRecordsPerOwnerPerBlock, AllRecordKinds())
}

// Validate reports whether p can be put in force.
func (p Params) Validate() error {
	if p.MaxLabelLength == 0 || p.MaxLabelLength > MaxLabelLengthCap {
		return errorsmod.Wrapf(ErrInvalidParams, "max_label_length %d must be between 1 and %d", p.MaxLabelLength, MaxLabelLengthCap)
	}
	if p.MaxRecordsPerOwnerPerBlock == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_records_per_owner_per_block must be greater than 0")
	}
	if p.ReplicationFactor == 0 || p.ReplicationFactor > MaxReplicationFactor {
		return errorsmod.Wrapf(ErrInvalidParams, "replication_factor %d must be between 1 and %d", p.ReplicationFactor, MaxReplicationFactor)
	}
	if p.MaxVersionsPerRecord == 0 {
		// Not "unlimited": an unbounded history is what the param exists
		// to prevent, and every record holds version 1 from its creation.
		return errorsmod.Wrap(ErrInvalidParams,
			"max_versions_per_record must be greater than 0: every record holds its first version from creation, so 0 "+
				"would refuse every new version, and there is no unlimited setting, because redaction and key rotation "+
				"walk all of a record's versions and an unbounded history lets a WRITE grantee make them arbitrarily expensive")
	}
	if p.MaxVersionsPerRecord > MaxVersionsPerRecordCap {
		return errorsmod.Wrapf(ErrInvalidParams,
			"max_versions_per_record %d is over the hard limit of %d: a redaction or rotation walks every version of a record in one transaction",
			p.MaxVersionsPerRecord, MaxVersionsPerRecordCap)
	}
	if !p.ArchivePolicy.IsValid() {
		return errorsmod.Wrapf(ErrInvalidParams, "archive_policy %s is not one of: %s", p.ArchivePolicy, ValidArchivePolicies())
	}
	if p.MaxArchiveEntriesPerVersion == 0 || p.MaxArchiveEntriesPerVersion > MaxArchiveEntriesPerVersionCap {
		return errorsmod.Wrapf(ErrInvalidParams,
			"max_archive_entries_per_version %d must be between 1 and %d: a redaction marks every archive entry of the record "+
				"in one transaction (to stop archiving, set archive_policy to ARCHIVE_POLICY_NONE)",
			p.MaxArchiveEntriesPerVersion, MaxArchiveEntriesPerVersionCap)
	}
	if len(p.AllowedKinds) == 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "allowed_kinds is empty; allow at least one of: %s", ValidRecordKinds())
	}
	seen := make(map[RecordKind]bool, len(p.AllowedKinds))
	for _, k := range p.AllowedKinds {
		if !k.IsValid() {
			return errorsmod.Wrapf(ErrInvalidParams, "allowed_kinds: unknown kind %s; use: %s", k, ValidRecordKinds())
		}
		if seen[k] {
			return errorsmod.Wrapf(ErrInvalidParams, "allowed_kinds lists %s twice", k.Label())
		}
		seen[k] = true
	}
	return nil
}

// KindAllowed reports whether new records of kind k are allowed.
func (p Params) KindAllowed(k RecordKind) bool {
	for _, allowed := range p.AllowedKinds {
		if allowed == k {
			return true
		}
	}
	return false
}
