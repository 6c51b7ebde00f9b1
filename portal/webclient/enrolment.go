package webclient

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/medchain/medchain/bridge/enrolment"
)

// EnrolmentValidities are the lifetimes the portal offers for an
// enrolment code: an hour (at the desk), a day (the CLI's default) and a
// week (enrolment.MaxLifetime).
var EnrolmentValidities = []time.Duration{time.Hour, 24 * time.Hour, enrolment.MaxLifetime}

// EnrolmentCode makes, with the CLI's code (package bridge/enrolment), the
// one-time code by which patient enrols at hospital's DICOMweb bridge on
// chainID, valid from now for valid (one of EnrolmentValidities). sign
// signs the ADR-036 document with the patient's account key (in the page,
// the wallet). It returns the code and when it expires (the code carries
// whole seconds).
func EnrolmentCode(chainID, hospital, patient string, valid time.Duration, now time.Time,
	sign func(doc []byte) ([]byte, error)) (string, time.Time, error) {
	if chainID == "" {
		return "", time.Time{}, errors.New("the chain id is unknown")
	}
	ok := false
	for _, v := range EnrolmentValidities {
		ok = ok || v == valid
	}
	if !ok {
		return "", time.Time{}, fmt.Errorf("an enrolment code is valid for 1h, 24h or 7 days, not %s", valid)
	}
	patientPrefix, _, err := bech32.DecodeAndConvert(patient)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("patient address %q: %w", patient, err)
	}
	hospital = strings.TrimSpace(hospital)
	hospitalPrefix, _, err := bech32.DecodeAndConvert(hospital)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("hospital address %q: %w", hospital, err)
	}
	if hospitalPrefix != patientPrefix {
		return "", time.Time{}, fmt.Errorf("hospital address %q is not an account of this chain (prefix %s)", hospital, patientPrefix)
	}
	if hospital == patient {
		return "", time.Time{}, errors.New("choose a hospital: an enrolment code is not for your own account")
	}
	// The code carries the expiry in whole seconds: truncate so that what
	// the page shows is what the bridge reads.
	expires := now.Add(valid).Truncate(time.Second)
	if valid == enrolment.MaxLifetime {
		// enrolment.New measures the lifetime from its own clock, a moment
		// later than now: a week less a second stays within it.
		expires = expires.Add(-time.Second)
	}
	code, err := enrolment.New(chainID, hospital, patient, expires, sign)
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}
