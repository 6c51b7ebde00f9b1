package bridge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/bridge/enrolment"
)

// account is a patient's key for tests.
type account struct {
	key  *secp256k1.PrivKey
	addr string
}

func newAccount(t *testing.T) account {
	k := secp256k1.GenPrivKey()
	addr, err := bech32.ConvertAndEncode("med", k.PubKey().Address())
	require.NoError(t, err)
	return account{k, addr}
}

func (a account) sign(doc []byte) ([]byte, error) { return a.key.Sign(doc) }

func newStore(t *testing.T) *Store {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"), []byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	return s
}

// TestEnrolmentCode: a code enrols the patient who signed it, at the
// hospital and on the chain it names, once, before it expires; a code
// another account signed, a mistyped one, or one for another hospital is
// refused, and nothing is recorded.
func TestEnrolmentCode(t *testing.T) {
	alice, mallory := newAccount(t), newAccount(t)
	hospital, other := newAccount(t).addr, newAccount(t).addr
	now := time.Now()
	code, err := enrolment.New("medchain-1", hospital, alice.addr, now.Add(time.Hour), alice.sign)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(code, enrolment.Prefix))

	e, err := ParseEnrolmentCode(strings.ToLower(code[:20])+"-"+code[20:], "medchain-1", hospital, "med")
	require.NoError(t, err, "case and dashes do not matter")
	require.Equal(t, alice.addr, e.Patient)
	require.NoError(t, e.Verify(alice.key.PubKey(), now))
	require.ErrorContains(t, e.Verify(mallory.key.PubKey(), now), "signature does not match", "another account's key")
	require.ErrorContains(t, e.Verify(nil, now), "no public key on chain")
	require.ErrorContains(t, e.Verify(alice.key.PubKey(), now.Add(2*time.Hour)), "expired")

	for what, c := range map[string]struct{ chain, hospital string }{
		"another hospital": {"medchain-1", other},
		"another chain":    {"medchain-2", hospital},
	} {
		e, err := ParseEnrolmentCode(code, c.chain, c.hospital, "med")
		require.NoError(t, err)
		require.ErrorContains(t, e.Verify(alice.key.PubKey(), now), "signature does not match", what)
	}
	// A code whose address was swapped for mallory's keeps alice's
	// signature, which mallory's key does not verify.
	raw, err := enrolment.Encoding.DecodeString(code[len(enrolment.Prefix):])
	require.NoError(t, err)
	_, malloryAddr, _ := bech32.DecodeAndConvert(mallory.addr)
	copy(raw[1:], malloryAddr)
	swapped, err := ParseEnrolmentCode(enrolment.Prefix+enrolment.Encoding.EncodeToString(raw), "medchain-1", hospital, "med")
	require.NoError(t, err)
	require.Equal(t, mallory.addr, swapped.Patient)
	require.Error(t, swapped.Verify(mallory.key.PubKey(), now))

	_, err = ParseEnrolmentCode("MCE1ABC", "medchain-1", hospital, "med")
	require.ErrorContains(t, err, "too short")
	_, err = ParseEnrolmentCode("hello", "medchain-1", hospital, "med")
	require.ErrorContains(t, err, "not a medchain enrolment code")
	_, err = enrolment.New("medchain-1", hospital, alice.addr, now.Add(8*24*time.Hour), alice.sign)
	require.ErrorContains(t, err, "at most")

	// Enrolled once; the same code again is refused.
	p := NewPatients(newStore(t))
	pt, err := p.Enrol(e, "HOSP-A", "12345", false, now)
	require.NoError(t, err)
	require.Equal(t, alice.addr, pt.Address)
	got, err := p.Lookup("HOSP-A", "12345")
	require.NoError(t, err)
	require.Equal(t, alice.addr, got.Address)
	_, err = p.Enrol(e, "HOSP-A", "99999", false, now)
	require.ErrorContains(t, err, "already used")
	_, err = p.Lookup("HOSP-A", "99999")
	require.ErrorIs(t, err, ErrUnknownPatient)
	_, err = p.Lookup("HOSP-B", "12345")
	require.ErrorIs(t, err, ErrUnknownPatient, "the issuer is part of the identifier")

	// Another patient's code for an identifier already taken needs --replace.
	mcode, err := enrolment.New("medchain-1", hospital, mallory.addr, now.Add(time.Hour), mallory.sign)
	require.NoError(t, err)
	me, err := ParseEnrolmentCode(mcode, "medchain-1", hospital, "med")
	require.NoError(t, err)
	_, err = p.Enrol(me, "HOSP-A", "12345", false, now)
	require.ErrorContains(t, err, "enrolled as "+alice.addr)
	got, _ = p.Lookup("HOSP-A", "12345")
	require.Equal(t, alice.addr, got.Address, "a refused enrolment changes nothing")
	all, err := p.List()
	require.NoError(t, err)
	require.Len(t, all, 1)
}

// TestStoreAtRest: what the store writes names no identifier and opens
// only with its key; a damaged entry is an error, not a silent miss.
func TestStoreAtRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := OpenStore(dir, []byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	pt := Patient{PatientID: "PID-777-SECRET", Issuer: "HOSP-A", Address: "med1xyz", Enrolled: time.Now().UTC()}
	require.NoError(t, s.Put(tablePatients, patientKey(pt.Issuer, pt.PatientID), pt))
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		require.NotContains(t, path, "PID-777")
		if !info.IsDir() {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NotContains(t, string(data), "PID-777")
			require.NotContains(t, string(data), "med1xyz")
		}
		return nil
	})
	require.NoError(t, err)

	other, err := OpenStore(dir, []byte(strings.Repeat("x", 32)))
	require.NoError(t, err)
	var got Patient
	require.ErrorIs(t, other.Get(tablePatients, patientKey(pt.Issuer, pt.PatientID), &got), ErrNotFound, "another key names other files")
	require.ErrorContains(t, other.Each(tablePatients, func(string, json.RawMessage) error { return nil }), "does not open")

	require.NoError(t, s.Get(tablePatients, patientKey(pt.Issuer, pt.PatientID), &got))
	require.Equal(t, pt, got)
	files, _ := os.ReadDir(filepath.Join(dir, tablePatients))
	require.Len(t, files, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, tablePatients, files[0].Name()), []byte("garbage-garbage-garbage-garbage"), 0o600))
	require.ErrorContains(t, s.Get(tablePatients, patientKey(pt.Issuer, pt.PatientID), &got), "does not open")
}
