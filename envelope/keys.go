package envelope

import (
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/medchain/medchain/signdata"
)

// The HPKE suite of every medchain encryption key and wrap.
const (
	// AlgorithmName names the KEM in messages; the chain stores an enum.
	AlgorithmName = "ML-KEM-768-X25519"
	// PublicKeySize is the size of a serialized encryption public key
	// (ML-KEM-768 encapsulation key || X25519 point).
	PublicKeySize = 1184 + 32
	// EncapsulatedKeySize is the size of the KEM output that starts a wrap.
	EncapsulatedKeySize = 1088 + 32
	// TagSize is the ChaCha20-Poly1305 authentication tag.
	TagSize = 16
)

// KEM returns the HPKE KEM of medchain encryption keys, ML-KEM-768-X25519
// (X-Wing): post-quantum, and no weaker than X25519 if ML-KEM falls.
func KEM() hpke.KEM { return hpke.MLKEM768X25519() }

// KDF returns the HPKE KDF of medchain wraps, HKDF-SHA256.
func KDF() hpke.KDF { return hpke.HKDFSHA256() }

// AEAD returns the HPKE AEAD of medchain wraps, ChaCha20-Poly1305.
func AEAD() hpke.AEAD { return hpke.ChaCha20Poly1305() }

// DerivationMessage is what an account signs to derive its encryption key.
// It names its purpose so that no other protocol obtains the signature for
// its own ends, and it must never change: a new message means new keys.
const DerivationMessage = "medchain encryption key v1\nThis signature derives your medchain encryption key. Sign it only in a medchain client."

// derivationInfo separates the HKDF output from any other use of the
// signature.
const derivationInfo = "medchain/encryption-key/v1"

// minSignatureSize is a secp256k1 (or ed25519) signature's size; a shorter
// signature cannot carry enough secret to seed a key.
const minSignatureSize = 64

// Signer signs an amino JSON sign document with the account's key, as
// keyring.Sign with SIGN_MODE_LEGACY_AMINO_JSON does. It must be
// deterministic (secp256k1 signing in the Cosmos SDK, Keplr and Ledger uses
// RFC 6979), or the derived key changes with every signature.
type Signer func(doc []byte) (signature []byte, err error)

// SignDataDoc returns the ADR-036 "arbitrary data" sign document for data
// signed by signer (a bech32 address): canonical amino JSON of a zero-fee
// transaction with one sign/MsgSignData, byte for byte what Keplr's
// signArbitrary signs.
func SignDataDoc(signer string, data []byte) []byte { return signdata.Doc(signer, data) }

// KeyPair is an account's encryption key pair.
type KeyPair struct {
	private   hpke.PrivateKey
	publicKey []byte
	keyID     string
}

// DeriveKeyPair derives the encryption key pair of the account signerAddr
// (bech32) whose key signs through sign. The account signs
// DerivationMessage as an ADR-036 document; HKDF-SHA256 turns the
// signature into the input keying material of the KEM's DeriveKeyPair. The
// same account key always gives the same key pair.
func DeriveKeyPair(signerAddr string, sign Signer) (*KeyPair, error) {
	if signerAddr == "" {
		return nil, errors.New("deriving the encryption key: the signer address is empty")
	}
	if sign == nil {
		return nil, errors.New("deriving the encryption key: no signer")
	}
	sig, err := sign(SignDataDoc(signerAddr, []byte(DerivationMessage)))
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key: signing the derivation message as %s: %w", signerAddr, err)
	}
	if len(sig) < minSignatureSize {
		return nil, fmt.Errorf("deriving the encryption key: the signature of %s is %d bytes, at least %d expected: sign with a secp256k1 account key", signerAddr, len(sig), minSignatureSize)
	}
	ikm, err := hkdf.Key(sha256.New, sig, nil, derivationInfo, 64)
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key: %w", err)
	}
	priv, err := KEM().DeriveKeyPair(ikm)
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key: %w", err)
	}
	return newKeyPair(priv), nil
}

func newKeyPair(priv hpke.PrivateKey) *KeyPair {
	pub := priv.PublicKey().Bytes()
	return &KeyPair{private: priv, publicKey: pub, keyID: KeyID(pub)}
}

// PublicKey returns the serialized public key (PublicKeySize bytes), the
// value registered on chain.
func (kp *KeyPair) PublicKey() []byte {
	return append([]byte(nil), kp.publicKey...)
}

// KeyID returns the id of the key pair's public key.
func (kp *KeyPair) KeyID() string {
	return kp.keyID
}

// KeyID returns the id of an encryption public key: the lower-case hex of
// the first 8 bytes of its SHA-256. The chain computes the same id.
func KeyID(publicKey []byte) string {
	sum := sha256.Sum256(publicKey)
	return hex.EncodeToString(sum[:8])
}

// ParsePublicKey parses a serialized encryption public key. Anything that
// is not an ML-KEM-768-X25519 public key gives ErrUnknownAlgorithm.
func ParsePublicKey(b []byte) (hpke.PublicKey, error) {
	pk, err := KEM().NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: the public key is %d bytes, an %s public key is %d bytes (%v)",
			ErrUnknownAlgorithm, len(b), AlgorithmName, PublicKeySize, err)
	}
	return pk, nil
}
