package envelope

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// # Sealed metadata
//
// The chain holds no readable free text. A record's label is sealed under
// its record key (SealLabel): whoever can read the record can read its
// label, nobody else. A request's reason is sealed to the encryption key
// of the patient asked (SealReason). Both start with a version byte, and
// the plaintext is padded with zero bytes to a multiple of SealBlock, so a
// ciphertext's length says only roughly how long the text is (labels and
// reasons are printable text, never zero bytes).

const (
	sealedVersion = 1
	labelInfo     = "medchain/label/v1"
	reasonInfo    = "medchain/reason/v1"

	// LabelOverhead is what sealing adds to a label: the version byte, a
	// 24-byte XChaCha20-Poly1305 nonce and the tag.
	LabelOverhead = 1 + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
	// ReasonOverhead is what sealing adds to a reason: the version byte,
	// the HPKE encapsulated key and the tag.
	ReasonOverhead = 1 + EncapsulatedKeySize + TagSize
	// SealBlock is the block sealed text is padded to.
	SealBlock = 16
)

// padText pads text with zero bytes to a multiple of SealBlock.
func padText(text string) []byte {
	n := (len(text) + SealBlock - 1) / SealBlock * SealBlock
	b := make([]byte, n)
	copy(b, text)
	return b
}

// unpadText removes padText's zero bytes.
func unpadText(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }

// ErrSealed means sealed metadata does not open with the key given: the
// reader is not one of its readers, or it was modified or moved from
// another record or request.
var ErrSealed = errors.New("sealed metadata does not open with this key")

// labelAEAD derives the label key from the record key with HKDF-SHA256.
func labelAEAD(key RecordKey) (aeadX, error) {
	if key.identity == nil {
		return nil, errNoRecordKey
	}
	k, err := hkdf.Key(sha256.New, key.Bytes(), nil, labelInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.NewX(k)
}

type aeadX interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

// lengthPrefixed is info or additional data: a prefix, then each field as
// a uvarint length and its bytes, so distinct field lists never collide.
func lengthPrefixed(prefix string, fields ...string) []byte {
	b := []byte(prefix)
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// SealLabel seals a record's label under its record key, bound to the
// record's owner. An empty label seals to nothing.
func SealLabel(key RecordKey, owner, label string) ([]byte, error) {
	if label == "" {
		return nil, nil
	}
	aead, err := labelAEAD(key)
	if err != nil {
		return nil, err
	}
	padded := padText(label)
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, LabelOverhead+len(padded))
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], padded, lengthPrefixed(labelInfo, owner)), nil
}

// OpenLabel opens what SealLabel returned. Nothing sealed opens to "".
func OpenLabel(key RecordKey, owner string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	if len(sealed) < LabelOverhead || sealed[0] != sealedVersion {
		return "", fmt.Errorf("%w: %d bytes is not a sealed label of version %d", ErrSealed, len(sealed), sealedVersion)
	}
	aead, err := labelAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := sealed[1 : 1+chacha20poly1305.NonceSizeX]
	pt, err := aead.Open(nil, nonce, sealed[1+chacha20poly1305.NonceSizeX:], lengthPrefixed(labelInfo, owner))
	if err != nil {
		return "", fmt.Errorf("%w: the label is sealed under another record key or was modified", ErrSealed)
	}
	return unpadText(pt), nil
}

// ReasonBinding is what a sealed reason is bound to: the chain, who asks
// and whom.
type ReasonBinding struct {
	ChainID   string
	Requester string
	Owner     string
}

func (b ReasonBinding) info() []byte {
	return lengthPrefixed(reasonInfo, b.ChainID, b.Requester, b.Owner)
}

// SealReason seals a request's reason to the encryption public key of the
// patient asked, with HPKE bound to b. An empty reason seals to nothing.
func SealReason(ownerPublicKey []byte, reason string, b ReasonBinding) ([]byte, error) {
	if reason == "" {
		return nil, nil
	}
	pk, err := ParsePublicKey(ownerPublicKey)
	if err != nil {
		return nil, fmt.Errorf("sealing the reason for %s: %w", b.Owner, err)
	}
	ct, err := hpke.Seal(pk, KDF(), AEAD(), b.info(), padText(reason))
	if err != nil {
		return nil, fmt.Errorf("sealing the reason for %s: %w", b.Owner, err)
	}
	return append([]byte{sealedVersion}, ct...), nil
}

// OpenReason opens what SealReason returned, with the owner's key pair.
func OpenReason(kp *KeyPair, sealed []byte, b ReasonBinding) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	if kp == nil {
		return "", errors.New("opening a reason: no encryption key pair")
	}
	if len(sealed) < ReasonOverhead || sealed[0] != sealedVersion {
		return "", fmt.Errorf("%w: %d bytes is not a sealed reason of version %d", ErrSealed, len(sealed), sealedVersion)
	}
	var pt []byte
	var err error
	for _, k := range kp.candidates() {
		if pt, err = hpke.Open(k.private, KDF(), AEAD(), b.info(), sealed[1:]); err == nil {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w: the reason is sealed to another key, for another request, or was modified", ErrSealed)
	}
	return unpadText(pt), nil
}
