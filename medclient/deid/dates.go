package deid

import (
	"regexp"
	"strings"
	"time"
)

// DICOM date helpers for option 113107 (Retain Longitudinal Temporal
// Information with Modified Dates): dates move by a whole number of days,
// times stay as they are. Every helper returns ok = false for a value it
// cannot read; the caller then empties the attribute rather than keep a
// date it could not shift.

var (
	// reDA is one DA value, YYYYMMDD (PS3.5 Table 6.2-1).
	reDA = regexp.MustCompile(`^[0-9]{8}$`)
	// reTM is one TM value, HH[MM[SS[.F{1,6}]]].
	reTM = regexp.MustCompile(`^[0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?$`)
	// reDTRest is what follows the date in a DT value:
	// [HH[MM[SS[.F{1,6}]]]][&ZZXX].
	reDTRest = regexp.MustCompile(`^([0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?)?([+-][0-9]{4})?$`)
)

// shiftDate shifts one YYYYMMDD date by days.
func shiftDate(s string, days int) (string, bool) {
	if !reDA.MatchString(s) {
		return "", false
	}
	d, err := time.Parse("20060102", s)
	if err != nil { // e.g. 20230230
		return "", false
	}
	d = d.AddDate(0, 0, days)
	if d.Year() < 1 || d.Year() > 9999 {
		return "", false
	}
	return d.Format("20060102"), true
}

// eachValue applies f to every value of a multi-valued attribute (values
// separated by backslashes) and to both ends of a range (A-B, -B, A-);
// empty values stay empty.
func eachValue(v string, ranges bool, f func(string) (string, bool)) (string, bool) {
	vals := strings.Split(v, `\`)
	for i, one := range vals {
		one = strings.TrimSpace(one)
		if one == "" {
			vals[i] = ""
			continue
		}
		parts := []string{one}
		if ranges {
			parts = strings.Split(one, "-")
			if len(parts) > 2 || (len(parts) == 2 && parts[0] == "" && parts[1] == "") {
				return "", false
			}
		}
		for j, p := range parts {
			if p == "" && len(parts) == 2 {
				continue // open range end
			}
			s, ok := f(p)
			if !ok {
				return "", false
			}
			parts[j] = s
		}
		vals[i] = strings.Join(parts, "-")
	}
	return strings.Join(vals, `\`), true
}

// ShiftDA shifts a DA value (one date, several separated by backslashes,
// or a range) by days.
func ShiftDA(v string, days int) (string, bool) {
	return eachValue(v, true, func(s string) (string, bool) { return shiftDate(s, days) })
}

// ShiftDT shifts the date part of a DT value by days and keeps its time
// and UTC offset. A DT without a full date (YYYY or YYYYMM only) cannot be
// moved by a number of days and is not ok.
func ShiftDT(v string, days int) (string, bool) {
	return eachValue(v, false, func(s string) (string, bool) {
		if len(s) < 8 || !reDTRest.MatchString(s[8:]) {
			return "", false
		}
		d, ok := shiftDate(s[:8], days)
		return d + s[8:], ok
	})
}

// CheckTM returns a TM value unchanged (a whole-day shift leaves times of
// day as they are) if it is well formed.
func CheckTM(v string) (string, bool) {
	return eachValue(v, true, func(s string) (string, bool) { return s, reTM.MatchString(s) })
}

// shiftByVR shifts a DA, DT or TM value; ok is false for other VRs and for
// values that do not parse.
func shiftByVR(vr, v string, days int) (string, bool) {
	switch vr {
	case "DA":
		return ShiftDA(v, days)
	case "DT":
		return ShiftDT(v, days)
	case "TM":
		return CheckTM(v)
	}
	return "", false
}
