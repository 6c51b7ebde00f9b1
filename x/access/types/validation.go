package types

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// IsValid reports whether p is READ or WRITE.
func (p Permission) IsValid() bool { return p == PermissionRead || p == PermissionWrite }

// Label is the permission without its enum prefix: "READ".
func (p Permission) Label() string { return strings.TrimPrefix(p.String(), "PERMISSION_") }

// IsValid reports whether p is one of the defined purposes other than
// UNSPECIFIED.
func (p Purpose) IsValid() bool {
	_, defined := Purpose_name[int32(p)]
	return defined && p != PurposeUnspecified
}

// Label is the purpose without its enum prefix: "TREATMENT".
func (p Purpose) Label() string { return strings.TrimPrefix(p.String(), "PURPOSE_") }

// validPurposes lists the purposes as the CLI spells them.
func validPurposes() string {
	values := make([]string, 0, len(Purpose_name)-1)
	for i := int32(1); i < int32(len(Purpose_name)); i++ {
		values = append(values, strings.ToLower(Purpose(i).Label()))
	}
	return strings.Join(values, ", ")
}

// ValidatePermissionPurpose checks the permission and purpose enums.
func ValidatePermissionPurpose(p Permission, purpose Purpose) error {
	if !p.IsValid() {
		return errorsmod.Wrapf(ErrInvalidGrant, "permission %s is not valid; use read or write", p)
	}
	if !purpose.IsValid() {
		return errorsmod.Wrapf(ErrInvalidGrant, "purpose %s is not valid; use one of: %s", purpose, validPurposes())
	}
	return nil
}

// ValidateTarget checks a grant's or request's target: one record
// (recordID > 0, no kinds) or a scope (recordID 0, distinct valid kinds,
// none meaning every kind).
func ValidateTarget(recordID uint64, kinds []recordstypes.RecordKind) error {
	if recordID != 0 && len(kinds) > 0 {
		return errorsmod.Wrapf(ErrInvalidGrant, "record %d is one record; kinds only narrow a scope grant (record_id 0)", recordID)
	}
	seen := make(map[recordstypes.RecordKind]bool, len(kinds))
	for _, k := range kinds {
		if !k.IsValid() {
			return errorsmod.Wrapf(ErrInvalidGrant, "kind %s is not valid; use one of: %s", k, recordstypes.ValidRecordKinds())
		}
		if seen[k] {
			return errorsmod.Wrapf(ErrInvalidGrant, "kind %s is listed twice", k.Label())
		}
		seen[k] = true
	}
	return nil
}

// CoversKind reports whether a scope with kinds covers a record of kind
// (an empty scope covers every kind).
func CoversKind(kinds []recordstypes.RecordKind, kind recordstypes.RecordKind) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Live reports whether something expiring at expiresAt (nil: never) still
// holds at now. Expiry is exclusive: at exactly expiresAt it no longer
// holds.
func Live(expiresAt *time.Time, now time.Time) bool {
	return expiresAt == nil || now.Before(*expiresAt)
}

// IsLive reports whether the grant allows anything at now.
func (g Grant) IsLive(now time.Time) bool { return Live(g.ExpiresAt, now) }

// IsLive reports whether the entry's grant allows anything at now.
func (e AccessEntry) IsLive(now time.Time) bool { return Live(e.ExpiresAt, now) }

// IsPending reports whether the request can still be answered at now: a
// request expiring at T is closed from T on, whether or not EndBlock has
// removed it yet.
func (r AccessRequest) IsPending(now time.Time) bool { return r.ExpiresAt.After(now) }

// Sealed reasons: a version byte, then an HPKE ML-KEM-768-X25519
// encapsulated key (1120 bytes), the ciphertext and its 16-byte tag
// (envelope.ReasonOverhead; a test keeps them equal).
const (
	SealedReasonVersion  = 1
	SealedReasonOverhead = 1 + 1120 + 16
)

// ValidateSealedReason checks the form of a request's sealed reason:
// empty, or a sealed reason of 1 to maxLength bytes. Only the owner can
// read it; the client checks the plaintext with ValidateReason before
// sealing it.
func ValidateSealedReason(sealed []byte, maxLength uint32) error {
	if len(sealed) == 0 {
		return nil
	}
	if sealed[0] != SealedReasonVersion || len(sealed) <= SealedReasonOverhead {
		return errorsmod.Wrapf(ErrInvalidRequest, "sealed_reason is not a sealed reason (version %d, at least %d bytes): reasons are sealed to the owner's encryption key, never sent in the clear",
			SealedReasonVersion, SealedReasonOverhead+1)
	}
	if n := len(sealed) - SealedReasonOverhead; uint64(n) > recordstypes.SealedLength(maxLength) {
		return errorsmod.Wrapf(ErrInvalidRequest, "sealed_reason holds a reason of over %d bytes; the limit is %d (params max_reason_length)", n-recordstypes.SealBlock, maxLength)
	}
	return nil
}

// ValidateReason checks a request's reason before the client seals it:
// short, printable, one line.
func ValidateReason(reason string, maxLength uint32) error {
	if uint32(len(reason)) > maxLength {
		return errorsmod.Wrapf(ErrInvalidRequest, "reason is %d bytes; the limit is %d (it is public: say why in a few words, without health details)", len(reason), maxLength)
	}
	if !utf8.ValidString(reason) {
		return errorsmod.Wrap(ErrInvalidRequest, "reason is not valid UTF-8")
	}
	for _, r := range reason {
		if !unicode.IsPrint(r) {
			return errorsmod.Wrapf(ErrInvalidRequest, "reason contains the non-printable character %U", r)
		}
	}
	return nil
}
