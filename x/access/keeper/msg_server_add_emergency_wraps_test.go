package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// maxWrapsInTests is the max_wraps_per_msg the multi-message tests set, so
// that 8 records need 3 messages.
const maxWrapsInTests = 3

// emergencyWraps seals the key of each record to patient's emergency
// reader (the current policy's key, which the fixture holds).
func (f *fixture) emergencyWraps(t testing.TB, patient string, ids ...uint64) []recordstypes.KeyWrap {
	t.Helper()
	reader := f.emergencyReader(t, patient)
	wraps := make([]recordstypes.KeyWrap, len(ids))
	for i, id := range ids {
		wraps[i] = f.seal(t, id, f.mustRecord(t, id).KeyEpoch, reader)
	}
	return wraps
}

// completingPolicy sets a policy of patient whose first message wraps
// only first: the rest must follow in MsgAddEmergencyWraps.
func (f *fixture) completingPolicy(t testing.TB, patient string, first ...uint64) *types.MsgSetEmergencyPolicy {
	t.Helper()
	msg := f.policyMsg(t, patient, 2, f.hospital, f.hospitalB)
	msg.Wraps = f.emergencyWraps(t, patient, first...)
	resp, err := f.msgServer.SetEmergencyPolicy(f.freshCtx(), msg)
	require.NoError(t, err)
	require.False(t, resp.Complete)
	require.Equal(t, first[len(first)-1], resp.WrappedThrough)
	return msg
}

// addWraps continues patient's policy with wraps of ids.
func (f *fixture) addWraps(t testing.TB, patient, keyID string, ids ...uint64) *types.MsgAddEmergencyWrapsResponse {
	t.Helper()
	resp, err := f.msgServer.AddEmergencyWraps(f.freshCtx(), &types.MsgAddEmergencyWraps{
		Patient: patient, KeyId: keyID, Wraps: f.emergencyWraps(t, patient, ids...),
	})
	require.NoError(t, err)
	return resp
}

// TestEmergencyPolicyInSeveralMessages: with max_wraps_per_msg 3, a
// patient with 8 records sets a policy in 3 messages; while it completes
// a break-glass reads the records covered so far and nothing else, and
// once complete every record.
func TestEmergencyPolicyInSeveralMessages(t *testing.T) {
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = maxWrapsInTests })
	ids := f.createRecords(t, f.patient, 8)
	reader := f.emergencyReader(t, f.patient)

	tooMany := f.policyMsg(t, f.patient, 2, f.hospital, f.hospitalB)
	requireRejected(t, f, types.ErrInvalidWraps, "at most 3 per message", func(ctx sdk.Context) error {
		_, err := f.msgServer.SetEmergencyPolicy(ctx, tooMany)
		return err
	})

	msg := f.completingPolicy(t, f.patient, ids[:3]...)
	keyID := types.KeyID(msg.PublicKey)
	policy := f.policy(t, f.patient)
	require.True(t, policy.Completing)
	require.Equal(t, ids[2], policy.WrappedThrough)

	// A break-glass opens while the policy completes, on what it covers.
	f.breakGlass(t, f.doctor, f.patient, 0)
	for i, id := range ids {
		check := f.check(t, id, f.doctor, types.PermissionRead)
		require.True(t, check.Allowed, check.Reason)
		if i < 3 {
			require.Equal(t, recordKey(id, 0), f.open(t, check.Wrap, reader))
		} else {
			require.Nil(t, check.Wrap, "record %d is not covered yet", id)
		}
	}
	late := f.addPractitioner(t, f.hospital, "dr-late")
	requireRejected(t, f, types.ErrEmergencyRefused, "is still completing", func(ctx sdk.Context) error {
		_, err := f.msgServer.EmergencyAccess(ctx, &types.MsgEmergencyAccess{
			Practitioner: late, Patient: f.patient, RecordId: ids[5], Reason: types.EmergencyReasonUnableToConsent,
		})
		return err
	})
	ctx := f.freshCtx()
	resp, err := f.msgServer.AddEmergencyWraps(ctx, &types.MsgAddEmergencyWraps{Patient: f.patient, KeyId: keyID, Wraps: f.emergencyWraps(t, f.patient, ids[3:6]...)})
	require.NoError(t, err)
	require.Equal(t, &types.MsgAddEmergencyWrapsResponse{Complete: false, WrappedThrough: ids[5]}, resp)
	events.Require(t, ctx, &types.EventEmergencyWrapsAdded{Patient: f.patient, KeyId: keyID, Records: ids[3:6], WrappedThrough: ids[5]})

	resp = f.addWraps(t, f.patient, keyID, ids[6:]...)
	require.Equal(t, &types.MsgAddEmergencyWrapsResponse{Complete: true, WrappedThrough: ids[7]}, resp)
	policy = f.policy(t, f.patient)
	require.False(t, policy.Completing)
	require.Zero(t, policy.WrappedThrough, "a complete policy keeps no cursor")
	for _, id := range ids {
		check := f.check(t, id, f.doctor, types.PermissionRead)
		require.True(t, check.Allowed, check.Reason)
		require.Equal(t, recordKey(id, 0), f.open(t, check.Wrap, reader), "record %d", id)
	}
	requireRejected(t, f, types.ErrInvalidEmergencyPolicy, "is complete", func(ctx sdk.Context) error {
		_, err := f.msgServer.AddEmergencyWraps(ctx, &types.MsgAddEmergencyWraps{Patient: f.patient, KeyId: keyID})
		return err
	})
	f.requireWrapIndexInSync(t)
}

// TestEmergencyPolicyCompletesAroundNewRecords: records a WRITE hospital
// creates for the patient between the messages carry their emergency
// wrap already (as every new record must) and are skipped, whatever the
// cursor; a record redacted meanwhile needs none; a policy replaced while
// completing restarts.
func TestEmergencyPolicyCompletesAroundNewRecords(t *testing.T) {
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = maxWrapsInTests })
	f.grantWrite(t, f.patient, f.hospital)
	ids := f.createRecords(t, f.patient, 8)
	reader := f.emergencyReader(t, f.patient)

	msg := f.completingPolicy(t, f.patient, ids[:3]...)
	keyID := types.KeyID(msg.PublicKey)
	requireRejected(t, f, types.ErrInvalidWraps, "no wrap for "+reader, func(ctx sdk.Context) error {
		_, err := f.recordsMsg.CreateRecord(ctx, f.createMsg(t, f.hospital, f.patient, recordstypes.RecordKindFHIR))
		return err
	})
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
	added := f.createRecord(t, f.hospital, f.patient, recordstypes.RecordKindFHIR, reader)
	f.addWraps(t, f.patient, keyID, ids[3:6]...)
	addedLater := f.createRecord(t, f.hospital, f.patient, recordstypes.RecordKindFHIR, reader)
	f.redact(t, f.patient, ids[6])

	requireRejected(t, f, types.ErrInvalidWraps, "already has an emergency wrap", func(ctx sdk.Context) error {
		_, err := f.msgServer.AddEmergencyWraps(ctx, &types.MsgAddEmergencyWraps{Patient: f.patient, KeyId: keyID, Wraps: f.emergencyWraps(t, f.patient, ids[7], added)})
		return err
	})
	resp := f.addWraps(t, f.patient, keyID, ids[7])
	require.True(t, resp.Complete, "the records created since were covered from the start")
	for _, id := range []uint64{ids[0], ids[5], ids[7], added, addedLater} {
		w, ok := f.storedWrap(t, id, reader)
		require.True(t, ok, "record %d", id)
		require.Equal(t, keyID, w.KeyId)
	}

	// Replaced while completing: the new policy starts from the first
	// record again, and the earlier key's wraps are gone.
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
	again := f.completingPolicy(t, f.patient, ids[:3]...)
	requireRejected(t, f, types.ErrInvalidEmergencyPolicy, "it was replaced", func(ctx sdk.Context) error {
		_, err := f.msgServer.AddEmergencyWraps(ctx, &types.MsgAddEmergencyWraps{Patient: f.patient, KeyId: keyID, Wraps: f.emergencyWraps(t, f.patient, ids[3])})
		return err
	})
	_, ok := f.storedWrap(t, ids[4], reader)
	require.False(t, ok, "the replaced policy's wrap went")
	resp = f.addWraps(t, f.patient, types.KeyID(again.PublicKey), ids[3], ids[4], ids[5])
	require.False(t, resp.Complete)
	resp = f.addWraps(t, f.patient, types.KeyID(again.PublicKey), ids[7], added, addedLater)
	require.True(t, resp.Complete)
	f.requireWrapIndexInSync(t)
}

// TestAddEmergencyWrapsRejected: a continuation is refused, with nothing
// written, when it is signed by anyone but the policy's patient for the
// patient's records, when its wraps are out of order, twice, for a record
// of another patient, for a redacted record, for a record already covered,
// under another key, or for another reader, and when there is nothing to
// continue.
func TestAddEmergencyWrapsRejected(t *testing.T) {
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = maxWrapsInTests })
	ids := f.createRecords(t, f.patient, 8)
	others := f.createRecords(t, f.otherPatient, 2)
	f.redact(t, f.patient, ids[4])
	msg := f.completingPolicy(t, f.patient, ids[:3]...)
	keyID := types.KeyID(msg.PublicKey)
	other := f.completingPolicy(t, f.otherPatient, others[0])
	otherKeyID := types.KeyID(other.PublicKey)
	f.grantRead(t, f.patient, f.hospital, ids[0], nil)
	next := f.emergencyWraps(t, f.patient, ids[3], ids[5], ids[6])

	add := func(signer string, edit ...func(*types.MsgAddEmergencyWraps)) *types.MsgAddEmergencyWraps {
		m := &types.MsgAddEmergencyWraps{Patient: signer, KeyId: keyID, Wraps: append([]recordstypes.KeyWrap(nil), next...)}
		for _, e := range edit {
			e(m)
		}
		return m
	}
	wraps := func(ws ...recordstypes.KeyWrap) func(*types.MsgAddEmergencyWraps) {
		return func(m *types.MsgAddEmergencyWraps) { m.Wraps = ws }
	}
	one := func(id uint64) recordstypes.KeyWrap { return f.emergencyWraps(t, f.patient, id)[0] }
	requireAllRejected(t, f, handler(f.msgServer.AddEmergencyWraps), []rejection[*types.MsgAddEmergencyWraps]{
		// Signers: the patient's wraps continue only the patient's policy.
		{"another patient", add(f.otherPatient), types.ErrInvalidEmergencyPolicy, "now has key " + otherKeyID},
		{"another patient with its key", add(f.otherPatient, func(m *types.MsgAddEmergencyWraps) { m.KeyId = otherKeyID }),
			types.ErrInvalidWraps, "is not a record of " + f.otherPatient},
		{"a grantee hospital", add(f.hospital), types.ErrNoEmergencyPolicy, f.hospital + " has no emergency policy"},
		{"a practitioner", add(f.doctor), types.ErrNoEmergencyPolicy, f.doctor + " has no emergency policy"},
		{"a suspended issuer", add(f.suspended), types.ErrNoEmergencyPolicy, f.suspended + " has no emergency policy"},
		{"a stranger", add(f.stranger), types.ErrNoEmergencyPolicy, f.stranger + " has no emergency policy"},
		{"the emergency reader", add(f.emergencyReader(t, f.patient)), types.ErrNoEmergencyPolicy, "has no emergency policy"},
		// Wraps.
		{"out of order", add(f.patient, wraps(one(ids[5]), one(ids[3]))), types.ErrInvalidWraps, fmt.Sprintf("record %d out of order", ids[5])},
		{"a record skipped", add(f.patient, wraps(one(ids[5]))), types.ErrInvalidWraps, fmt.Sprintf("the next record needing one is %d", ids[3])},
		{"a record twice", add(f.patient, wraps(one(ids[3]), one(ids[3]))), types.ErrInvalidWraps, fmt.Sprintf("record %d appears twice", ids[3])},
		{"a record already covered", add(f.patient, wraps(one(ids[1]))), types.ErrInvalidWraps, "which the policy already covers"},
		{"a redacted record", add(f.patient, wraps(one(ids[3]), one(ids[4]))), types.ErrInvalidWraps, "is redacted and needs no emergency wrap"},
		{"another patient's record", add(f.patient, wraps(f.emergencyWraps(t, f.otherPatient, others[1])[0])),
			types.ErrInvalidWraps, "is not a record of " + f.patient},
		{"a record that does not exist", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.Wraps[0].RecordId = 99 }),
			types.ErrInvalidWraps, "record 99 does not exist"},
		{"a wrap under another key", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.Wraps[1].KeyId = otherKeyID }),
			types.ErrInvalidWraps, "the policy's emergency key is " + keyID},
		{"another key for the message", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.KeyId = otherKeyID }),
			types.ErrInvalidEmergencyPolicy, "it was replaced"},
		{"a wrap for another reader", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.Wraps[0] = f.seal(t, ids[3], 0, f.doctor) }),
			types.ErrInvalidWraps, "every wrap of a policy is for the emergency reader"},
		{"a wrap of another key epoch", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.Wraps[2].KeyEpoch = 4 }),
			types.ErrInvalidWraps, "seals key epoch 4"},
		{"too many wraps", add(f.patient, func(m *types.MsgAddEmergencyWraps) { m.Wraps = append(m.Wraps, one(ids[7])) }),
			types.ErrInvalidWraps, "at most 3 per message"},
		{"no wraps", add(f.patient, wraps()), types.ErrInvalidWraps, "no wraps"},
		{"a malformed patient", add("med1bad"), types.ErrInvalidAddress, "patient"},
	})
	// The right message goes through.
	resp := f.addWraps(t, f.patient, keyID, ids[3], ids[5], ids[6])
	require.False(t, resp.Complete)
	require.Equal(t, ids[6], resp.WrappedThrough)
}
