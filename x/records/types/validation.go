package types

import (
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	"cosmossdk.io/core/address"

	"github.com/medchain/medchain/envelope/sizeclass"
)

const (
	// MaxWraps bounds the wraps one message may carry.
	MaxWraps = 128

	// MaxWrapCiphertextBytes bounds one sealed record key. An HPKE
	// ML-KEM-768 + X25519 encapsulation with a sealed 32-byte key is about
	// 1.2 KB.
	MaxWrapCiphertextBytes = 4096

	// MaxKeyIDLength bounds a wrap's key id.
	MaxKeyIDLength = 128

	// SealedLabelVersion starts every sealed label.
	SealedLabelVersion = 1
	// SealedLabelOverhead is what sealing adds to a label: the version
	// byte, a 24-byte XChaCha20-Poly1305 nonce and its 16-byte tag
	// (envelope.LabelOverhead; a test keeps them equal).
	SealedLabelOverhead = 1 + 24 + 16
	// SealBlock is the block a sealed label's or reason's plaintext is
	// padded to (envelope.SealBlock).
	SealBlock = 16
)

// SealedLength is how long the padded plaintext of a sealed text of at
// most maxLength bytes may be: maxLength rounded up to a SealBlock.
func SealedLength(maxLength uint32) uint64 {
	return (uint64(maxLength) + SealBlock - 1) / SealBlock * SealBlock
}

// ValidateSealedLabel checks the form of a sealed label: empty (no label),
// or the version byte and a ciphertext of a label of 1 to maxLength bytes.
// The chain cannot read it, so it cannot check what it says; the client
// checks the plaintext with ValidateLabel before sealing it.
func ValidateSealedLabel(sealed []byte, maxLength uint32) error {
	if len(sealed) == 0 {
		return nil
	}
	if sealed[0] != SealedLabelVersion || len(sealed) <= SealedLabelOverhead {
		return errorsmod.Wrapf(ErrInvalidLabel, "sealed_label is not a sealed label (version %d, at least %d bytes): labels are sealed under the record key, never sent in the clear",
			SealedLabelVersion, SealedLabelOverhead+1)
	}
	if n := len(sealed) - SealedLabelOverhead; uint64(n) > SealedLength(maxLength) {
		return errorsmod.Wrapf(ErrInvalidLabel, "sealed_label holds a label of over %d bytes; the limit is %d (params max_label_length)", n-SealBlock, maxLength)
	}
	return nil
}

// ValidateLabel checks an optional label: at most maxLength bytes of valid,
// printable UTF-8 (no newlines or other control characters).
func ValidateLabel(label string, maxLength uint32) error {
	if uint64(len(label)) > uint64(maxLength) {
		return errorsmod.Wrapf(ErrInvalidLabel, "label is %d bytes; the limit is %d (params max_label_length)", len(label), maxLength)
	}
	if !utf8.ValidString(label) {
		return errorsmod.Wrap(ErrInvalidLabel, "label is not valid UTF-8")
	}
	for i, r := range label {
		if !unicode.IsPrint(r) {
			return errorsmod.Wrapf(ErrInvalidLabel, "label has a non-printable character %U at byte %d; use printable text on one line", r, i)
		}
	}
	return nil
}

// ValidateKind checks that k is a defined kind.
func ValidateKind(k RecordKind) error {
	if !k.IsValid() {
		return errorsmod.Wrapf(ErrInvalidKind, "kind %s; use one of: %s", k, ValidRecordKinds())
	}
	return nil
}

// ValidateMetadata checks the metadata of a new record against params: a
// defined kind that params allow, a padded size and a well-formed sealed
// label.
func ValidateMetadata(kind RecordKind, sizeBytes uint64, sealedLabel []byte, params Params) error {
	if err := ValidateKind(kind); err != nil {
		return err
	}
	if !params.KindAllowed(kind) {
		return errorsmod.Wrapf(ErrKindNotAllowed, "kind %s is not allowed on this chain; allowed: %s", kind.Label(), kindSpellings(params.AllowedKinds))
	}
	if err := ValidateSize(sizeBytes); err != nil {
		return err
	}
	return ValidateSealedLabel(sealedLabel, params.MaxLabelLength)
}

// ValidateSize checks the size of a new encrypted payload: positive (age
// ciphertext is never empty) and a Padmé size class, since clients pad
// payloads before encrypting them and an exact size would tell what the
// payload is. Stored records keep whatever size they were created with.
func ValidateSize(sizeBytes uint64) error {
	if sizeBytes == 0 {
		return errorsmod.Wrap(ErrInvalidSize, "size_bytes is 0; give the size of the encrypted payload")
	}
	if !sizeclass.IsClass(sizeBytes) {
		return errorsmod.Wrapf(ErrInvalidSize, "size_bytes %d is not a padded size class (the next is %d): pad the payload before encrypting it, as the medchaind client does",
			sizeBytes, sizeclass.Padme(sizeBytes))
	}
	return nil
}

// ValidateWrapsShape checks what can be checked of wraps without knowing the
// grants: 1 to MaxWraps wraps, each for a distinct, well-formed grantee,
// with a bounded key id and a non-empty, bounded ciphertext. It returns the
// grantees' address bytes in wrap order.
func ValidateWrapsShape(wraps []KeyWrap, addressCodec address.Codec) ([][]byte, error) {
	if len(wraps) == 0 {
		return nil, errorsmod.Wrap(ErrInvalidWraps, "no wraps; the record key must be wrapped at least for the owner")
	}
	if len(wraps) > MaxWraps {
		return nil, errorsmod.Wrapf(ErrInvalidWraps, "%d wraps; at most %d are accepted", len(wraps), MaxWraps)
	}
	grantees := make([][]byte, len(wraps))
	seen := make(map[string]bool, len(wraps))
	for i, w := range wraps {
		bz, err := addressCodec.StringToBytes(w.Grantee)
		if err != nil || len(bz) == 0 {
			return nil, errorsmod.Wrapf(ErrInvalidWraps, "wraps[%d]: grantee %q is not an account address", i, w.Grantee)
		}
		if seen[string(bz)] {
			return nil, errorsmod.Wrapf(ErrInvalidWraps, "wraps[%d]: grantee %s has more than one wrap", i, w.Grantee)
		}
		seen[string(bz)] = true
		if len(w.KeyId) > MaxKeyIDLength {
			return nil, errorsmod.Wrapf(ErrInvalidWraps, "wraps[%d]: key_id is %d bytes; the limit is %d", i, len(w.KeyId), MaxKeyIDLength)
		}
		if len(w.Ciphertext) == 0 {
			return nil, errorsmod.Wrapf(ErrInvalidWraps, "wraps[%d]: ciphertext for %s is empty", i, w.Grantee)
		}
		if len(w.Ciphertext) > MaxWrapCiphertextBytes {
			return nil, errorsmod.Wrapf(ErrInvalidWraps, "wraps[%d]: ciphertext is %d bytes; the limit is %d", i, len(w.Ciphertext), MaxWrapCiphertextBytes)
		}
		grantees[i] = bz
	}
	return grantees, nil
}

// CheckWrapBinding checks that every wrap says it is for recordID at
// keyEpoch (a new record's wraps say record 0 until the chain fills in the
// id). The HPKE info binds the epoch's CID and number, so a wrap of
// another key epoch could never be opened: the client is told instead.
func CheckWrapBinding(wraps []KeyWrap, recordID, keyEpoch uint64) error {
	for i, w := range wraps {
		if w.RecordId != recordID {
			return errorsmod.Wrapf(ErrInvalidWraps,
				"wraps[%d] for %s says record %d, but this is record %d (a new record's wraps may give record_id 0 for the chain to fill in)",
				i, w.Grantee, w.RecordId, recordID)
		}
		if w.KeyEpoch != keyEpoch {
			return errorsmod.Wrapf(ErrInvalidWraps,
				"wraps[%d] for %s seals key epoch %d, but record %d is at key epoch %d",
				i, w.Grantee, w.KeyEpoch, recordID, keyEpoch)
		}
	}
	return nil
}
