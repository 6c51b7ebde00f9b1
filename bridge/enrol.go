package bridge

import (
	"errors"
	"fmt"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"

	"github.com/medchain/medchain/bridge/enrolment"
)

// Enrolment is a patient's enrolment code, read (package enrolment makes
// and reads codes; the bridge checks them against the chain).
type Enrolment struct{ enrolment.Code }

// ParseEnrolmentCode reads a code for hospital on chainID.
func ParseEnrolmentCode(code, chainID, hospital, bech32Prefix string) (Enrolment, error) {
	c, err := enrolment.Parse(code, chainID, hospital, bech32Prefix)
	return Enrolment{c}, err
}

// Verify checks the code's signature with the patient's account key and
// its expiry at now.
func (e Enrolment) Verify(pub cryptotypes.PubKey, now time.Time) error {
	if pub == nil {
		return fmt.Errorf("account %s has no public key on chain yet: the patient must have sent a transaction (register an encryption key) before enrolling", e.Patient)
	}
	if !pub.VerifySignature(e.SignDoc(), e.Signature()) {
		return errors.New("enrolment code refused: its signature does not match (mistyped, made for another hospital or chain, or not the patient's)")
	}
	if now.After(e.Expires) {
		return fmt.Errorf("enrolment code expired at %s: the patient makes a new one", e.Expires.UTC().Format(time.RFC3339))
	}
	if e.Expires.Sub(now) > enrolment.MaxLifetime {
		return fmt.Errorf("enrolment code expires too far ahead (%s): at most %s", e.Expires.UTC().Format(time.RFC3339), enrolment.MaxLifetime)
	}
	return nil
}
