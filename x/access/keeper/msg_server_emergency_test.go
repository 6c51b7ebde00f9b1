package keeper_test

import (
	"bytes"
	"crypto/hpke"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// emergencyReader is patient's emergency reader address.
func (f *fixture) emergencyReader(t testing.TB, patient string) string {
	t.Helper()
	bz, err := f.addressCodec.StringToBytes(patient)
	require.NoError(t, err)
	s, err := f.addressCodec.BytesToString(types.EmergencyReader(bz))
	require.NoError(t, err)
	return s
}

// policyMsg builds a policy of patient with custodians and threshold: a
// real Shamir split sealed to each custodian's key, an emergency key
// (whose private half the fixture keeps as the emergency reader's, so
// f.seal wraps to it) and one wrap per ACTIVE record of the patient.
func (f *fixture) policyMsg(t testing.TB, patient string, threshold int, custodians ...string) *types.MsgSetEmergencyPolicy {
	t.Helper()
	secret := envelope.NewEmergencySecret()
	shares, commitments, err := secret.Split(threshold, len(custodians))
	require.NoError(t, err)
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	reader := f.emergencyReader(t, patient)
	f.keys[reader] = priv
	msg := &types.MsgSetEmergencyPolicy{Patient: patient, Threshold: uint32(threshold), PublicKey: priv.PublicKey().Bytes(), Commitments: commitments}
	for i, c := range custodians {
		key, ok := f.keys[c]
		require.True(t, ok, "custodian %s has no key", c)
		ct, err := envelope.SealShare(key.PublicKey().Bytes(), shares[i], envelope.ShareBinding{
			ChainID: "test", Patient: patient, EmergencyKeyID: types.KeyID(msg.PublicKey), Custodian: c, Index: uint32(i + 1),
		}, false)
		require.NoError(t, err)
		msg.Shares = append(msg.Shares, types.SealedShare{Custodian: c, KeyId: types.KeyID(key.PublicKey().Bytes()), Ciphertext: ct})
	}
	owner, err := f.addressCodec.StringToBytes(patient)
	require.NoError(t, err)
	require.NoError(t, f.records.WalkOwnerRecords(f.ctx, owner, func(r recordstypes.Record) (bool, error) {
		if r.Status == recordstypes.RecordStatusActive {
			msg.Wraps = append(msg.Wraps, f.seal(t, r.Id, r.KeyEpoch, reader))
		}
		return false, nil
	}))
	return msg
}

// optIn gives patient a 2-of-2 policy with the two ACTIVE hospitals.
func (f *fixture) optIn(t testing.TB, patient string) *types.MsgSetEmergencyPolicy {
	t.Helper()
	msg := f.policyMsg(t, patient, 2, f.hospital, f.hospitalB)
	_, err := f.msgServer.SetEmergencyPolicy(f.freshCtx(), msg)
	require.NoError(t, err)
	return msg
}

func (f *fixture) breakGlass(t testing.TB, practitioner, patient string, recordID uint64) uint64 {
	t.Helper()
	resp, err := f.msgServer.EmergencyAccess(f.freshCtx(), &types.MsgEmergencyAccess{
		Practitioner: practitioner, Patient: patient, RecordId: recordID, Reason: types.EmergencyReasonUnableToConsent,
	})
	require.NoError(t, err)
	return resp.AccessId
}

// release is a custodian's release of the right size (the chain cannot
// open it; the practitioner's client checks it).
func release(custodian string, accessID uint64) *types.MsgReleaseShare {
	return &types.MsgReleaseShare{Custodian: custodian, AccessId: accessID, Ciphertext: bytes.Repeat([]byte{7}, envelope.SealedShareSize)}
}

// TestSetEmergencyPolicy: the patient's policy is stored and announced, the
// emergency key is the emergency reader's registered key, every record
// carries its emergency wrap, and from then on every new record and every
// rotation needs one.
func TestSetEmergencyPolicy(t *testing.T) {
	f := newFixture(t)
	first := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	second := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
	reader := f.emergencyReader(t, f.patient)
	msg := f.policyMsg(t, f.patient, 2, f.hospital, f.hospitalB)
	ctx := f.deliver(t, sending(f.msgServer.SetEmergencyPolicy, msg))
	keyID := types.KeyID(msg.PublicKey)
	events.Require(t, ctx, &types.EventEmergencyPolicySet{
		Patient: f.patient, Custodians: []string{f.hospital, f.hospitalB}, Threshold: 2, KeyId: keyID, Complete: true, WrappedThrough: second,
	})

	got, err := f.querier.EmergencyPolicy(f.ctx, &types.QueryEmergencyPolicyRequest{Patient: f.patient})
	require.NoError(t, err)
	require.Equal(t, reader, got.Policy.EmergencyReader)
	require.Equal(t, keyID, got.Policy.KeyId)
	require.Equal(t, []string{f.hospital, f.hospitalB}, got.Policy.Custodians())
	key, err := f.querier.EncryptionKey(f.ctx, &types.QueryEncryptionKeyRequest{Address: reader})
	require.NoError(t, err)
	require.Equal(t, msg.PublicKey, key.Key.PublicKey)
	for _, id := range []uint64{first, second} {
		w, ok := f.storedWrap(t, id, reader)
		require.True(t, ok, "record %d has no emergency wrap", id)
		require.Equal(t, keyID, w.KeyId)
	}
	// Nobody reads through the emergency reader without a break-glass.
	f.requireNoRead(t, first, f.doctor)

	// A new record without the emergency wrap is refused; with it, stored.
	requireRejected(t, f, types.ErrInvalidWraps, "no wrap for "+reader, func(ctx sdk.Context) error {
		_, err := f.recordsMsg.CreateRecord(ctx, f.createMsg(t, f.patient, f.patient, recordstypes.RecordKindDICOM))
		return err
	})
	third := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, reader)
	_, ok := f.storedWrap(t, third, reader)
	require.True(t, ok)

	// Replacing the policy replaces every emergency wrap.
	again := f.policyMsg(t, f.patient, 2, f.hospitalB, f.hospital)
	f.deliver(t, sending(f.msgServer.SetEmergencyPolicy, again))
	w, _ := f.storedWrap(t, first, reader)
	require.Equal(t, types.KeyID(again.PublicKey), w.KeyId)
}

// TestSetEmergencyPolicyRejected: custodians are distinct ACTIVE hospitals
// with keys, the threshold keeps any single hospital out, the shares and
// commitments have their form, and every record gets exactly one wrap for
// the emergency reader sealed to the new key.
func TestSetEmergencyPolicyRejected(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)
	good := func() *types.MsgSetEmergencyPolicy { return f.policyMsg(t, f.patient, 2, f.hospital, f.hospitalB) }
	edit := func(fn func(*types.MsgSetEmergencyPolicy)) *types.MsgSetEmergencyPolicy {
		m := good()
		fn(m)
		return m
	}
	withCustodian := func(c string) *types.MsgSetEmergencyPolicy {
		return edit(func(m *types.MsgSetEmergencyPolicy) {
			m.Shares[1].Custodian = c
			if k, ok := f.keys[c]; ok {
				m.Shares[1].KeyId = types.KeyID(k.PublicKey().Bytes())
			}
		})
	}
	reader := f.emergencyReader(t, f.patient)
	requireAllRejected(t, f, handler(f.msgServer.SetEmergencyPolicy), []rejection[*types.MsgSetEmergencyPolicy]{
		{"threshold 1", edit(func(m *types.MsgSetEmergencyPolicy) { m.Threshold = 1; m.Commitments = m.Commitments[:1] }),
			types.ErrInvalidEmergencyPolicy, "threshold 1 of 2 custodians: it must be at least 2"},
		{"threshold above the custodians", edit(func(m *types.MsgSetEmergencyPolicy) { m.Threshold = 3 }),
			types.ErrInvalidEmergencyPolicy, "threshold 3 of 2 custodians"},
		{"one custodian", edit(func(m *types.MsgSetEmergencyPolicy) { m.Shares = m.Shares[:1] }),
			types.ErrInvalidEmergencyPolicy, "1 custodians; a policy needs 2 to 7"},
		{"the same hospital twice", withCustodian(f.hospital), types.ErrInvalidEmergencyPolicy, f.hospital + " holds more than one share"},
		{"a clinic in place of a hospital", withCustodian(f.clinic), types.ErrInvalidEmergencyPolicy, "1 of the custodians are active hospitals"},
		{"a suspended hospital", withCustodian(f.suspended), types.ErrInvalidEmergencyPolicy, "may not hold a share: organisation"},
		{"a doctor in place of a hospital", withCustodian(f.doctor), types.ErrInvalidEmergencyPolicy, "1 of the custodians are active hospitals"},
		{"a relative in place of a hospital", withCustodian(f.otherPatient), types.ErrInvalidEmergencyPolicy, "1 of the custodians are active hospitals"},
		{"a suspended hospital's doctor", withCustodian(f.suspendedDoctor), types.ErrInvalidEmergencyPolicy, "may not hold a share"},
		{"a stranger without a key", withCustodian(f.stranger), types.ErrNoEncryptionKey, "has no registered encryption key"},
		{"the patient", withCustodian(f.patient), types.ErrInvalidEmergencyPolicy, "the patient cannot be a custodian"},
		{"a share sealed to another key", edit(func(m *types.MsgSetEmergencyPolicy) { m.Shares[0].KeyId = "0011223344556677" }),
			types.ErrInvalidEmergencyPolicy, `is sealed to key "0011223344556677"`},
		{"a share of the wrong size", edit(func(m *types.MsgSetEmergencyPolicy) { m.Shares[0].Ciphertext = m.Shares[0].Ciphertext[1:] }),
			types.ErrInvalidEmergencyPolicy, "a sealed share is 1172"},
		{"commitments that are not group elements", edit(func(m *types.MsgSetEmergencyPolicy) { m.Commitments[0] = bytes.Repeat([]byte{0xff}, 32) }),
			types.ErrInvalidEmergencyPolicy, "commitments"},
		{"too few commitments", edit(func(m *types.MsgSetEmergencyPolicy) { m.Commitments = m.Commitments[:1] }),
			types.ErrInvalidEmergencyPolicy, "1 commitments for a threshold of 2"},
		{"a malformed emergency key", edit(func(m *types.MsgSetEmergencyPolicy) { m.PublicKey = m.PublicKey[:100] }),
			types.ErrInvalidEmergencyPolicy, "public_key"},
		{"a record wrapped twice", edit(func(m *types.MsgSetEmergencyPolicy) { m.Wraps = append(m.Wraps, m.Wraps[0]) }),
			types.ErrInvalidWraps, "appears twice"},
		{"a wrap for another reader", edit(func(m *types.MsgSetEmergencyPolicy) { m.Wraps[0] = f.seal(t, record, 0, f.doctor) }),
			types.ErrInvalidWraps, "every wrap of a policy is for the emergency reader " + reader},
		{"a wrap of another patient's record", edit(func(m *types.MsgSetEmergencyPolicy) {
			w := m.Wraps[0]
			w.RecordId = other
			m.Wraps = append(m.Wraps, w)
		}), types.ErrInvalidWraps, "which is not a record of " + f.patient},
		{"a wrap sealed to an old key", edit(func(m *types.MsgSetEmergencyPolicy) { m.Wraps[0].KeyId = "0011223344556677" }),
			types.ErrInvalidWraps, "the policy's emergency key is"},
		{"a wrap at another key epoch", edit(func(m *types.MsgSetEmergencyPolicy) { m.Wraps[0].KeyEpoch = 5 }),
			types.ErrInvalidWraps, "seals key epoch 5"},
		{"a malformed patient", edit(func(m *types.MsgSetEmergencyPolicy) { m.Patient = "med1bad" }), types.ErrInvalidAddress, "patient"},
	})
}

// TestEmergencyAccess: an ACTIVE practitioner of an ACTIVE hospital breaks
// the glass; the access is public, reads are allowed through the emergency
// reader's wrap for the window, and nobody else gets in.
func TestEmergencyAccess(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)

	ctx := f.deliver(t, sending(f.msgServer.EmergencyAccess, &types.MsgEmergencyAccess{
		Practitioner: f.doctor, Patient: f.patient, Reason: types.EmergencyReasonLifeThreatening,
	}))
	log, err := f.querier.EmergencyLog(f.ctx, &types.QueryEmergencyLogRequest{Patient: f.patient})
	require.NoError(t, err)
	require.Len(t, log.Accesses, 1)
	a := log.Accesses[0]
	require.Equal(t, f.doctor, a.Practitioner)
	require.Equal(t, f.hospital, a.Organisation)
	require.Equal(t, genesisTime.Add(types.DefaultEmergencyWindow), a.ExpiresAt)
	require.Equal(t, types.KeyID(f.keys[f.doctor].PublicKey().Bytes()), a.PractitionerKeyId)
	events.Require(t, ctx, &types.EventEmergencyAccess{Access: a, Custodians: []string{f.hospital, f.hospitalB}})

	check := f.check(t, record, f.doctor, types.PermissionRead)
	require.True(t, check.Allowed, check.Reason)
	require.Equal(t, "emergency access 1", check.Reason)
	require.Equal(t, a.Id, check.EmergencyAccessId)
	require.Equal(t, reader, check.EmergencyReader)
	require.Equal(t, recordKey(record, 0), f.open(t, check.Wrap, reader))
	require.False(t, f.check(t, record, f.doctor, types.PermissionWrite).Allowed, "break-glass never lets write")

	// The last instant of the window still reads and releases.
	f.at(a.ExpiresAt.Add(-time.Nanosecond))
	require.True(t, f.check(t, record, f.doctor, types.PermissionRead).Allowed)
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, a.Id)))

	// The window ends: EndBlock closes it and reads stop.
	f.at(a.ExpiresAt)
	ctx = f.freshCtx()
	require.NoError(t, f.keeper.EndBlocker(ctx))
	events.Require(t, ctx, &types.EventEmergencyAccessClosed{AccessId: a.Id, Outcome: "EXPIRED"})
	require.Equal(t, "no live READ grant", f.requireNoRead(t, record, f.doctor))
	open, err := f.querier.OpenEmergencyAccesses(f.ctx, &types.QueryOpenEmergencyAccessesRequest{})
	require.NoError(t, err)
	require.Empty(t, open.Accesses)
}

// TestEmergencyAccessRejected: every other kind of signer, a patient with
// no policy, a second access while one is open, the per-practitioner
// bound and malformed targets.
func TestEmergencyAccessRejected(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	msg := func(practitioner string, edit ...func(*types.MsgEmergencyAccess)) *types.MsgEmergencyAccess {
		m := &types.MsgEmergencyAccess{Practitioner: practitioner, Patient: f.patient, Reason: types.EmergencyReasonUnableToConsent}
		for _, e := range edit {
			e(m)
		}
		return m
	}
	requireAllRejected(t, f, handler(f.msgServer.EmergencyAccess), []rejection[*types.MsgEmergencyAccess]{
		{"the patient", msg(f.patient), types.ErrEmergencyRefused, "the practitioner is the patient"},
		{"another patient", msg(f.otherPatient), types.ErrEmergencyRefused, "may not break the glass"},
		{"a hospital itself", msg(f.hospital), types.ErrEmergencyRefused, "is an organisation"},
		{"a custodian hospital", msg(f.hospitalB), types.ErrEmergencyRefused, "is an organisation"},
		{"a doctor of a suspended hospital", msg(f.suspendedDoctor), types.ErrEmergencyRefused, "may not break the glass"},
		{"a researcher", msg(f.researcher), types.ErrEmergencyRefused, "may not break the glass"},
		{"a stranger", msg(f.stranger), types.ErrEmergencyRefused, "may not break the glass"},
		{"a patient with no policy", msg(f.doctor, func(m *types.MsgEmergencyAccess) { m.Patient = f.otherPatient }),
			types.ErrNoEmergencyPolicy, f.otherPatient + " has no emergency policy"},
		{"no reason", msg(f.doctor, func(m *types.MsgEmergencyAccess) { m.Reason = types.EmergencyReasonUnspecified }),
			types.ErrEmergencyRefused, "reason 0 is not an emergency reason code"},
		{"an unknown reason", msg(f.doctor, func(m *types.MsgEmergencyAccess) { m.Reason = 99 }),
			types.ErrEmergencyRefused, "reason 99"},
		{"another patient's record", msg(f.doctor, func(m *types.MsgEmergencyAccess) { m.RecordId = other }),
			types.ErrEmergencyRefused, "is not a record of " + f.patient},
		{"a record with kinds", msg(f.doctor, func(m *types.MsgEmergencyAccess) {
			m.RecordId = record
			m.Kinds = []recordstypes.RecordKind{recordstypes.RecordKindDICOM}
		}), types.ErrInvalidGrant, "kinds"},
	})

	// One open access per (patient, practitioner).
	f.breakGlass(t, f.doctor, f.patient, 0)
	requireRejected(t, f, types.ErrEmergencyRefused, "emergency access 1 to "+f.patient+" is already open", func(ctx sdk.Context) error {
		_, err := f.msgServer.EmergencyAccess(ctx, msg(f.doctor))
		return err
	})
	// The per-practitioner bound.
	params := types.DefaultParams()
	params.MaxEmergencyPerPractitioner = 1
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))
	f.optIn(t, f.otherPatient)
	requireRejected(t, f, types.ErrEmergencyRefused, "already has 1 emergency accesses open", func(ctx sdk.Context) error {
		_, err := f.msgServer.EmergencyAccess(ctx, msg(f.doctor, func(m *types.MsgEmergencyAccess) { m.Patient = f.otherPatient }))
		return err
	})
}

// TestReleaseShare: each custodian of the patient's current policy
// releases once while the window is open; nobody else releases.
func TestReleaseShare(t *testing.T) {
	f := newFixture(t)
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	id := f.breakGlass(t, f.doctor, f.patient, 0)

	ctx := f.freshCtx()
	resp, err := f.msgServer.ReleaseShare(ctx, release(f.hospitalB, id))
	require.NoError(t, err)
	require.Equal(t, uint32(1), resp.Releases)
	require.Equal(t, uint32(2), resp.Threshold)
	events.Require(t, ctx, &types.EventShareReleased{AccessId: id, Custodian: f.hospitalB, Patient: f.patient, Practitioner: f.doctor, Releases: 1, Threshold: 2})
	got, err := f.querier.EmergencyAccess(f.ctx, &types.QueryEmergencyAccessRequest{Id: id})
	require.NoError(t, err)
	require.True(t, got.Open)
	require.Equal(t, uint32(2), got.Threshold)
	require.Len(t, got.Access.Releases, 1)
	require.Equal(t, uint32(2), got.Access.Releases[0].Index, "hospital B holds share 2")

	requireAllRejected(t, f, handler(f.msgServer.ReleaseShare), []rejection[*types.MsgReleaseShare]{
		{"a second release", release(f.hospitalB, id), types.ErrReleaseRefused, "already released its share"},
		{"the patient", release(f.patient, id), types.ErrReleaseRefused, "holds no share"},
		{"the practitioner", release(f.doctor, id), types.ErrReleaseRefused, "holds no share"},
		{"a hospital that is no custodian", release(f.suspended, id), types.ErrReleaseRefused, "holds no share"},
		{"a clinic", release(f.clinic, id), types.ErrReleaseRefused, "holds no share"},
		{"a stranger", release(f.stranger, id), types.ErrReleaseRefused, "holds no share"},
		{"an unknown access", release(f.hospital, 99), types.ErrEmergencyNotFound, "emergency access 99 does not exist"},
		{"a release of the wrong size", &types.MsgReleaseShare{Custodian: f.hospital, AccessId: id, Ciphertext: []byte("short")},
			types.ErrReleaseRefused, "the release is 5 bytes"},
	})

	// After the window, no custodian releases.
	f.at(genesisTime.Add(types.DefaultEmergencyWindow))
	requireRejected(t, f, types.ErrEmergencyClosed, "no share is released after its window", func(ctx sdk.Context) error {
		_, err := f.msgServer.ReleaseShare(ctx, release(f.hospital, id))
		return err
	})
}

// TestReleaseShareAfterPolicyChange: a changed policy's custodians hold
// shares of another secret; an access opened before takes no release.
func TestReleaseShareAfterPolicyChange(t *testing.T) {
	f := newFixture(t)
	f.optIn(t, f.patient)
	id := f.breakGlass(t, f.doctor, f.patient, 0)
	f.optIn(t, f.patient)
	requireRejected(t, f, types.ErrReleaseRefused, "changed the emergency policy after access 1 was opened", func(ctx sdk.Context) error {
		_, err := f.msgServer.ReleaseShare(ctx, release(f.hospital, id))
		return err
	})
}

// TestReleaseShareBySuspendedCustodian: a custodian suspended since the
// policy was made releases nothing.
func TestReleaseShareBySuspendedCustodian(t *testing.T) {
	f := newFixture(t)
	f.optIn(t, f.patient)
	id := f.breakGlass(t, f.doctor, f.patient, 0)
	f.setIssuerStatus(t, f.hospitalB, issuerstypes.IssuerStatusSuspended)
	requireRejected(t, f, types.ErrReleaseRefused, "in an emergency only hospitals release", func(ctx sdk.Context) error {
		_, err := f.msgServer.ReleaseShare(ctx, release(f.hospitalB, id))
		return err
	})
}

// TestWithdrawEmergencyPolicy: withdrawing removes the key and every
// emergency wrap, ends open accesses, and new records need no emergency
// wrap; the log stays.
func TestWithdrawEmergencyPolicy(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	id := f.breakGlass(t, f.doctor, f.patient, record)
	require.True(t, f.check(t, record, f.doctor, types.PermissionRead).Allowed)

	for _, who := range []string{f.otherPatient, f.doctor, f.hospital} {
		requireRejected(t, f, types.ErrNoEmergencyPolicy, "has no emergency policy", func(ctx sdk.Context) error {
			_, err := f.msgServer.WithdrawEmergencyPolicy(ctx, &types.MsgWithdrawEmergencyPolicy{Patient: who})
			return err
		})
	}
	ctx := f.deliver(t, sending(f.msgServer.WithdrawEmergencyPolicy, &types.MsgWithdrawEmergencyPolicy{Patient: f.patient}))
	events.Require(t, ctx, &types.EventEmergencyPolicyWithdrawn{Patient: f.patient, WrapsRemoved: 1})
	events.Require(t, ctx, &types.EventEmergencyAccessClosed{AccessId: id, Outcome: "POLICY_WITHDRAWN"})
	_, ok := f.storedWrap(t, record, reader)
	require.False(t, ok)
	_, err := f.querier.EncryptionKey(f.ctx, &types.QueryEncryptionKeyRequest{Address: reader})
	require.Error(t, err)
	f.requireNoRead(t, record, f.doctor)
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	log, err := f.querier.EmergencyLog(f.ctx, &types.QueryEmergencyLogRequest{Patient: f.patient})
	require.NoError(t, err)
	require.Len(t, log.Accesses, 1)
	require.Equal(t, f.ctx.BlockTime(), log.Accesses[0].ExpiresAt, "the log shows when it really ended")
	requireRejected(t, f, types.ErrEmergencyClosed, "no share is released after its window", func(ctx sdk.Context) error {
		_, err := f.msgServer.ReleaseShare(ctx, release(f.hospital, id))
		return err
	})
}

// TestEmergencyGenesisRoundTrip: policies and the log survive export and
// import, and an open access still reads after import.
func TestEmergencyGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	f.breakGlass(t, f.doctor, f.patient, 0)
	g, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, g.Validate(f.addressCodec))
	require.Len(t, g.EmergencyPolicies, 1)
	require.Len(t, g.EmergencyAccesses, 1)
	require.Equal(t, uint64(2), g.NextEmergencyId)

	h := newFixture(t)
	rg, err := f.records.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, h.records.InitGenesis(h.ctx, rg))
	require.NoError(t, h.keeper.InitGenesis(h.ctx, g))
	check, err := h.querier.CheckAccess(h.ctx, &types.QueryCheckAccessRequest{RecordId: record, Grantee: f.doctor, Permission: types.PermissionRead})
	require.NoError(t, err)
	require.True(t, check.Allowed, check.Reason)
	h.at(genesisTime.Add(time.Hour))
	again, err := h.keeper.ExportGenesis(h.ctx)
	require.NoError(t, err)
	require.Equal(t, g.EmergencyAccesses, again.EmergencyAccesses)
}

// TestRelativeAsCustodian: a patient may add a person (a relative) to the
// hospitals holding shares, as long as the hospitals alone reach the
// threshold; the relative never releases in an emergency but approves a
// key recovery.
func TestRelativeAsCustodian(t *testing.T) {
	f := newFixture(t)
	relative := f.otherPatient
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	msg := f.policyMsg(t, f.patient, 2, f.hospital, relative, f.hospitalB)
	f.deliver(t, sending(f.msgServer.SetEmergencyPolicy, msg))
	id := f.breakGlass(t, f.doctor, f.patient, 0)
	requireRejected(t, f, types.ErrReleaseRefused, "in an emergency only hospitals release", func(ctx sdk.Context) error {
		_, err := f.msgServer.ReleaseShare(ctx, release(relative, id))
		return err
	})
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, id)))

	newOwner := f.str(t, "patient-new")
	f.registerNewKey(t, newOwner)
	resp, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: newOwner, Patient: f.patient})
	require.NoError(t, err)
	ctx := f.deliver(t, sending(f.msgServer.ApproveRecovery, &types.MsgApproveRecovery{
		Custodian: relative, RecoveryId: resp.RecoveryId, Ciphertext: release(relative, resp.RecoveryId).Ciphertext,
	}))
	events.Require(t, ctx, &types.EventRecoveryApproved{RecoveryId: resp.RecoveryId, Custodian: relative, Approvals: 1, Threshold: 2})
}
