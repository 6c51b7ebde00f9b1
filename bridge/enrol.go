package bridge

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/envelope"
)

// An enrolment code is how a patient tells one hospital's bridge "the
// patient your systems know by these identifiers is this account": the
// patient's client signs, with the account key, a statement naming the
// chain, the hospital, an expiry and a random nonce (an ADR-036 document,
// which wallets also sign). The code carries the patient's address, the
// expiry, the nonce and the signature; the hospital's front desk enters it
// with the local identifiers (or scans it as a QR code). The bridge checks
// the signature against the account's public key on chain, the hospital
// and the expiry, and spends the nonce: a code enrols once, at one
// hospital, before it expires. The chain never sees it.

// codePrefix starts every enrolment code (version 1).
const codePrefix = "MCE1"

// MaxCodeLifetime bounds how far ahead an enrolment code may expire.
const MaxCodeLifetime = 7 * 24 * time.Hour

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Enrolment is what a code says.
type Enrolment struct {
	Patient  string // bech32 address
	Hospital string // bech32 address of the hospital it is for
	ChainID  string
	Expires  time.Time
	Nonce    [8]byte
	sig      []byte
}

// statement is the data the patient signs.
func (e Enrolment) statement() []byte {
	return fmt.Appendf(nil, "medchain enrolment v1\nchain %s\nhospital %s\npatient %s\nexpires %d\nnonce %s",
		e.ChainID, e.Hospital, e.Patient, e.Expires.Unix(), hex.EncodeToString(e.Nonce[:]))
}

// Signer signs an ADR-036 document with the patient's account key.
type Signer func(doc []byte) ([]byte, error)

// NewEnrolmentCode makes the code by which patient enrols at hospital on
// chainID until expires, signed with sign.
func NewEnrolmentCode(chainID, hospital, patient string, expires time.Time, sign Signer) (string, error) {
	if time.Until(expires) > MaxCodeLifetime {
		return "", fmt.Errorf("an enrolment code lives at most %s", MaxCodeLifetime)
	}
	e := Enrolment{Patient: patient, Hospital: hospital, ChainID: chainID, Expires: expires}
	if _, err := rand.Read(e.Nonce[:]); err != nil {
		return "", err
	}
	_, addr, err := bech32.DecodeAndConvert(patient)
	if err != nil {
		return "", fmt.Errorf("patient address %q: %w", patient, err)
	}
	sig, err := sign(envelope.SignDataDoc(patient, e.statement()))
	if err != nil {
		return "", err
	}
	if len(addr) > 255 || len(sig) > 255 {
		return "", errors.New("address or signature too long for a code")
	}
	buf := []byte{byte(len(addr))}
	buf = append(buf, addr...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expires.Unix()))
	buf = append(buf, e.Nonce[:]...)
	buf = append(buf, sig...)
	return codePrefix + codeEncoding.EncodeToString(buf), nil
}

// ParseEnrolmentCode reads a code (spaces, dashes and case are ignored, so
// that it can be typed in groups) for hospital on chainID. The signature is
// checked separately, with the patient's public key (Verify).
func ParseEnrolmentCode(code, chainID, hospital, bech32Prefix string) (Enrolment, error) {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\n", "", "\t", "").Replace(code))
	if !strings.HasPrefix(code, codePrefix) {
		return Enrolment{}, fmt.Errorf("not a medchain enrolment code (it starts with %s)", codePrefix)
	}
	buf, err := codeEncoding.DecodeString(code[len(codePrefix):])
	if err != nil {
		return Enrolment{}, fmt.Errorf("enrolment code mistyped: %w", err)
	}
	if len(buf) < 1 || len(buf) < 1+int(buf[0])+8+8+1 {
		return Enrolment{}, errors.New("enrolment code too short: part of it is missing")
	}
	n := int(buf[0])
	addr, rest := buf[1:1+n], buf[1+n:]
	patient, err := bech32.ConvertAndEncode(bech32Prefix, addr)
	if err != nil {
		return Enrolment{}, err
	}
	e := Enrolment{Patient: patient, Hospital: hospital, ChainID: chainID,
		Expires: time.Unix(int64(binary.BigEndian.Uint64(rest[:8])), 0)}
	copy(e.Nonce[:], rest[8:16])
	e.sig = rest[16:]
	return e, nil
}

// Verify checks the code's signature with the patient's account key and
// its expiry at now.
func (e Enrolment) Verify(pub cryptotypes.PubKey, now time.Time) error {
	if pub == nil {
		return fmt.Errorf("account %s has no public key on chain yet: the patient must have sent a transaction (register an encryption key) before enrolling", e.Patient)
	}
	if !pub.VerifySignature(envelope.SignDataDoc(e.Patient, e.statement()), e.sig) {
		return errors.New("enrolment code refused: its signature does not match (mistyped, made for another hospital or chain, or not the patient's)")
	}
	if now.After(e.Expires) {
		return fmt.Errorf("enrolment code expired at %s: the patient makes a new one", e.Expires.UTC().Format(time.RFC3339))
	}
	if e.Expires.Sub(now) > MaxCodeLifetime {
		return fmt.Errorf("enrolment code expires too far ahead (%s): at most %s", e.Expires.UTC().Format(time.RFC3339), MaxCodeLifetime)
	}
	return nil
}

// NonceKey names the code's nonce in the store's used-nonce table.
func (e Enrolment) NonceKey() string { return e.Patient + "/" + hex.EncodeToString(e.Nonce[:]) }
