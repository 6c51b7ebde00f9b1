// Package enrolment is the one-time code by which a patient tells one
// hospital's DICOMweb bridge "the patient your systems know by these
// identifiers is this account". The patient's client signs, with the
// account key, a statement naming the chain, the hospital, an expiry and a
// random nonce (an ADR-036 document, which wallets also sign); the code
// carries the patient's address, the expiry, the nonce and the signature.
// The hospital's front desk enters it with the local identifiers, or scans
// it as a QR code; the bridge checks the signature against the account's
// public key on chain, the hospital and the expiry, and spends the nonce.
// The chain never sees it.
//
// The package has no chain dependency, so the browser portal (Go compiled
// to WebAssembly) makes codes with the same code as the CLI.
package enrolment

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/envelope"
)

// Prefix starts every enrolment code (version 1).
const Prefix = "MCE1"

// MaxLifetime bounds how far ahead a code may expire.
const MaxLifetime = 7 * 24 * time.Hour

// Encoding is the code's alphabet after the prefix: base32, unpadded.
var Encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Code is what a code says.
type Code struct {
	Patient  string // bech32 address
	Hospital string // bech32 address of the hospital it is for
	ChainID  string
	Expires  time.Time
	Nonce    [8]byte
	sig      []byte
}

// Statement is the data the patient signs.
func (c Code) Statement() []byte {
	return fmt.Appendf(nil, "medchain enrolment v1\nchain %s\nhospital %s\npatient %s\nexpires %d\nnonce %s",
		c.ChainID, c.Hospital, c.Patient, c.Expires.Unix(), hex.EncodeToString(c.Nonce[:]))
}

// SignDoc is the ADR-036 document the patient's key signs.
func (c Code) SignDoc() []byte { return envelope.SignDataDoc(c.Patient, c.Statement()) }

// Signature is the code's signature of SignDoc.
func (c Code) Signature() []byte { return c.sig }

// NonceKey names the code's nonce among the used ones.
func (c Code) NonceKey() string { return c.Patient + "/" + hex.EncodeToString(c.Nonce[:]) }

// Signer signs an ADR-036 document with the patient's account key.
type Signer func(doc []byte) ([]byte, error)

// New makes the code by which patient enrols at hospital on chainID until
// expires, signed with sign.
func New(chainID, hospital, patient string, expires time.Time, sign Signer) (string, error) {
	if time.Until(expires) > MaxLifetime {
		return "", fmt.Errorf("an enrolment code lives at most %s", MaxLifetime)
	}
	c := Code{Patient: patient, Hospital: hospital, ChainID: chainID, Expires: expires}
	if _, err := rand.Read(c.Nonce[:]); err != nil {
		return "", err
	}
	_, addr, err := bech32.DecodeAndConvert(patient)
	if err != nil {
		return "", fmt.Errorf("patient address %q: %w", patient, err)
	}
	sig, err := sign(c.SignDoc())
	if err != nil {
		return "", err
	}
	if len(addr) > 255 {
		return "", errors.New("address too long for a code")
	}
	buf := []byte{byte(len(addr))}
	buf = append(buf, addr...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expires.Unix()))
	buf = append(buf, c.Nonce[:]...)
	buf = append(buf, sig...)
	return Prefix + Encoding.EncodeToString(buf), nil
}

// Parse reads a code (spaces, dashes and case are ignored, so that it can
// be typed in groups) for hospital on chainID. The signature is checked
// separately, with the patient's public key (it must verify SignDoc).
func Parse(code, chainID, hospital, bech32Prefix string) (Code, error) {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\n", "", "\t", "").Replace(code))
	if !strings.HasPrefix(code, Prefix) {
		return Code{}, fmt.Errorf("not a medchain enrolment code (it starts with %s)", Prefix)
	}
	buf, err := Encoding.DecodeString(code[len(Prefix):])
	if err != nil {
		return Code{}, fmt.Errorf("enrolment code mistyped: %w", err)
	}
	if len(buf) < 1 || len(buf) < 1+int(buf[0])+8+8+1 {
		return Code{}, errors.New("enrolment code too short: part of it is missing")
	}
	n := int(buf[0])
	addr, rest := buf[1:1+n], buf[1+n:]
	patient, err := bech32.ConvertAndEncode(bech32Prefix, addr)
	if err != nil {
		return Code{}, err
	}
	c := Code{Patient: patient, Hospital: hospital, ChainID: chainID,
		Expires: time.Unix(int64(binary.BigEndian.Uint64(rest[:8])), 0)}
	copy(c.Nonce[:], rest[8:16])
	c.sig = rest[16:]
	return c, nil
}
