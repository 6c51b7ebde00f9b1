package types

import (
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"
)

// Sizes of the only supported suite, HPKE with ML-KEM-768 + X25519: a
// serialized public key, and the encapsulated key that starts every wrap.
const (
	MLKEM768X25519PublicKeySize = 1184 + 32
	MLKEM768X25519EncSize       = 1088 + 32
	// AEADTagSize is the ChaCha20-Poly1305 tag a sealed record key carries.
	AEADTagSize = 16
	// MaxRecordKeySize bounds the sealed plaintext: the record key (an age
	// identity string) is far smaller.
	MaxRecordKeySize = 256
)

// KeyID is the id of an encryption public key: the lower-case hex of the
// first 8 bytes of its SHA-256. Clients compute the same id.
func KeyID(publicKey []byte) string {
	sum := sha256.Sum256(publicKey)
	return hex.EncodeToString(sum[:8])
}

// ValidatePublicKey parses publicKey as a key of algorithm with crypto/hpke
// and rejects anything else.
func ValidatePublicKey(algorithm KeyAlgorithm, publicKey []byte) error {
	kem, err := algorithm.KEM()
	if err != nil {
		return err
	}
	if _, err := kem.NewPublicKey(publicKey); err != nil {
		return errorsmod.Wrapf(ErrInvalidKey,
			"public_key (%d bytes) is not an %s public key (%d bytes expected): %s; derive it with `medchaind keys encryption-key`",
			len(publicKey), algorithm.Label(), MLKEM768X25519PublicKeySize, err)
	}
	return nil
}

// KEM returns the HPKE KEM of a, or ErrUnknownAlgorithm.
func (a KeyAlgorithm) KEM() (hpke.KEM, error) {
	switch a {
	case KeyAlgorithmMLKEM768X25519:
		return hpke.MLKEM768X25519(), nil
	default:
		return nil, errorsmod.Wrapf(ErrUnknownAlgorithm, "key algorithm %s; the supported algorithm is %s", a, KeyAlgorithmMLKEM768X25519.Label())
	}
}

// Label is the algorithm's short name.
func (a KeyAlgorithm) Label() string {
	switch a {
	case KeyAlgorithmMLKEM768X25519:
		return "ML-KEM-768-X25519"
	default:
		return a.String()
	}
}

// WrapSizeBounds returns the smallest and largest ciphertext a wrap sealed
// to a key of algorithm a can have (enc || sealed record key).
func (a KeyAlgorithm) WrapSizeBounds() (minSize, maxSize int, err error) {
	switch a {
	case KeyAlgorithmMLKEM768X25519:
		return MLKEM768X25519EncSize + AEADTagSize + 1, MLKEM768X25519EncSize + AEADTagSize + MaxRecordKeySize, nil
	default:
		_, err := a.KEM()
		return 0, 0, err
	}
}
