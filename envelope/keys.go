package envelope

import (
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

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

// DerivationMessage is what an account signed, up to release v0.4.0, to
// derive its encryption key: the legacy (generation 1) derivation, which
// names no chain. Any site that obtained one signature of it derived the
// account's key for good, on every chain. It is kept only so that wraps
// sealed to such a key still open (DeriveLegacyKeyPair); it must never
// change.
const DerivationMessage = "medchain encryption key v1\nThis signature derives your medchain encryption key. Sign it only in a medchain client."

// derivationInfo separates the HKDF output of the legacy derivation from
// any other use of the signature.
const derivationInfo = "medchain/encryption-key/v1"

// DerivationText is what an account signs to derive its encryption key on
// chainID: it says what the signature is for and names the chain, so the
// signature (and so the key) of one chain opens nothing on another, and a
// wallet shows the user exactly what they approve. The text for a chain
// must never change: a new text means new keys.
func DerivationText(chainID string) string {
	return "medchain encryption key v2\n" +
		"chain: " + chainID + "\n" +
		"Signing this derives the key that opens every medical record shared with you on " + chainID + ". " +
		"Anyone who obtains this signature can read them: sign it only in medchaind or your hospital's medchain portal."
}

// derivationInfoV2 separates the HKDF output of the chain-bound
// derivation; the chain id is in the signed text.
const derivationInfoV2 = "medchain/encryption-key/v2"

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

// KeyPair is an account's encryption key pair. It may also hold the
// account's earlier key pairs (WithEarlier), which open what is still
// sealed to an earlier key: Unwrap, OpenShare and OpenReason use them.
type KeyPair struct {
	private   hpke.PrivateKey
	publicKey []byte
	keyID     string

	earlierOnce sync.Once
	earlierFn   func() ([]*KeyPair, error)
	earlier     []*KeyPair
	earlierErr  error
}

// WithEarlier makes the account's earlier key pairs available through kp:
// derive is called at most once, when something does not open with kp
// itself (so a Ledger signs the legacy derivation only if it is needed).
// It returns kp.
func (kp *KeyPair) WithEarlier(derive func() ([]*KeyPair, error)) *KeyPair {
	kp.earlierFn = derive
	return kp
}

// candidates is kp, then its earlier key pairs (derived now if they have
// not been), for what names no key id.
func (kp *KeyPair) candidates() []*KeyPair {
	out := []*KeyPair{kp}
	if kp.earlierFn == nil {
		return out
	}
	kp.earlierOnce.Do(func() { kp.earlier, kp.earlierErr = kp.earlierFn() })
	return append(out, kp.earlier...)
}

// ForKeyID is kp or the earlier key pair whose key id is id, or an error
// wrapping ErrWrongKey.
func (kp *KeyPair) ForKeyID(id string) (*KeyPair, error) {
	if kp.keyID == id {
		return kp, nil
	}
	for _, e := range kp.candidates()[1:] {
		if e.keyID == id {
			return e, nil
		}
	}
	if kp.earlierErr != nil {
		return nil, fmt.Errorf("%w: sealed to encryption key %s, not yours (%s); deriving your earlier keys failed: %v", ErrWrongKey, id, kp.keyID, kp.earlierErr)
	}
	return nil, fmt.Errorf("%w: sealed to encryption key %s, yours is %s: re-register your key or ask the owner to grant again", ErrWrongKey, id, kp.keyID)
}

// DeriveKeyPair derives the encryption key pair of the account signerAddr
// (bech32), whose key signs through sign, on the chain chainID. The account
// signs DerivationText(chainID) as an ADR-036 document; HKDF-SHA256 turns
// the signature into the input keying material of the KEM's
// DeriveKeyPair. The same account key always gives the same key pair on a
// chain, and another on any other chain.
func DeriveKeyPair(chainID, signerAddr string, sign Signer) (*KeyPair, error) {
	if chainID == "" {
		return nil, errors.New("deriving the encryption key: the chain id is empty (give --chain-id): the key is bound to its chain")
	}
	return deriveKeyPair(signerAddr, sign, DerivationText(chainID), derivationInfoV2)
}

// DeriveLegacyKeyPair derives the key pair of the legacy derivation
// (DerivationMessage, no chain): the key accounts registered up to release
// v0.4.0. Clients derive it only to open what is still sealed to such a
// key; new keys come from DeriveKeyPair.
func DeriveLegacyKeyPair(signerAddr string, sign Signer) (*KeyPair, error) {
	return deriveKeyPair(signerAddr, sign, DerivationMessage, derivationInfo)
}

func deriveKeyPair(signerAddr string, sign Signer, text, info string) (*KeyPair, error) {
	if signerAddr == "" {
		return nil, errors.New("deriving the encryption key: the signer address is empty")
	}
	if sign == nil {
		return nil, errors.New("deriving the encryption key: no signer")
	}
	sig, err := sign(SignDataDoc(signerAddr, []byte(text)))
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key: signing the derivation message as %s: %w", signerAddr, err)
	}
	if len(sig) < minSignatureSize {
		return nil, fmt.Errorf("deriving the encryption key: the signature of %s is %d bytes, at least %d expected: sign with a secp256k1 account key", signerAddr, len(sig), minSignatureSize)
	}
	ikm, err := hkdf.Key(sha256.New, sig, nil, info, 64)
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
