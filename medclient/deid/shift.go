package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// Date shifts are whole days, always into the past, between MinShiftDays
// and MaxShiftDays: far enough that a shifted date does not point at the
// real one, short enough that intervals and seasons stay plausible.
const (
	MinShiftDays = 365
	MaxShiftDays = 3652
)

// ShiftDays derives a patient's date shift from a secret only the patient
// holds (the CLI derives it from the patient's keyring key). The same
// secret always gives the same shift, so every study of one patient moves
// by the same number of days and intervals between them survive (PS3.15
// option 113107, Retain Longitudinal Temporal Information with Modified
// Dates); without the secret the shift cannot be learnt. The result is
// negative: dates move back by 365 to 3652 days.
func ShiftDays(secret []byte) (int, error) {
	if len(secret) < 16 {
		return 0, errors.New("deid: the date-shift secret must have at least 16 bytes")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("medchain deid date shift v1"))
	n := binary.BigEndian.Uint64(m.Sum(nil)[:8])
	span := uint64(MaxShiftDays - MinShiftDays + 1)
	return -(MinShiftDays + int(n%span)), nil
}
