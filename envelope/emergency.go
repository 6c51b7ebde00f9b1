package envelope

import (
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/secretsharing"
)

// Emergency access and key recovery rest on one secret per patient: the
// emergency secret, a random scalar of the Ristretto255 group. It derives
// an encryption key pair (the emergency key) that every record key of the
// patient is also wrapped to, and it is split with Shamir's scheme (with
// Feldman commitments, cloudflare/circl) into one share per custodian
// hospital, each sealed to that hospital's encryption key. Fewer than the
// threshold of shares say nothing about the secret; the threshold recovers
// it, and with it the emergency key.

const (
	emergencyKeyInfo     = "medchain/emergency-key/v1"
	emergencyShareInfo   = "medchain/emergency-share/v1"
	emergencyReleaseInfo = "medchain/emergency-release/v1"
	recoveryReleaseInfo  = "medchain/recovery-release/v1"

	// scalarSize is a Ristretto255 scalar's and element's encoded size.
	scalarSize = 32
	// shareSize is a share's plaintext: its index (4 bytes) and value.
	shareSize = 4 + scalarSize
	// SealedShareSize is the size of a share sealed to an encryption key.
	SealedShareSize = EncapsulatedKeySize + shareSize + TagSize
	// CommitmentSize is the size of one Feldman commitment.
	CommitmentSize = scalarSize
	// MaxCustodians bounds the shares of one secret.
	MaxCustodians = 16
)

// ErrShare means a share is malformed, does not open, or does not belong
// to the emergency key it claims (its Feldman check fails).
var ErrShare = errors.New("emergency share refused")

var emergencyGroup = group.Ristretto255

// EmergencySecret is a patient's emergency secret.
type EmergencySecret struct{ s group.Scalar }

// NewEmergencySecret draws a fresh emergency secret.
func NewEmergencySecret() *EmergencySecret {
	return &EmergencySecret{s: emergencyGroup.RandomNonZeroScalar(rand.Reader)}
}

// KeyPair derives the emergency key pair: HKDF-SHA256 of the secret's
// encoding feeds the KEM's DeriveKeyPair, so the same secret always gives
// the same key.
func (e *EmergencySecret) KeyPair() (*KeyPair, error) {
	bz, err := e.s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Key(sha256.New, bz, nil, emergencyKeyInfo, 64)
	if err != nil {
		return nil, err
	}
	priv, err := KEM().DeriveKeyPair(ikm)
	if err != nil {
		return nil, fmt.Errorf("deriving the emergency key: %w", err)
	}
	return newKeyPair(priv), nil
}

// Share is one custodian's share of an emergency secret: Index is its
// place in the policy's custodian list plus one.
type Share struct {
	Index uint32
	value group.Scalar
}

func (sh Share) marshal() ([]byte, error) {
	v, err := sh.value.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(nil, sh.Index), v...), nil
}

func unmarshalShare(b []byte) (Share, error) {
	if len(b) != shareSize {
		return Share{}, fmt.Errorf("%w: a share is %d bytes, not %d", ErrShare, shareSize, len(b))
	}
	v := emergencyGroup.NewScalar()
	if err := v.UnmarshalBinary(b[4:]); err != nil {
		return Share{}, fmt.Errorf("%w: %v", ErrShare, err)
	}
	return Share{Index: binary.BigEndian.Uint32(b[:4]), value: v}, nil
}

// Split divides the secret into n shares, threshold of which recover it,
// and returns them with the Feldman commitments (threshold of
// CommitmentSize bytes) that let anyone check a share against the secret
// without learning it.
func (e *EmergencySecret) Split(threshold, n int) ([]Share, [][]byte, error) {
	if threshold < 2 || threshold > n || n > MaxCustodians {
		return nil, nil, fmt.Errorf("splitting the emergency secret: %d of %d custodians: the threshold must be 2 to the number of custodians, at most %d", threshold, n, MaxCustodians)
	}
	ss := secretsharing.New(rand.Reader, uint(threshold-1), e.s)
	raw := ss.Share(uint(n))
	shares := make([]Share, n)
	for i, r := range raw {
		shares[i] = Share{Index: uint32(i + 1), value: r.Value}
	}
	var commitments [][]byte
	for _, c := range ss.CommitSecret() {
		bz, err := c.MarshalBinaryCompress()
		if err != nil {
			return nil, nil, err
		}
		commitments = append(commitments, bz)
	}
	return shares, commitments, nil
}

// ShareBinding is what a sealed share is bound to: the chain, the patient,
// the emergency key it is a share of, and whom it is sealed to. A release
// (a share re-sealed by a custodian) is also bound to its recipient and to
// the request it answers: an emergency access (Recipient the practitioner)
// or, with Recovery, a key recovery (Recipient the new owner). The two
// kinds of release have distinct HPKE infos, so neither passes for the
// other.
type ShareBinding struct {
	ChainID        string
	Patient        string
	EmergencyKeyID string
	Custodian      string
	Index          uint32
	Recipient      string // releases only
	Request        uint64 // releases only: the emergency access or recovery id
	Recovery       bool   // releases only: for a key recovery
}

func (b ShareBinding) info(release bool) []byte {
	if !release {
		info := lengthPrefixed(emergencyShareInfo, b.ChainID, b.Patient, b.EmergencyKeyID, b.Custodian)
		return binary.BigEndian.AppendUint32(info, b.Index)
	}
	prefix := emergencyReleaseInfo
	if b.Recovery {
		prefix = recoveryReleaseInfo
	}
	info := lengthPrefixed(prefix, b.ChainID, b.Patient, b.EmergencyKeyID, b.Custodian, b.Recipient)
	info = binary.BigEndian.AppendUint32(info, b.Index)
	return binary.BigEndian.AppendUint64(info, b.Request)
}

func (b ShareBinding) check(release bool) error {
	if b.ChainID == "" || b.Patient == "" || b.EmergencyKeyID == "" || b.Custodian == "" || b.Index == 0 {
		return errors.New("an emergency share needs a chain id, patient, emergency key id, custodian and index")
	}
	if release && (b.Recipient == "" || b.Request == 0) {
		return errors.New("a share release needs a recipient and the id of the emergency access or recovery it answers")
	}
	return nil
}

// SealShare seals sh to the custodian's encryption public key (or, for a
// release, to the practitioner's), bound to b.
func SealShare(publicKey []byte, sh Share, b ShareBinding, release bool) ([]byte, error) {
	if err := b.check(release); err != nil {
		return nil, err
	}
	if sh.Index != b.Index {
		return nil, fmt.Errorf("sealing share %d as share %d", sh.Index, b.Index)
	}
	pk, err := ParsePublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("sealing an emergency share: %w", err)
	}
	pt, err := sh.marshal()
	if err != nil {
		return nil, err
	}
	return hpke.Seal(pk, KDF(), AEAD(), b.info(release), pt)
}

// OpenShare opens a share SealShare sealed to kp, checks that it is the
// share b names and that it belongs to the secret of commitments (the
// policy's Feldman commitments).
func OpenShare(kp *KeyPair, sealed []byte, b ShareBinding, release bool, commitments [][]byte) (Share, error) {
	if err := b.check(release); err != nil {
		return Share{}, err
	}
	if len(sealed) != SealedShareSize {
		return Share{}, fmt.Errorf("%w: a sealed share is %d bytes, not %d", ErrShare, SealedShareSize, len(sealed))
	}
	var pt []byte
	var err error
	for _, k := range kp.candidates() {
		if pt, err = hpke.Open(k.private, KDF(), AEAD(), b.info(release), sealed); err == nil {
			break
		}
	}
	if err != nil {
		return Share{}, fmt.Errorf("%w: share %d from %s does not open with key %s: it was modified or sealed to another key, access or patient", ErrShare, b.Index, b.Custodian, kp.KeyID())
	}
	sh, err := unmarshalShare(pt)
	if err != nil {
		return Share{}, err
	}
	if sh.Index != b.Index {
		return Share{}, fmt.Errorf("%w: %s sent share %d as share %d", ErrShare, b.Custodian, sh.Index, b.Index)
	}
	if err := VerifyShare(sh, commitments); err != nil {
		return Share{}, fmt.Errorf("%w (from %s)", err, b.Custodian)
	}
	return sh, nil
}

func parseCommitments(commitments [][]byte) (secretsharing.SecretCommitment, error) {
	c := make(secretsharing.SecretCommitment, len(commitments))
	for i, bz := range commitments {
		c[i] = emergencyGroup.NewElement()
		if err := c[i].UnmarshalBinary(bz); err != nil {
			return nil, fmt.Errorf("%w: commitment %d is not a Ristretto255 element", ErrShare, i)
		}
	}
	return c, nil
}

// VerifyShare checks sh against the Feldman commitments of a sharing
// whose threshold is len(commitments).
func VerifyShare(sh Share, commitments [][]byte) error {
	if len(commitments) < 2 {
		return fmt.Errorf("%w: %d commitments, at least 2 expected", ErrShare, len(commitments))
	}
	c, err := parseCommitments(commitments)
	if err != nil {
		return err
	}
	id := emergencyGroup.NewScalar().SetUint64(uint64(sh.Index))
	if sh.Index == 0 || !secretsharing.Verify(uint(len(c)-1), secretsharing.Share{ID: id, Value: sh.value}, c) {
		return fmt.Errorf("%w: share %d is not a share of this emergency key", ErrShare, sh.Index)
	}
	return nil
}

// CheckCommitments checks that commitments are well-formed Ristretto255
// elements, as many as threshold; the chain runs it on every policy.
func CheckCommitments(commitments [][]byte, threshold int) error {
	if len(commitments) != threshold {
		return fmt.Errorf("%d commitments for a threshold of %d", len(commitments), threshold)
	}
	_, err := parseCommitments(commitments)
	return err
}

// RecoverSecret recovers the emergency secret from threshold shares
// (len(commitments)) that passed OpenShare, and checks that it derives
// the emergency key keyID. Duplicate shares count once.
func RecoverSecret(shares []Share, commitments [][]byte, keyID string) (*EmergencySecret, error) {
	t := len(commitments)
	seen := map[uint32]bool{}
	var distinct []secretsharing.Share
	for _, sh := range shares {
		if sh.Index == 0 || seen[sh.Index] {
			continue
		}
		if err := VerifyShare(sh, commitments); err != nil {
			return nil, err
		}
		seen[sh.Index] = true
		distinct = append(distinct, secretsharing.Share{ID: emergencyGroup.NewScalar().SetUint64(uint64(sh.Index)), Value: sh.value})
	}
	if len(distinct) < t {
		return nil, fmt.Errorf("%d of the %d shares needed to recover the emergency key: wait for more custodians to release theirs", len(distinct), t)
	}
	s, err := secretsharing.Recover(uint(t-1), distinct)
	if err != nil {
		return nil, err
	}
	secret := &EmergencySecret{s: s}
	kp, err := secret.KeyPair()
	if err != nil {
		return nil, err
	}
	if kp.KeyID() != keyID {
		return nil, fmt.Errorf("%w: the shares recover emergency key %s, the policy's is %s", ErrShare, kp.KeyID(), keyID)
	}
	return secret, nil
}
