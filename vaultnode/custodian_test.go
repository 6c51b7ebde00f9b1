package vaultnode

import (
	"testing"
	"time"
)

// TestCustodianDailyBound: a node releases to one practitioner at most
// perDay times in any 24 hours, counts each practitioner apart, and lets
// old releases age out.
func TestCustodianDailyBound(t *testing.T) {
	c := &Custodian{perDay: 2, released: map[string][]time.Time{}}
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	release := func(p string, at time.Time) bool {
		if !c.withinBound(p, at) {
			return false
		}
		c.released[p] = append(c.released[p], at)
		return true
	}
	if !release("grey", t0) || !release("grey", t0.Add(time.Hour)) {
		t.Fatal("the first two releases to a practitioner were withheld")
	}
	if release("grey", t0.Add(2*time.Hour)) {
		t.Fatal("a third release within 24 hours went out")
	}
	if !release("house", t0.Add(2*time.Hour)) {
		t.Fatal("another practitioner was held to grey's count")
	}
	if !release("grey", t0.Add(24*time.Hour)) {
		t.Fatal("the first release did not age out after 24 hours")
	}
	unbounded := &Custodian{released: map[string][]time.Time{}}
	for i := range 50 {
		if !unbounded.withinBound("grey", t0.Add(time.Duration(i)*time.Minute)) {
			t.Fatal("perDay 0 bounded the releases")
		}
		unbounded.released["grey"] = append(unbounded.released["grey"], t0)
	}
}
