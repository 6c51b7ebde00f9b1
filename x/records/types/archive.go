package types

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// Limits of a Filecoin archive entry. They are the chain's, not
// governance's: they describe what a piece and a deal are.
const (
	// MaxArchivedVersionsPerMsg bounds the versions of one MsgRecordArchive.
	// A piece aggregates many records' versions; a hospital records a
	// larger aggregate in several messages. Each version costs a few reads
	// and one write, so 1000 keep a message well inside a block.
	MaxArchivedVersionsPerMsg = 1000

	// MinPieceSize is the smallest padded Filecoin piece: 128 bytes (127
	// bytes of data after Fr32 padding).
	MinPieceSize uint64 = 128

	// MaxPieceSize is the largest padded piece a sector holds: 64 GiB.
	MaxPieceSize uint64 = 1 << 36

	// MaxProviderLength bounds a storage provider's address ("f01234").
	MaxProviderLength = 64

	// MaxDealRefLength bounds a deal reference (a deal id, a UUID).
	MaxDealRefLength = 128

	// pieceDigestLength is the size of a sha2-256-trunc254-padded digest.
	pieceDigestLength = 32
)

// ValidatePieceCID checks that s is a Filecoin piece commitment (CommP) and
// returns it parsed: CIDv1 in any multibase, codec fil-commitment-unsealed
// (0xf101), multihash sha2-256-trunc254-padded (0x1012) with a 32-byte
// digest whose two top bits are zero (the hash is truncated to 254 bits).
// Callers store the canonical form, c.String() (base32, "baga6ea4sea..."),
// so one piece has one spelling on chain.
func ValidatePieceCID(s string) (cid.Cid, error) {
	if s == "" {
		return cid.Undef, errorsmod.Wrap(ErrInvalidPieceCID, "piece_cid is empty: give the CommP of the aggregate the deal stores")
	}
	if len(s) > MaxCIDLength {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID, "piece_cid is %d characters long, more than any piece CID (at most %d)", len(s), MaxCIDLength)
	}
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID, "%q is not a CID: %v", s, err)
	}
	if c.Version() != 1 {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID, "%s is a CIDv0; a piece CID is a CIDv1 (baga6ea4sea...)", s)
	}
	if c.Type() != cid.FilCommitmentUnsealed {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID,
			"%s has codec %s; a piece CID has codec fil-commitment-unsealed (0xf101): the piece's CommP, not the CID of its content",
			s, codecName(c.Type()))
	}
	decoded, err := multihash.Decode(c.Hash())
	if err != nil {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID, "%s has a malformed multihash: %v", s, err)
	}
	if decoded.Code != multihash.SHA2_256_TRUNC254_PADDED {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID,
			"%s is hashed with %s; a piece commitment uses sha2-256-trunc254-padded (0x1012)", s, hashName(decoded.Code))
	}
	if decoded.Length != pieceDigestLength || len(decoded.Digest) != pieceDigestLength {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID,
			"%s has a digest of %d bytes; a piece commitment has %d", s, decoded.Length, pieceDigestLength)
	}
	if decoded.Digest[pieceDigestLength-1]&0xc0 != 0 {
		return cid.Undef, errorsmod.Wrapf(ErrInvalidPieceCID,
			"%s has a digest wider than 254 bits; sha2-256-trunc254-padded clears the two top bits of the last byte", s)
	}
	return c, nil
}

// ValidatePieceSize checks a padded piece size: a power of two from
// MinPieceSize to MaxPieceSize.
func ValidatePieceSize(size uint64) error {
	if size < MinPieceSize || size > MaxPieceSize {
		return errorsmod.Wrapf(ErrInvalidPieceSize,
			"piece_size %d is outside %d bytes to %d bytes (64 GiB); give the padded piece size", size, MinPieceSize, MaxPieceSize)
	}
	if bits.OnesCount64(size) != 1 {
		return errorsmod.Wrapf(ErrInvalidPieceSize,
			"piece_size %d is not a power of two; give the padded piece size (the unpadded size times 128/127)", size)
	}
	return nil
}

// ValidateProvider checks a storage provider's address: 1 to
// MaxProviderLength printable ASCII characters without spaces, as an actor
// address ("f01234") is.
func ValidateProvider(provider string) error {
	if provider == "" {
		return errorsmod.Wrap(ErrInvalidProvider, "provider is empty: give the storage provider's actor address, e.g. f01234")
	}
	if len(provider) > MaxProviderLength {
		return errorsmod.Wrapf(ErrInvalidProvider, "provider is %d bytes long; at most %d", len(provider), MaxProviderLength)
	}
	if i := strings.IndexFunc(provider, func(r rune) bool { return r <= ' ' || r > '~' }); i >= 0 {
		return errorsmod.Wrapf(ErrInvalidProvider,
			"provider %q has %q at byte %d; an actor address is printable ASCII without spaces, e.g. f01234", provider, provider[i], i)
	}
	return nil
}

// ValidateDealRef checks a deal reference: empty, or at most
// MaxDealRefLength printable ASCII characters (spaces allowed).
func ValidateDealRef(ref string) error {
	if len(ref) > MaxDealRefLength {
		return errorsmod.Wrapf(ErrInvalidDealRef, "deal_ref is %d bytes long; at most %d", len(ref), MaxDealRefLength)
	}
	if i := strings.IndexFunc(ref, func(r rune) bool { return r < ' ' || r > '~' }); i >= 0 {
		return errorsmod.Wrapf(ErrInvalidDealRef, "deal_ref %q has %q at byte %d; a deal reference is printable ASCII", ref, ref[i], i)
	}
	return nil
}

// ValidateArchivedVersionsShape checks a MsgRecordArchive's list before any
// state is read: 1 to MaxArchivedVersionsPerMsg versions, none 0, none
// twice.
func ValidateArchivedVersionsShape(versions []ArchivedVersion) error {
	if len(versions) == 0 {
		return errorsmod.Wrap(ErrInvalidArchivedVersions, "versions is empty: name at least one record version the piece holds")
	}
	if len(versions) > MaxArchivedVersionsPerMsg {
		return errorsmod.Wrapf(ErrInvalidArchivedVersions,
			"%d versions in one message; at most %d: record a larger piece in several messages", len(versions), MaxArchivedVersionsPerMsg)
	}
	seen := make(map[ArchivedVersion]int, len(versions))
	for i, v := range versions {
		if v.RecordId == 0 || v.Version == 0 {
			return errorsmod.Wrapf(ErrInvalidArchivedVersions, "versions[%d]: record %d version %d; ids and versions start at 1", i, v.RecordId, v.Version)
		}
		if j, dup := seen[v]; dup {
			return errorsmod.Wrapf(ErrInvalidArchivedVersions, "versions[%d]: version %d of record %d is also versions[%d]", i, v.Version, v.RecordId, j)
		}
		seen[v] = i
	}
	return nil
}

// IsValid reports whether s is one of the defined statuses other than
// UNSPECIFIED.
func (s ArchiveStatus) IsValid() bool {
	_, defined := ArchiveStatus_name[int32(s)]
	return defined && s != ArchiveStatusUnspecified
}

// Expired reports whether the entry's deal has ended at now.
func (e ArchiveEntry) Expired(now time.Time) bool { return !now.Before(e.ExpiresAt) }

// View is the entry as Query/Archives shows it at block time now.
func (e ArchiveEntry) View(now time.Time) ArchiveEntryView {
	return ArchiveEntryView{
		RecordId: e.RecordId, Version: e.Version, PieceCid: e.PieceCid, PieceSize: e.PieceSize, Hospital: e.Hospital,
		Provider: e.Provider, DealRef: e.DealRef, ExpiresAt: e.ExpiresAt, RecordedAt: e.RecordedAt,
		Status: e.Status, ShreddedAt: e.ShreddedAt, ReleasedAt: e.ReleasedAt, Expired: e.Expired(now),
	}
}

// ValidateStoredArchiveEntry checks an archive entry as it is kept in
// state, on its own: its key fields, the piece, the deal, the hospital's
// address, and a status consistent with shredded_at.
func ValidateStoredArchiveEntry(e ArchiveEntry, addressCodec address.Codec) error {
	if e.RecordId == 0 || e.Version == 0 {
		return errorsmod.Wrapf(ErrInvalidArchiveEntry, "record %d version %d; ids and versions start at 1", e.RecordId, e.Version)
	}
	c, err := ValidatePieceCID(e.PieceCid)
	if err != nil {
		return err
	}
	if c.String() != e.PieceCid {
		return errorsmod.Wrapf(ErrInvalidPieceCID, "%q is not in canonical form; write %s", e.PieceCid, c)
	}
	if err := ValidatePieceSize(e.PieceSize); err != nil {
		return err
	}
	if _, err := addressCodec.StringToBytes(e.Hospital); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "hospital %q: %s", e.Hospital, err)
	}
	if err := ValidateProvider(e.Provider); err != nil {
		return err
	}
	if err := ValidateDealRef(e.DealRef); err != nil {
		return err
	}
	if !e.ExpiresAt.After(e.RecordedAt) {
		return errorsmod.Wrapf(ErrInvalidExpiry, "expires_at %s is not after recorded_at %s",
			e.ExpiresAt.Format(time.RFC3339), e.RecordedAt.Format(time.RFC3339))
	}
	switch e.Status {
	case ArchiveStatusArchived:
		if e.ShreddedAt != nil || e.ReleasedAt != nil {
			return errorsmod.Wrap(ErrInvalidArchiveEntry, "an ARCHIVED entry has no shredded_at and no released_at")
		}
	case ArchiveStatusReleased:
		if e.ReleasedAt == nil || e.ShreddedAt != nil {
			return errorsmod.Wrap(ErrInvalidArchiveEntry, "a RELEASED entry says when (released_at) and has no shredded_at")
		}
	case ArchiveStatusShredded:
		if e.ShreddedAt == nil {
			return errorsmod.Wrap(ErrInvalidArchiveEntry, "a SHREDDED entry says when: shredded_at is missing")
		}
	default:
		return errorsmod.Wrapf(ErrInvalidArchiveEntry, "status %s is not ARCHIVED, RELEASED or SHREDDED", e.Status)
	}
	return nil
}

// archiveKey is an archive entry's key, for duplicate checks.
type archiveKey struct {
	recordID, version uint64
	pieceCID          string
}

func (k archiveKey) String() string {
	return fmt.Sprintf("version %d of record %d in piece %s", k.version, k.recordID, k.pieceCID)
}

// ArchiveRefusal says why record may not be copied into a hospital's
// archive under params ("" when it may): the one rule the chain (for
// MsgRecordArchive), the vaults (for archive reads) and the archive
// planner all apply. Whether the record is ACTIVE and its version live is
// checked beside it.
func ArchiveRefusal(p Params, record Record) string {
	switch p.ArchivePolicy {
	case ArchivePolicyAll:
		return ""
	case ArchivePolicyConsent:
		if record.ArchiveAllowed {
			return ""
		}
		return fmt.Sprintf("the owner of record %d has not allowed archiving it (params archive_policy is ARCHIVE_POLICY_CONSENT; "+
			"the owner allows it with `medchaind tx records set-archive-consent %d true`)", record.Id, record.Id)
	case ArchivePolicyNone:
		return "params archive_policy is ARCHIVE_POLICY_NONE: governance allows no record to be archived"
	default:
		return fmt.Sprintf("params archive_policy is %s: no record may be archived", p.ArchivePolicy)
	}
}

// ArchiveEntriesPerHospital is how many of a record version's archive
// entries one hospital may hold: half of max_archive_entries_per_version
// (at least one), so that no one hospital can take every slot and keep the
// others from recording their archives of it.
func ArchiveEntriesPerHospital(p Params) uint64 {
	return max(uint64(p.MaxArchiveEntriesPerVersion)/2, 1)
}
