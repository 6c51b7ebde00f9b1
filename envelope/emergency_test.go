package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/cloudflare/circl/secretsharing"
)

type emergencyFixture struct {
	secret      *EmergencySecret
	keyID       string
	custodians  []*KeyPair
	names       []string
	sealed      [][]byte
	commitments [][]byte
}

func shareBinding(f emergencyFixture, i int) ShareBinding {
	return ShareBinding{ChainID: "medchain-test-1", Patient: "med1patient", EmergencyKeyID: f.keyID, Custodian: f.names[i], Index: uint32(i + 1)}
}

func newEmergencyFixture(t *testing.T, threshold, n int) emergencyFixture {
	t.Helper()
	f := emergencyFixture{secret: NewEmergencySecret()}
	kp, err := f.secret.KeyPair()
	if err != nil {
		t.Fatal(err)
	}
	f.keyID = kp.KeyID()
	shares, commitments, err := f.secret.Split(threshold, n)
	if err != nil {
		t.Fatal(err)
	}
	f.commitments = commitments
	for i := range n {
		f.custodians = append(f.custodians, keyPairFromSeed(t, byte(100+i)))
		f.names = append(f.names, "med1hospital"+string(rune('a'+i)))
		ct, err := SealShare(f.custodians[i].PublicKey(), shares[i], shareBinding(f, i), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != SealedShareSize {
			t.Fatalf("sealed share is %d bytes, SealedShareSize says %d", len(ct), SealedShareSize)
		}
		f.sealed = append(f.sealed, ct)
	}
	return f
}

// release does what a custodian's node does: open its share and re-seal
// it to the practitioner for one emergency access.
func (f emergencyFixture) release(t *testing.T, i int, practitioner *KeyPair, access uint64) []byte {
	t.Helper()
	sh, err := OpenShare(f.custodians[i], f.sealed[i], shareBinding(f, i), false, f.commitments)
	if err != nil {
		t.Fatal(err)
	}
	b := shareBinding(f, i)
	b.Recipient, b.Request = "med1doctor", access
	ct, err := SealShare(practitioner.PublicKey(), sh, b, true)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func TestEmergencyThresholdRecovery(t *testing.T) {
	f := newEmergencyFixture(t, 2, 3)
	doctor := keyPairFromSeed(t, 7)
	want, _ := f.secret.KeyPair()
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {2, 1}} {
		var shares []Share
		for _, i := range pair {
			b := shareBinding(f, i)
			b.Recipient, b.Request = "med1doctor", 9
			sh, err := OpenShare(doctor, f.release(t, i, doctor, 9), b, true, f.commitments)
			if err != nil {
				t.Fatalf("custodians %v: %v", pair, err)
			}
			shares = append(shares, sh)
		}
		got, err := RecoverSecret(shares, f.commitments, f.keyID)
		if err != nil {
			t.Fatalf("custodians %v: %v", pair, err)
		}
		kp, _ := got.KeyPair()
		if !bytes.Equal(kp.PublicKey(), want.PublicKey()) {
			t.Fatalf("custodians %v recovered another key", pair)
		}
	}
}

func TestEmergencyFewerThanThresholdRecoverNothing(t *testing.T) {
	f := newEmergencyFixture(t, 3, 4)
	var shares []Share
	for i := range 2 {
		sh, err := OpenShare(f.custodians[i], f.sealed[i], shareBinding(f, i), false, f.commitments)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	if _, err := RecoverSecret(shares, f.commitments, f.keyID); err == nil {
		t.Fatal("two shares of a 3-of-4 secret recovered it")
	}
	// The same share twice is still one share.
	if _, err := RecoverSecret(append(shares, shares[0]), f.commitments, f.keyID); err == nil {
		t.Fatal("a repeated share counted twice")
	}
	// T-1 real shares and any guess at the last one interpolate to some
	// other secret: the guess fails its Feldman check, and forced through
	// the interpolation it gives a key that is not the patient's.
	guess := Share{Index: 3, value: emergencyGroup.RandomScalar(rand.Reader)}
	if err := VerifyShare(guess, f.commitments); !errors.Is(err, ErrShare) {
		t.Fatalf("a guessed share passed the Feldman check: %v", err)
	}
	other, err := recoverUnchecked(append(shares, guess), 3)
	if err != nil {
		t.Fatal(err)
	}
	kp, _ := other.KeyPair()
	if kp.KeyID() == f.keyID {
		t.Fatal("two shares and a guess recovered the emergency key")
	}
}

func TestEmergencyShareRefusals(t *testing.T) {
	f := newEmergencyFixture(t, 2, 3)
	doctor := keyPairFromSeed(t, 7)
	good := f.release(t, 0, doctor, 9)
	rb := shareBinding(f, 0)
	rb.Recipient, rb.Request = "med1doctor", 9
	if _, err := OpenShare(doctor, good, rb, true, f.commitments); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-20] ^= 1
	otherAccess, otherPatient, asShare2 := rb, rb, rb
	otherAccess.Request = 10
	otherPatient.Patient = "med1someoneelse"
	asShare2.Index = 2
	otherCommitments := newEmergencyFixture(t, 2, 3).commitments
	cases := map[string]struct {
		kp          *KeyPair
		sealed      []byte
		b           ShareBinding
		commitments [][]byte
	}{
		"flipped bit":                       {doctor, flipped, rb, f.commitments},
		"truncated":                         {doctor, good[:len(good)-1], rb, f.commitments},
		"another access":                    {doctor, good, otherAccess, f.commitments},
		"another patient":                   {doctor, good, otherPatient, f.commitments},
		"presented as another custodian's":  {doctor, good, asShare2, f.commitments},
		"opened by someone else":            {keyPairFromSeed(t, 8), good, rb, f.commitments},
		"checked against another policy":    {doctor, good, rb, otherCommitments},
		"custodian's own share, as release": {f.custodians[0], f.sealed[0], rb, f.commitments},
	}
	for name, c := range cases {
		if _, err := OpenShare(c.kp, c.sealed, c.b, true, c.commitments); !errors.Is(err, ErrShare) {
			t.Errorf("%s: got %v, want ErrShare", name, err)
		}
	}
	// Shares of another secret, though they verify against their own
	// commitments, recover a key that is not the policy's.
	g := newEmergencyFixture(t, 2, 3)
	var shares []Share
	for i := range 2 {
		sh, err := OpenShare(g.custodians[i], g.sealed[i], shareBinding(g, i), false, g.commitments)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	if _, err := RecoverSecret(shares, g.commitments, f.keyID); !errors.Is(err, ErrShare) {
		t.Fatalf("another secret's shares: got %v, want ErrShare", err)
	}
}

func TestEmergencySplitBounds(t *testing.T) {
	s := NewEmergencySecret()
	for _, c := range [][2]int{{1, 3}, {4, 3}, {0, 0}, {2, MaxCustodians + 1}} {
		if _, _, err := s.Split(c[0], c[1]); err == nil {
			t.Errorf("split %d of %d accepted", c[0], c[1])
		}
	}
	if err := CheckCommitments([][]byte{make([]byte, 32), {1}}, 2); err == nil {
		t.Error("malformed commitments accepted")
	}
}

// recoverUnchecked interpolates shares without any check, as an attacker
// holding them would.
func recoverUnchecked(shares []Share, threshold int) (*EmergencySecret, error) {
	var raw []secretsharing.Share
	for _, sh := range shares {
		raw = append(raw, secretsharing.Share{ID: emergencyGroup.NewScalar().SetUint64(uint64(sh.Index)), Value: sh.value})
	}
	s, err := secretsharing.Recover(uint(threshold-1), raw)
	if err != nil {
		return nil, err
	}
	return &EmergencySecret{s: s}, nil
}

// TestRecoveryReleaseIsNotAnEmergencyRelease: a share released for a key
// recovery does not open as one released for an emergency access with the
// same recipient and id, nor the other way round.
func TestRecoveryReleaseIsNotAnEmergencyRelease(t *testing.T) {
	f := newEmergencyFixture(t, 2, 2)
	doctor := keyPairFromSeed(t, 7)
	sh, err := OpenShare(f.custodians[0], f.sealed[0], shareBinding(f, 0), false, f.commitments)
	if err != nil {
		t.Fatal(err)
	}
	b := shareBinding(f, 0)
	b.Recipient, b.Request, b.Recovery = "med1doctor", 9, true
	ct, err := SealShare(doctor.PublicKey(), sh, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenShare(doctor, ct, b, true, f.commitments); err != nil {
		t.Fatalf("the recovery release does not open as one: %v", err)
	}
	b.Recovery = false
	if _, err := OpenShare(doctor, ct, b, true, f.commitments); !errors.Is(err, ErrShare) {
		t.Fatalf("a recovery release opened as an emergency release: %v", err)
	}
}
