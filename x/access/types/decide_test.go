package types_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// state is an AccessState over maps, as a keeper or a light client would
// read it.
type state struct {
	auth    map[string]authorisation
	entries map[string]types.AccessEntry
	// emergency holds open emergency entries by patient/practitioner.
	emergency map[string]types.EmergencyEntry
	fail      error
}

type authorisation struct {
	ok  bool
	org sdk.AccAddress
	why string
}

func entryKey(recordID uint64, owner, who sdk.AccAddress, p types.Permission) string {
	if recordID != 0 {
		return "record/" + string(rune('0'+recordID)) + "/" + who.String() + "/" + p.Label()
	}
	return "scope/" + owner.String() + "/" + who.String() + "/" + p.Label()
}

func (s state) Authorisation(_ context.Context, addr sdk.AccAddress) (bool, sdk.AccAddress, string, error) {
	if s.fail != nil {
		return false, nil, "", s.fail
	}
	a, ok := s.auth[addr.String()]
	if !ok {
		return false, nil, "not a registered issuer or practitioner", nil
	}
	return a.ok, a.org, a.why, nil
}

func (s state) Entry(_ context.Context, recordID uint64, owner, who sdk.AccAddress, p types.Permission) (types.AccessEntry, bool, error) {
	e, ok := s.entries[entryKey(recordID, owner, who, p)]
	return e, ok, nil
}

func (s state) AddressString(a sdk.AccAddress) string { return a.String() }

func (s state) Emergency(_ context.Context, patient, practitioner sdk.AccAddress) (types.EmergencyEntry, bool, error) {
	e, ok := s.emergency[patient.String()+"/"+practitioner.String()]
	return e, ok, nil
}

// Decide is the one place the access rules live; the keeper's CheckAccess
// and the light client's verified check both read state into it. Every
// kind of asker against every kind of grant.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	owner, doctor, hospital, stranger, suspendedDoctor := sample.Addr("owner"), sample.Addr("doctor"), sample.Addr("hospital"), sample.Addr("stranger"), sample.Addr("suspdoc")
	record := recordstypes.Record{Id: 3, Owner: owner.String(), Kind: recordstypes.RecordKindDICOM, Status: recordstypes.RecordStatusActive}
	redacted := record
	redacted.Status = recordstypes.RecordStatusRedacted
	read, write := types.PermissionRead, types.PermissionWrite
	base := state{
		auth: map[string]authorisation{
			doctor.String():          {ok: true, org: hospital},
			hospital.String():        {ok: true, org: hospital},
			suspendedDoctor.String(): {ok: false, org: hospital, why: "organisation is SUSPENDED"},
		},
		entries: map[string]types.AccessEntry{},
	}
	with := func(entries map[string]types.AccessEntry) state {
		s := base
		s.entries = entries
		return s
	}
	withEmergencyFor := func(who sdk.AccAddress, e types.EmergencyEntry) state {
		s := base
		s.emergency = map[string]types.EmergencyEntry{owner.String() + "/" + who.String(): e}
		return s
	}
	withEmergency := func(e types.EmergencyEntry) state { return withEmergencyFor(doctor, e) }
	for name, tc := range map[string]struct {
		s        state
		record   recordstypes.Record
		who      sdk.AccAddress
		perm     types.Permission
		allowed  bool
		reason   string
		holder   sdk.AccAddress
		viaOrg   bool
		grantID  uint64
		checkErr bool
	}{
		"owner reads":         {s: base, record: record, who: owner, perm: read, allowed: true, reason: "owner", holder: owner},
		"owner writes":        {s: base, record: record, who: owner, perm: write, allowed: true, reason: "owner", holder: owner},
		"redacted, owner too": {s: base, record: redacted, who: owner, perm: read, reason: "record 3 is redacted"},
		"stranger":            {s: base, record: record, who: stranger, perm: read, reason: "no live READ grant"},
		"record grant": {s: with(map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7}}),
			record: record, who: doctor, perm: read, allowed: true, reason: "grant 7", holder: doctor, grantID: 7},
		"record grant, expired": {s: with(map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7, ExpiresAt: &past}}),
			record: record, who: doctor, perm: read, reason: "grant 7 expired at " + past.String()},
		"record grant, not yet expired": {s: with(map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7, ExpiresAt: &future}}),
			record: record, who: doctor, perm: read, allowed: true, reason: "grant 7", holder: doctor, grantID: 7},
		"scope grant covering the kind": {s: with(map[string]types.AccessEntry{entryKey(0, owner, stranger, read): {GrantId: 8, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM}}}),
			record: record, who: stranger, perm: read, allowed: true, reason: "grant 8", holder: stranger, grantID: 8},
		"scope grant of another kind": {s: with(map[string]types.AccessEntry{entryKey(0, owner, stranger, read): {GrantId: 8, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindFHIR}}}),
			record: record, who: stranger, perm: read, reason: "no live READ grant"},
		"read grant does not let write": {s: with(map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7}}),
			record: record, who: doctor, perm: write, reason: "no live WRITE grant"},
		"via the organisation": {s: with(map[string]types.AccessEntry{entryKey(0, owner, hospital, write): {GrantId: 9}}),
			record: record, who: doctor, perm: write, allowed: true, reason: "grant 9 to organisation " + hospital.String(), holder: hospital, viaOrg: true, grantID: 9},
		"own grant before the organisation's": {s: with(map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7}, entryKey(3, owner, hospital, read): {GrantId: 9}}),
			record: record, who: doctor, perm: read, allowed: true, reason: "grant 7", holder: doctor, grantID: 7},
		"suspended organisation's doctor reads with no grant of its own": {s: with(map[string]types.AccessEntry{entryKey(3, owner, hospital, read): {GrantId: 9}}),
			record: record, who: suspendedDoctor, perm: read, reason: "no live READ grant"},
		"suspended organisation's doctor may not write": {s: with(map[string]types.AccessEntry{entryKey(3, owner, suspendedDoctor, write): {GrantId: 5}}),
			record: record, who: suspendedDoctor, perm: write, reason: "not an authorised issuer: organisation is SUSPENDED"},
		"a stranger may not write even with a grant": {s: with(map[string]types.AccessEntry{entryKey(3, owner, stranger, write): {GrantId: 5}}),
			record: record, who: stranger, perm: write, reason: "not an authorised issuer: not a registered issuer or practitioner"},
		"emergency access covering the record": {s: withEmergency(types.EmergencyEntry{AccessId: 4, ExpiresAt: future}),
			record: record, who: doctor, perm: read, allowed: true, reason: "emergency access 4", holder: types.EmergencyReader(owner)},
		"emergency access to another record": {s: withEmergency(types.EmergencyEntry{AccessId: 4, RecordId: 9, ExpiresAt: future}),
			record: record, who: doctor, perm: read, reason: "no live READ grant"},
		"emergency access to other kinds": {s: withEmergency(types.EmergencyEntry{AccessId: 4, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindFHIR}, ExpiresAt: future}),
			record: record, who: doctor, perm: read, reason: "no live READ grant"},
		"emergency access after its window": {s: withEmergency(types.EmergencyEntry{AccessId: 4, ExpiresAt: now}),
			record: record, who: doctor, perm: read, reason: "no live READ grant"},
		"emergency access does not let write": {s: withEmergency(types.EmergencyEntry{AccessId: 4, ExpiresAt: future}),
			record: record, who: doctor, perm: write, reason: "no live WRITE grant"},
		"emergency access of a doctor whose hospital is suspended": {s: withEmergencyFor(suspendedDoctor, types.EmergencyEntry{AccessId: 4, ExpiresAt: future}),
			record: record, who: suspendedDoctor, perm: read, reason: "no live READ grant"},
		"a grant answers before an emergency access": {s: func() state {
			s := withEmergency(types.EmergencyEntry{AccessId: 4, ExpiresAt: future})
			s.entries = map[string]types.AccessEntry{entryKey(3, owner, doctor, read): {GrantId: 7}}
			return s
		}(), record: record, who: doctor, perm: read, allowed: true, reason: "grant 7", holder: doctor, grantID: 7},
		"emergency access to a redacted record": {s: withEmergency(types.EmergencyEntry{AccessId: 4, ExpiresAt: future}),
			record: redacted, who: doctor, perm: read, reason: "record 3 is redacted"},
		"state that cannot be read": {s: state{fail: errors.New("store down")}, record: record, who: doctor, perm: read, checkErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := types.Decide(context.Background(), tc.s, tc.record, owner, tc.who, tc.perm, now)
			if tc.checkErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.allowed, d.Allowed)
			require.Equal(t, tc.reason, d.Reason)
			require.Equal(t, tc.holder, d.Holder)
			require.Equal(t, tc.viaOrg, d.ViaOrganisation)
			require.Equal(t, tc.grantID, d.GrantID)
		})
	}
}
