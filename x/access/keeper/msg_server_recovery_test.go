package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// recoveryFixture: the patient has an active DICOM record with a READ
// grant to the doctor, a FHIR record, a redacted record, a scope READ grant
// to the researcher, a pending request from the clinic and a 2-of-2
// policy; newOwner is a fresh account with a key.
type recoveryFixture struct {
	*fixture
	newOwner                string
	dicom, fhir, redacted   uint64
	doctorGrant, scopeGrant uint64
}

func newRecoveryFixture(t *testing.T) recoveryFixture {
	f := recoveryFixture{fixture: newFixture(t)}
	f.newOwner = f.str(t, "patient-new")
	f.registerNewKey(t, f.newOwner)
	f.dicom = f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.fhir = f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
	f.redacted = f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.redact(t, f.patient, f.redacted)
	f.doctorGrant = f.grantRead(t, f.patient, f.doctor, f.dicom, nil)
	f.scopeGrant = f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.researcher, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeResearch,
		Wraps: []recordstypes.KeyWrap{f.seal(t, f.dicom, 0, f.researcher)},
	})
	_, err := f.msgServer.RequestAccess(f.freshCtx(), &types.MsgRequestAccess{
		Requester: f.clinic, Owner: f.patient, RecordId: f.fhir, Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
	})
	require.NoError(t, err)
	f.optIn(t, f.patient)
	return f
}

// str is the bech32 address of a named test account.
func (f *fixture) str(t testing.TB, name string) string {
	t.Helper()
	s, err := f.addressCodec.BytesToString(sample.Addr(name))
	require.NoError(t, err)
	return s
}

func (f recoveryFixture) request(t *testing.T) uint64 {
	t.Helper()
	resp, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: f.newOwner, Patient: f.patient})
	require.NoError(t, err)
	return resp.RecoveryId
}

func (f recoveryFixture) approve(t *testing.T, custodian string, id uint64) {
	t.Helper()
	_, err := f.msgServer.ApproveRecovery(f.freshCtx(), &types.MsgApproveRecovery{Custodian: custodian, RecoveryId: id, Ciphertext: release(custodian, id).Ciphertext})
	require.NoError(t, err)
}

// completeMsg re-seals both active records to the new owner.
func (f recoveryFixture) completeMsg(t *testing.T, id uint64) *types.MsgCompleteRecovery {
	t.Helper()
	msg := &types.MsgCompleteRecovery{NewOwner: f.newOwner, RecoveryId: id}
	for _, rec := range []uint64{f.dicom, f.fhir} {
		msg.Records = append(msg.Records, types.RecoveredRecord{
			RecordId: rec, Wrap: f.seal(t, rec, 0, f.newOwner), SealedLabel: recordstypes.FakeSealedLabel("re-sealed"),
		})
	}
	return msg
}

// TestKeyRecovery: the new account asks, both custodians approve, the delay
// passes and the new account takes over the records, the grants the
// patient gave and every wrap; the old account owns nothing and reads
// nothing, the grantees still read, and the patient's policy and requests
// end.
func TestKeyRecovery(t *testing.T) {
	f := newRecoveryFixture(t)
	ctx := f.freshCtx()
	resp, err := f.msgServer.RequestRecovery(ctx, &types.MsgRequestRecovery{NewOwner: f.newOwner, Patient: f.patient})
	require.NoError(t, err)
	id := resp.RecoveryId
	require.Equal(t, genesisTime.Add(types.DefaultRecoveryDelay), resp.ExecutableAt)
	got, err := f.querier.Recovery(f.ctx, &types.QueryRecoveryRequest{Id: id})
	require.NoError(t, err)
	events.Require(t, ctx, &types.EventRecoveryRequested{Recovery: got.Recovery})
	require.Equal(t, uint32(2), got.Threshold)

	f.approve(t, f.hospital, id)
	f.approve(t, f.hospitalB, id)
	f.at(resp.ExecutableAt)
	ctx = f.deliver(t, sending(f.msgServer.CompleteRecovery, f.completeMsg(t, id)))
	events.Require(t, ctx, &types.EventRecoveryEnded{RecoveryId: id, Patient: f.patient, NewOwner: f.newOwner,
		Status: types.RecoveryStatusCompleted, Records: []uint64{f.dicom, f.fhir, f.redacted}})
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: 1, Requester: f.clinic, Owner: f.patient, Outcome: "OWNER_RECOVERED"})

	for _, rec := range []uint64{f.dicom, f.fhir, f.redacted} {
		require.Equal(t, f.newOwner, f.mustRecord(t, rec).Owner)
	}
	require.Equal(t, recordstypes.FakeSealedLabel("re-sealed"), f.mustRecord(t, f.dicom).SealedLabel)
	f.requireReads(t, f.dicom, f.newOwner, 0, 0)
	f.requireReads(t, f.fhir, f.newOwner, 0, 0)
	require.Equal(t, "no live READ grant", f.requireNoRead(t, f.dicom, f.patient), "the old account reads nothing")
	f.requireReads(t, f.dicom, f.doctor, f.doctorGrant, 0)
	f.requireReads(t, f.dicom, f.researcher, f.scopeGrant, 0)
	require.Equal(t, map[string]uint64{f.newOwner: 0, f.doctor: 0, f.researcher: 0}, f.wrapReaders(t, f.dicom))
	g, err := f.querier.Grant(f.ctx, &types.QueryGrantRequest{Id: f.doctorGrant})
	require.NoError(t, err)
	require.Equal(t, f.newOwner, g.Grant.Owner)
	_, err = f.querier.EmergencyPolicy(f.ctx, &types.QueryEmergencyPolicyRequest{Patient: f.patient})
	require.Error(t, err, "the old policy ends; the new owner sets its own")

	// The old account can no longer act on the records; the new one can.
	requireRejected(t, f.fixture, types.ErrNotOwner, "belongs to another patient", func(ctx sdk.Context) error {
		_, err := f.msgServer.GrantAccess(ctx, f.readMsg(t, f.patient, f.clinic, f.dicom))
		return err
	})
	f.deliver(t, sending(f.msgServer.RevokeAccess, &types.MsgRevokeAccess{Owner: f.newOwner, GrantId: f.scopeGrant}))
	f.requireNoRead(t, f.dicom, f.researcher)
	// A new record of the new owner needs no emergency wrap until it opts in.
	f.createRecord(t, f.newOwner, f.newOwner, recordstypes.RecordKindPDF)
	g2, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, g2.Validate(f.addressCodec))
	require.Len(t, g2.Recoveries, 1)
}

// TestKeyRecoveryRejected: who may ask, approve, cancel and complete, and
// when.
func TestKeyRecoveryRejected(t *testing.T) {
	f := newRecoveryFixture(t)
	keyless := f.str(t, "patient-keyless")
	f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)
	requireAllRejected(t, f.fixture, handler(f.msgServer.RequestRecovery), []rejection[*types.MsgRequestRecovery]{
		{"the patient for itself", &types.MsgRequestRecovery{NewOwner: f.patient, Patient: f.patient}, types.ErrRecoveryRefused, "the new account is the patient's own"},
		{"an account with records", &types.MsgRequestRecovery{NewOwner: f.otherPatient, Patient: f.patient}, types.ErrRecoveryRefused, "owns records already"},
		{"an account without a key", &types.MsgRequestRecovery{NewOwner: keyless, Patient: f.patient}, types.ErrNoEncryptionKey, "has no registered encryption key"},
		{"a patient without a policy", &types.MsgRequestRecovery{NewOwner: f.newOwner, Patient: f.otherPatient}, types.ErrNoEmergencyPolicy, "has no emergency policy"},
	})
	id := f.request(t)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, f.newOwner+" already asks for recovery 1", func(ctx sdk.Context) error {
		_, err := f.msgServer.RequestRecovery(ctx, &types.MsgRequestRecovery{NewOwner: f.newOwner, Patient: f.patient})
		return err
	})

	approval := func(custodian string, edit ...func(*types.MsgApproveRecovery)) *types.MsgApproveRecovery {
		m := &types.MsgApproveRecovery{Custodian: custodian, RecoveryId: id, Ciphertext: release(custodian, id).Ciphertext}
		for _, e := range edit {
			e(m)
		}
		return m
	}
	requireAllRejected(t, f.fixture, handler(f.msgServer.ApproveRecovery), []rejection[*types.MsgApproveRecovery]{
		{"the patient", approval(f.patient), types.ErrRecoveryRefused, "holds no share"},
		{"the new owner", approval(f.newOwner), types.ErrRecoveryRefused, "holds no share"},
		{"a doctor", approval(f.doctor), types.ErrRecoveryRefused, "holds no share"},
		{"a clinic", approval(f.clinic), types.ErrRecoveryRefused, "holds no share"},
		{"a hospital that is no custodian", approval(f.suspended), types.ErrRecoveryRefused, "holds no share"},
		{"a stranger", approval(f.stranger), types.ErrRecoveryRefused, "holds no share"},
		{"an unknown recovery", approval(f.hospital, func(m *types.MsgApproveRecovery) { m.RecoveryId = 9 }), types.ErrRecoveryNotFound, "recovery 9 does not exist"},
		{"the wrong size", approval(f.hospital, func(m *types.MsgApproveRecovery) { m.Ciphertext = []byte("x") }), types.ErrRecoveryRefused, "the release is 1 bytes"},
	})
	f.approve(t, f.hospital, id)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "already released its share for recovery 1", func(ctx sdk.Context) error {
		_, err := f.msgServer.ApproveRecovery(ctx, approval(f.hospital))
		return err
	})
	// A custodian suspended since does not approve.
	f.setIssuerStatus(t, f.hospitalB, issuerstypes.IssuerStatusSuspended)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "may not hold a share", func(ctx sdk.Context) error {
		_, err := f.msgServer.ApproveRecovery(ctx, approval(f.hospitalB))
		return err
	})
	f.setIssuerStatus(t, f.hospitalB, issuerstypes.IssuerStatusActive)

	complete := f.completeMsg(t, id)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "may complete from", func(ctx sdk.Context) error {
		_, err := f.msgServer.CompleteRecovery(ctx, complete)
		return err
	})
	f.at(genesisTime.Add(types.DefaultRecoveryDelay))
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "has 1 of the 2 approvals it needs", func(ctx sdk.Context) error {
		_, err := f.msgServer.CompleteRecovery(ctx, complete)
		return err
	})
	f.approve(t, f.hospitalB, id)
	edit := func(fn func(*types.MsgCompleteRecovery)) *types.MsgCompleteRecovery {
		m := f.completeMsg(t, id)
		fn(m)
		return m
	}
	requireAllRejected(t, f.fixture, handler(f.msgServer.CompleteRecovery), []rejection[*types.MsgCompleteRecovery]{
		{"by another account", edit(func(m *types.MsgCompleteRecovery) { m.NewOwner = f.otherPatient }), types.ErrRecoveryRefused, "only it may complete it"},
		{"a record left out", edit(func(m *types.MsgCompleteRecovery) { m.Records = m.Records[:1] }), types.ErrInvalidWraps, "no entry for record"},
		{"a record twice", edit(func(m *types.MsgCompleteRecovery) { m.Records[1] = m.Records[0] }), types.ErrInvalidWraps, "appears twice"},
		{"the redacted record", edit(func(m *types.MsgCompleteRecovery) {
			m.Records = append(m.Records, types.RecoveredRecord{RecordId: f.redacted, Wrap: f.seal(t, f.redacted, 0, f.newOwner)})
		}), types.ErrInvalidWraps, "is not an ACTIVE record"},
		{"a key sealed to someone else", edit(func(m *types.MsgCompleteRecovery) { m.Records[0].Wrap = f.seal(t, f.dicom, 0, f.doctor) }),
			types.ErrInvalidWraps, "a recovery seals every key to the new owner"},
		{"a wrap of another key epoch", edit(func(m *types.MsgCompleteRecovery) { m.Records[0].Wrap.KeyEpoch = 3 }),
			types.ErrInvalidWraps, "seals key epoch 3"},
		{"a label in the clear", edit(func(m *types.MsgCompleteRecovery) { m.Records[1].SealedLabel = []byte("chest CT of Jane") }),
			recordstypes.ErrInvalidLabel, "never sent in the clear"},
	})

	// A new owner that opted in since asking must withdraw first: its
	// emergency reader has no wrap of the records it would take over.
	f.optIn(t, f.newOwner)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "set an emergency policy since asking", func(ctx sdk.Context) error {
		_, err := f.msgServer.CompleteRecovery(ctx, complete)
		return err
	})
	f.deliver(t, sending(f.msgServer.WithdrawEmergencyPolicy, &types.MsgWithdrawEmergencyPolicy{Patient: f.newOwner}))

	// The old key cancels; nothing completes or approves afterwards.
	requireRejected(t, f.fixture, types.ErrNotOwner, "only that account may cancel it", func(ctx sdk.Context) error {
		_, err := f.msgServer.CancelRecovery(ctx, &types.MsgCancelRecovery{Patient: f.newOwner, RecoveryId: id})
		return err
	})
	ctx := f.deliver(t, sending(f.msgServer.CancelRecovery, &types.MsgCancelRecovery{Patient: f.patient, RecoveryId: id}))
	events.Require(t, ctx, &types.EventRecoveryEnded{RecoveryId: id, Patient: f.patient, NewOwner: f.newOwner, Status: types.RecoveryStatusCancelled})
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "is RECOVERY_STATUS_CANCELLED", func(ctx sdk.Context) error {
		_, err := f.msgServer.CompleteRecovery(ctx, complete)
		return err
	})
	require.Equal(t, f.patient, f.mustRecord(t, f.dicom).Owner)
	// A new request may follow a cancelled one.
	f.request(t)
}

// TestKeyRecoveryNotBlockedByAStranger: a stranger's request for the
// patient's records, which no custodian approves, neither blocks the real
// new account nor survives its completion, and a request nobody completes
// lapses.
func TestKeyRecoveryNotBlockedByAStranger(t *testing.T) {
	f := newRecoveryFixture(t)
	thief := f.str(t, "thief")
	f.registerNewKey(t, thief)
	stolen, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: thief, Patient: f.patient})
	require.NoError(t, err)
	id := f.request(t)
	require.NotEqual(t, stolen.RecoveryId, id)
	f.approve(t, f.hospital, id)
	f.approve(t, f.hospitalB, id)
	f.at(genesisTime.Add(types.DefaultRecoveryDelay))
	ctx := f.deliver(t, sending(f.msgServer.CompleteRecovery, f.completeMsg(t, id)))
	events.Require(t, ctx, &types.EventRecoveryEnded{RecoveryId: stolen.RecoveryId, Patient: f.patient, NewOwner: thief, Status: types.RecoveryStatusCancelled})
	got, err := f.querier.Recovery(f.ctx, &types.QueryRecoveryRequest{Id: stolen.RecoveryId})
	require.NoError(t, err)
	require.Equal(t, types.RecoveryStatusCancelled, got.Recovery.Status)

	// Another patient's recovery that nobody completes lapses after twice
	// the delay; the same account may then ask again.
	g := newRecoveryFixture(t)
	lapsing := g.request(t)
	g.approve(t, g.hospital, lapsing)
	g.at(genesisTime.Add(2 * types.DefaultRecoveryDelay))
	requireRejected(t, g.fixture, types.ErrRecoveryRefused, "lapsed at", func(ctx sdk.Context) error {
		_, err := g.msgServer.ApproveRecovery(ctx, &types.MsgApproveRecovery{Custodian: g.hospitalB, RecoveryId: lapsing, Ciphertext: release(g.hospitalB, lapsing).Ciphertext})
		return err
	})
	requireRejected(t, g.fixture, types.ErrRecoveryRefused, "lapsed at", func(ctx sdk.Context) error {
		_, err := g.msgServer.CompleteRecovery(ctx, g.completeMsg(t, lapsing))
		return err
	})
	g.request(t)
}

// TestKeyRecoveryAfterPolicyChange: the custodians' shares of an old policy
// complete nothing.
func TestKeyRecoveryAfterPolicyChange(t *testing.T) {
	f := newRecoveryFixture(t)
	id := f.request(t)
	f.approve(t, f.hospital, id)
	f.approve(t, f.hospitalB, id)
	f.optIn(t, f.patient)
	f.at(genesisTime.Add(types.DefaultRecoveryDelay))
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "changed the emergency policy after recovery 1 was requested", func(ctx sdk.Context) error {
		_, err := f.msgServer.CompleteRecovery(ctx, f.completeMsg(t, id))
		return err
	})
}

// TestLapsedRecoveriesLeaveThePendingIndex: recoveries nobody completed
// lapse, and the next request drops them from the patient's pending index,
// so they never make completing a recovery walk more, and a stranger's
// lapsed requests cost the patient nothing later.
func TestLapsedRecoveriesLeaveThePendingIndex(t *testing.T) {
	f := newRecoveryFixture(t)
	pending := func() int {
		n := 0
		patient, err := f.addressCodec.StringToBytes(f.patient)
		require.NoError(t, err)
		require.NoError(t, f.keeper.PendingRecovery.Walk(f.ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](patient),
			func(collections.Pair[sdk.AccAddress, uint64]) (bool, error) { n++; return false, nil }))
		return n
	}
	var lapsing []uint64
	for i := range 5 {
		stranger := f.str(t, fmt.Sprintf("stranger-%d", i))
		f.registerNewKey(t, stranger)
		resp, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: stranger, Patient: f.patient})
		require.NoError(t, err)
		lapsing = append(lapsing, resp.RecoveryId)
	}
	require.Equal(t, 5, pending())
	f.at(genesisTime.Add(2 * types.DefaultRecoveryDelay))
	id := f.request(t)
	require.Equal(t, 1, pending(), "the lapsed ones left the index; the new one is in it")
	for _, old := range lapsing {
		got, err := f.querier.Recovery(f.ctx, &types.QueryRecoveryRequest{Id: old})
		require.NoError(t, err, "a lapsed recovery is still there to look at")
		require.True(t, got.Recovery.ExpiresAt.Before(f.ctx.BlockTime().Add(time.Second)))
	}
	f.approve(t, f.hospital, id)
	f.approve(t, f.hospitalB, id)
	f.at(genesisTime.Add(3 * types.DefaultRecoveryDelay))
	f.deliver(t, sending(f.msgServer.CompleteRecovery, f.completeMsg(t, id)))
	require.Zero(t, pending())
}

// TestPendingRecoveriesAreBounded: strangers fill the patient's
// MaxPendingRecoveries slots; the patient's real request still gets in,
// displacing the oldest request no custodian approved, and once the
// custodians have approved it no stranger can displace it. Only when
// every pending recovery is approved is a request refused, writing nothing.
func TestPendingRecoveriesAreBounded(t *testing.T) {
	f := newRecoveryFixture(t)
	var strangers []uint64
	ask := func(name string) (uint64, error) {
		who := f.str(t, name)
		f.registerNewKey(t, who)
		resp, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: who, Patient: f.patient})
		if err != nil {
			return 0, err
		}
		return resp.RecoveryId, nil
	}
	for i := range keeper.MaxPendingRecoveries {
		id, err := ask(fmt.Sprintf("stranger-%d", i))
		require.NoError(t, err)
		strangers = append(strangers, id)
	}
	status := func(id uint64) types.RecoveryStatus {
		got, err := f.querier.Recovery(f.ctx, &types.QueryRecoveryRequest{Id: id})
		require.NoError(t, err)
		return got.Recovery.Status
	}

	real := f.request(t)
	require.Equal(t, types.RecoveryStatusCancelled, status(strangers[0]), "the oldest unapproved request made room")
	require.Equal(t, types.RecoveryStatusPending, status(strangers[1]))
	f.approve(t, f.hospital, real)

	// Strangers keep asking: each displaces another stranger, never the
	// approved one.
	for i := range keeper.MaxPendingRecoveries {
		_, err := ask(fmt.Sprintf("stranger-again-%d", i))
		require.NoError(t, err)
	}
	require.Equal(t, types.RecoveryStatusPending, status(real))

	// With every slot approved, a request is refused and changes nothing.
	f2 := newRecoveryFixture(t)
	for i := range keeper.MaxPendingRecoveries {
		who := f2.str(t, fmt.Sprintf("claimant-%d", i))
		f2.registerNewKey(t, who)
		resp, err := f2.msgServer.RequestRecovery(f2.freshCtx(), &types.MsgRequestRecovery{NewOwner: who, Patient: f2.patient})
		require.NoError(t, err)
		f2.approve(t, f2.hospital, resp.RecoveryId)
	}
	late := f2.str(t, "late")
	f2.registerNewKey(t, late)
	requireRejected(t, f2.fixture, types.ErrRecoveryRefused, "each approved by a custodian", func(ctx sdk.Context) error {
		_, err := f2.msgServer.RequestRecovery(ctx, &types.MsgRequestRecovery{NewOwner: late, Patient: f2.patient})
		return err
	})
}
