package node

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	accesstypes "github.com/medchain/medchain/x/access/types"
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

// fakeCustodianChain answers a custodian's questions from fields and
// counts the releases it is asked to send.
type fakeCustodianChain struct {
	policy     accesstypes.EmergencyPolicy
	authorised map[string]bool
	releases   []uint64
}

func (f *fakeCustodianChain) Policy(_ context.Context, patient string) (accesstypes.EmergencyPolicy, bool, error) {
	return f.policy, f.policy.Patient == patient, nil
}

func (f *fakeCustodianChain) Authorised(_ context.Context, practitioner string) (bool, string, error) {
	return f.authorised[practitioner], "organisation is SUSPENDED", nil
}

func (f *fakeCustodianChain) Release(_ context.Context, a accesstypes.EmergencyAccess) error {
	f.releases = append(f.releases, a.Id)
	return nil
}

// TestCustodianReleases: a custodian node releases once per access, for
// patients whose current policy names its hospital, to practitioners
// x/issuers still authorises, within its daily bound, and only in auto
// mode.
func TestCustodianReleases(t *testing.T) {
	const self, other = "med1self", "med1other"
	policy := accesstypes.EmergencyPolicy{Patient: "med1alice", KeyId: "k1", Threshold: 2,
		Shares: []accesstypes.SealedShare{{Custodian: other}, {Custodian: self}}}
	access := func(id uint64, practitioner string) accesstypes.EmergencyAccess {
		return accesstypes.EmergencyAccess{Id: id, Patient: "med1alice", Practitioner: practitioner, EmergencyKeyId: "k1"}
	}
	newCustodian := func(mode string, perDay int) (*Custodian, *fakeCustodianChain) {
		chain := &fakeCustodianChain{policy: policy, authorised: map[string]bool{"med1grey": true, "med1house": true}}
		return &Custodian{self: self, mode: mode, perDay: perDay, log: nopLog{}, chain: chain,
			released: map[string][]time.Time{}, sent: map[uint64]time.Time{}, warned: map[uint64]bool{}, failed: map[uint64]string{}}, chain
	}
	ctx := context.Background()

	c, chain := newCustodian(ReleaseAuto, 5)
	require.NoError(t, c.consider(ctx, access(1, "med1grey")))
	require.NoError(t, c.consider(ctx, access(1, "med1grey")), "a second look before the block")
	require.Equal(t, []uint64{1}, chain.releases, "one release per access")

	released := access(2, "med1grey")
	released.Releases = []accesstypes.ShareRelease{{Custodian: self}}
	require.NoError(t, c.consider(ctx, released))
	otherPolicy := access(3, "med1grey")
	otherPolicy.EmergencyKeyId = "k0"
	require.NoError(t, c.consider(ctx, otherPolicy))
	otherPatient := access(4, "med1grey")
	otherPatient.Patient = "med1bob"
	require.NoError(t, c.consider(ctx, otherPatient))
	require.NoError(t, c.consider(ctx, access(5, "med1suspended")))
	require.Equal(t, []uint64{1}, chain.releases,
		"nothing for an access already released, under another policy, of a patient whose custodian it is not, or to a practitioner no longer authorised")

	bounded, chain := newCustodian(ReleaseAuto, 1)
	require.NoError(t, bounded.consider(ctx, access(6, "med1grey")))
	require.NoError(t, bounded.consider(ctx, access(7, "med1grey")))
	require.NoError(t, bounded.consider(ctx, access(8, "med1house")))
	require.Equal(t, []uint64{6, 8}, chain.releases, "the daily bound holds per practitioner")

	manual, chain := newCustodian(ReleaseManual, 5)
	require.NoError(t, manual.consider(ctx, access(9, "med1grey")))
	require.Empty(t, chain.releases, "manual mode leaves it to the operator")

	notCustodian, chain := newCustodian(ReleaseAuto, 5)
	notCustodian.self = "med1stranger"
	require.NoError(t, notCustodian.consider(ctx, access(10, "med1grey")))
	require.Empty(t, chain.releases)
}
