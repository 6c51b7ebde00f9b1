package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// bigRecovery: with max_wraps_per_msg 3, the patient has 8 FHIR records,
// a READ grant of the first to the doctor, a scope READ grant (expiring
// in 100 days) to the researcher, a scope WRITE grant to the hospital, and
// a complete 2-of-2 policy (set in 3 messages); newOwner's recovery is
// approved and past its delay.
type bigRecovery struct {
	*fixture
	ids                     []uint64
	newOwner                string
	recovery                uint64
	doctorGrant, scopeGrant uint64
	scopeExpiry             time.Time
}

func newBigRecovery(t *testing.T) bigRecovery {
	t.Helper()
	f := bigRecovery{fixture: newFixture(t)}
	f.ids = f.createRecords(t, f.patient, 8)
	f.doctorGrant = f.grantRead(t, f.patient, f.doctor, f.ids[0], nil)
	f.scopeExpiry = genesisTime.Add(100 * 24 * time.Hour)
	f.scopeGrant = f.grant(t, &types.MsgGrantAccess{ // before the bound is lowered: a scope grant is one message
		Owner: f.patient, Grantee: f.researcher, Permission: types.PermissionRead, Purpose: types.PurposeResearch,
		ExpiresAt: &f.scopeExpiry, Wraps: f.sealAll(t, f.researcher, f.ids...),
	})
	f.grantWrite(t, f.patient, f.hospital)
	f.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = maxWrapsInTests })
	policy := f.completingPolicy(t, f.patient, f.ids[:3]...)
	f.addWraps(t, f.patient, types.KeyID(policy.PublicKey), f.ids[3:6]...)
	require.True(t, f.addWraps(t, f.patient, types.KeyID(policy.PublicKey), f.ids[6:]...).Complete)

	f.newOwner = f.str(t, "patient-new")
	f.registerNewKey(t, f.newOwner)
	resp, err := f.msgServer.RequestRecovery(f.freshCtx(), &types.MsgRequestRecovery{NewOwner: f.newOwner, Patient: f.patient})
	require.NoError(t, err)
	f.recovery = resp.RecoveryId
	for _, c := range []string{f.hospital, f.hospitalB} {
		f.deliver(t, sending(f.msgServer.ApproveRecovery, &types.MsgApproveRecovery{Custodian: c, RecoveryId: f.recovery, Ciphertext: release(c, f.recovery).Ciphertext}))
	}
	f.at(resp.ExecutableAt)
	return f
}

// sealAll seals the key of each record, at its key epoch, to reader.
func (f *fixture) sealAll(t testing.TB, reader string, ids ...uint64) []recordstypes.KeyWrap {
	t.Helper()
	wraps := make([]recordstypes.KeyWrap, len(ids))
	for i, id := range ids {
		wraps[i] = f.seal(t, id, f.mustRecord(t, id).KeyEpoch, reader)
	}
	return wraps
}

// moveMsg is newOwner's completion message moving ids.
func (f bigRecovery) moveMsg(t testing.TB, ids ...uint64) *types.MsgCompleteRecovery {
	t.Helper()
	msg := &types.MsgCompleteRecovery{NewOwner: f.newOwner, RecoveryId: f.recovery, Records: []types.RecoveredRecord{}}
	for _, w := range f.sealAll(t, f.newOwner, ids...) {
		msg.Records = append(msg.Records, types.RecoveredRecord{RecordId: w.RecordId, Wrap: w, SealedLabel: recordstypes.FakeSealedLabel("re-sealed")})
	}
	return msg
}

func (f bigRecovery) move(t testing.TB, ids ...uint64) (*types.MsgCompleteRecoveryResponse, sdk.Context) {
	t.Helper()
	ctx := f.freshCtx()
	resp, err := f.msgServer.CompleteRecovery(ctx, f.moveMsg(t, ids...))
	require.NoError(t, err)
	return resp, ctx
}

func (f bigRecovery) getRecovery(t testing.TB) types.Recovery {
	t.Helper()
	resp, err := f.querier.Recovery(f.ctx, &types.QueryRecoveryRequest{Id: f.recovery})
	require.NoError(t, err)
	return resp.Recovery
}

// TestKeyRecoveryInSeveralMessages: the new owner moves 8 records in 3
// messages. Between them the records up to the cursor are the new owner's
// and the others still the patient's, every grantee still reads both
// halves, a WRITE hospital may still add a record for the patient (it
// moves later), and the recovery does not lapse; at the end every record,
// the one added too, is the new owner's and opens with the wraps it sent.
func TestKeyRecoveryInSeveralMessages(t *testing.T) {
	f := newBigRecovery(t)
	ids := f.ids
	resp, ctx := f.move(t, ids[:3]...)
	require.Equal(t, &types.MsgCompleteRecoveryResponse{Records: 3, Complete: false, MovedThrough: ids[2]}, resp)
	events.Require(t, ctx, &types.EventRecoveryProgress{RecoveryId: f.recovery, Patient: f.patient, NewOwner: f.newOwner, Records: ids[:3], MovedThrough: ids[2]})
	r := f.getRecovery(t)
	require.True(t, r.Moving)
	require.Equal(t, types.RecoveryStatusPending, r.Status)

	// Between the messages.
	for i, id := range ids {
		want := f.patient
		if i < 3 {
			want = f.newOwner
			f.requireReads(t, id, f.newOwner, 0, 0)
		}
		require.Equal(t, want, f.mustRecord(t, id).Owner, "record %d", id)
		f.requireReads(t, id, f.researcher, f.scopeGrant, 0)
	}
	f.requireReads(t, ids[0], f.doctor, f.doctorGrant, 0)
	require.Equal(t, f.newOwner, f.grantOwner(t, f.scopeGrant), "the grants moved with the first message")
	f.requireWrapIndexInSync(t)
	reader := f.emergencyReader(t, f.patient)
	_, ok := f.storedWrap(t, ids[0], reader)
	require.False(t, ok, "a moved record is not the patient's emergency reader's")
	_, ok = f.storedWrap(t, ids[5], reader)
	require.True(t, ok, "the records still to move keep their emergency wrap: the new owner opens it")

	// A WRITE hospital adds a record for the patient; it moves later.
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
	added := f.createRecord(t, f.hospital, f.patient, recordstypes.RecordKindFHIR, reader, f.researcher)

	// Genesis taken between the messages rebuilds the same state.
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec))
	records, err := f.records.ExportGenesis(f.ctx)
	require.NoError(t, err)
	g := importInto(t, exported, records, f.ctx.BlockTime())
	require.Equal(t, f.dumpStore(t, types.StoreKey), g.dumpStore(t, types.StoreKey), "the scope mirrors are rebuilt")

	// Past the time a pending recovery lapses, a moving one goes on.
	f.at(r.ExpiresAt.Add(time.Hour))
	resp, _ = f.move(t, ids[3:6]...)
	require.Equal(t, &types.MsgCompleteRecoveryResponse{Records: 3, MovedThrough: ids[5]}, resp)
	resp, ctx = f.move(t, ids[6], ids[7], added)
	require.Equal(t, &types.MsgCompleteRecoveryResponse{Records: 3, Complete: true, MovedThrough: added}, resp)
	events.Require(t, ctx, &types.EventRecoveryEnded{RecoveryId: f.recovery, Patient: f.patient, NewOwner: f.newOwner,
		Status: types.RecoveryStatusCompleted, Records: []uint64{ids[6], ids[7], added}})

	for _, id := range append(ids, added) {
		require.Equal(t, f.newOwner, f.mustRecord(t, id).Owner, "record %d", id)
		require.Equal(t, recordstypes.FakeSealedLabel("re-sealed"), f.mustRecord(t, id).SealedLabel)
		f.requireReads(t, id, f.newOwner, 0, 0)
		f.requireReads(t, id, f.researcher, f.scopeGrant, 0)
		require.Equal(t, "no live READ grant", f.requireNoRead(t, id, f.patient), "the old account reads nothing")
	}
	r = f.getRecovery(t)
	require.Equal(t, types.RecoveryStatusCompleted, r.Status)
	require.False(t, r.Moving)
	_, err = f.querier.EmergencyPolicy(f.ctx, &types.QueryEmergencyPolicyRequest{Patient: f.patient})
	require.ErrorContains(t, err, "has no emergency policy", "the old policy ends with the last message")
	require.Zero(t, f.scopeEntries(t, f.patient), "no scope mirror is left under the patient")
	f.requireWrapIndexInSync(t)
	final, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, final.Validate(f.addressCodec))
}

// TestKeyRecoveryScopeGrantEndsMidway: a scope grant that expires while
// the records are moving takes its wraps from both halves.
func TestKeyRecoveryScopeGrantEndsMidway(t *testing.T) {
	f := newBigRecovery(t)
	f.move(t, f.ids[:3]...)
	f.at(f.scopeExpiry)
	f.endBlock(t)
	require.False(t, f.grantStored(t, f.scopeGrant))
	for _, id := range f.ids {
		_, ok := f.storedWrap(t, id, f.researcher)
		require.False(t, ok, "record %d keeps a wrap for the researcher", id)
		f.requireNoRead(t, id, f.researcher)
	}
	require.Equal(t, 1, f.scopeEntries(t, f.patient), "only the hospital's WRITE grant is still mirrored")
	f.requireWrapIndexInSync(t)
	f.move(t, f.ids[3:6]...)
	resp, _ := f.move(t, f.ids[6:]...)
	require.True(t, resp.Complete)
	require.Zero(t, f.scopeEntries(t, f.patient))
	f.requireWrapIndexInSync(t)
}

// TestKeyRecoverySpentMidway: a break-glass that spends the patient's key
// while the records move does not strand the recovery: a new record for
// the patient, which would have no emergency wrap to re-seal, is refused,
// and the records there were still move.
func TestKeyRecoverySpentMidway(t *testing.T) {
	f := newBigRecovery(t)
	f.move(t, f.ids[:3]...)
	f.spend(t, f.doctor, f.patient)
	require.True(t, f.policy(t, f.patient).IsSpent())
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
	requireRejected(t, f.fixture, types.ErrRecoveryMoving, "the emergency key is spent", func(ctx sdk.Context) error {
		_, err := f.recordsMsg.CreateRecord(ctx, f.createMsg(t, f.hospital, f.patient, recordstypes.RecordKindFHIR, f.researcher))
		return err
	})
	f.move(t, f.ids[3:6]...)
	resp, _ := f.move(t, f.ids[6:]...)
	require.True(t, resp.Complete)
}

// TestKeyRecoveryContinuationRejected: once the records are moving, only
// the new owner continues, from the cursor and in order; nobody else's
// message writes anything, the recovery cannot be cancelled, and neither
// account changes consent or the emergency policy until it completes.
func TestKeyRecoveryContinuationRejected(t *testing.T) {
	f := newBigRecovery(t)
	ids := f.ids
	f.move(t, ids[:3]...)
	next := f.moveMsg(t, ids[3:6]...)
	as := func(signer string) *types.MsgCompleteRecovery {
		m := f.moveMsg(t, ids[3:6]...)
		m.NewOwner = signer
		return m
	}
	with := func(ids ...uint64) *types.MsgCompleteRecovery { return f.moveMsg(t, ids...) }
	edit := func(fn func(*types.MsgCompleteRecovery)) *types.MsgCompleteRecovery {
		m := f.moveMsg(t, ids[3:6]...)
		fn(m)
		return m
	}
	requireAllRejected(t, f.fixture, handler(f.msgServer.CompleteRecovery), []rejection[*types.MsgCompleteRecovery]{
		{"the old owner", as(f.patient), types.ErrRecoveryRefused, "only it may complete it"},
		{"another patient", as(f.otherPatient), types.ErrRecoveryRefused, "only it may complete it"},
		{"a grantee hospital", as(f.hospital), types.ErrRecoveryRefused, "only it may complete it"},
		{"a grantee practitioner", as(f.doctor), types.ErrRecoveryRefused, "only it may complete it"},
		{"a suspended issuer", as(f.suspended), types.ErrRecoveryRefused, "only it may complete it"},
		{"a stranger", as(f.stranger), types.ErrRecoveryRefused, "only it may complete it"},
		{"a custodian", as(f.hospitalB), types.ErrRecoveryRefused, "only it may complete it"},
		{"a record moved already", with(ids[2], ids[3]), types.ErrInvalidWraps, "has moved already"},
		{"out of order", with(ids[4], ids[3]), types.ErrInvalidWraps, "is out of order"},
		{"a record skipped", with(ids[4]), types.ErrInvalidWraps, "the next ACTIVE record to move is"},
		{"a record twice", with(ids[3], ids[3]), types.ErrInvalidWraps, "appears twice"},
		{"another patient's record", edit(func(m *types.MsgCompleteRecovery) {
			m.Records[2].RecordId = f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindPDF)
		}), types.ErrInvalidWraps, "is not a record of " + f.patient},
		{"too many", with(ids[3:7]...), types.ErrInvalidWraps, "at most 3 per message"},
		{"nothing", with(), types.ErrInvalidWraps, "needs an entry"},
		{"a key sealed to someone else", edit(func(m *types.MsgCompleteRecovery) { m.Records[0].Wrap = f.seal(t, ids[3], 0, f.doctor) }),
			types.ErrInvalidWraps, "a recovery seals every key to the new owner"},
	})

	// Nobody stops or forks it now.
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "can no longer be cancelled", func(ctx sdk.Context) error {
		_, err := f.msgServer.CancelRecovery(ctx, &types.MsgCancelRecovery{Patient: f.patient, RecoveryId: f.recovery})
		return err
	})
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "needs no more approvals", func(ctx sdk.Context) error {
		_, err := f.msgServer.ApproveRecovery(ctx, &types.MsgApproveRecovery{Custodian: f.hospital, RecoveryId: f.recovery, Ciphertext: release(f.hospital, f.recovery).Ciphertext})
		return err
	})
	thief := f.str(t, "thief")
	f.registerNewKey(t, thief)
	requireRejected(t, f.fixture, types.ErrRecoveryRefused, "is already moving the records", func(ctx sdk.Context) error {
		_, err := f.msgServer.RequestRecovery(ctx, &types.MsgRequestRecovery{NewOwner: thief, Patient: f.patient})
		return err
	})
	// Neither account changes consent or the policy meanwhile.
	for _, who := range []string{f.patient, f.newOwner} {
		requireRejected(t, f.fixture, types.ErrRecoveryMoving, "recovery 1 is moving", func(ctx sdk.Context) error {
			_, err := f.msgServer.SetEmergencyPolicy(ctx, f.policyMsg(t, who, 2, f.hospital, f.hospitalB))
			return err
		})
	}
	requireRejected(t, f.fixture, types.ErrRecoveryMoving, "cannot be withdrawn", func(ctx sdk.Context) error {
		_, err := f.msgServer.WithdrawEmergencyPolicy(ctx, &types.MsgWithdrawEmergencyPolicy{Patient: f.patient})
		return err
	})
	requireRejected(t, f.fixture, types.ErrRecoveryMoving, "no grant now", func(ctx sdk.Context) error {
		_, err := f.msgServer.GrantAccess(ctx, f.readMsg(t, f.patient, f.clinic, ids[5]))
		return err
	})
	requireRejected(t, f.fixture, types.ErrRecoveryMoving, "no grant now", func(ctx sdk.Context) error {
		_, err := f.msgServer.GrantAccess(ctx, f.readMsg(t, f.newOwner, f.clinic, ids[0]))
		return err
	})
	requireRejected(t, f.fixture, types.ErrRecoveryMoving, "no revocation now", func(ctx sdk.Context) error {
		_, err := f.msgServer.RevokeAccess(ctx, &types.MsgRevokeAccess{Owner: f.newOwner, GrantId: f.doctorGrant})
		return err
	})

	// The new owner's right message still goes through.
	resp, err := f.msgServer.CompleteRecovery(f.freshCtx(), next)
	require.NoError(t, err)
	require.Equal(t, ids[5], resp.MovedThrough)
}

// TestKeyRecoveryNeedsACompletePolicy: a recovery does not start while the
// patient's policy is completing: the records it does not cover yet have
// no emergency wrap, so the new owner could never re-seal them.
func TestKeyRecoveryNeedsACompletePolicy(t *testing.T) {
	g := recoveryFixture{fixture: newFixture(t)}
	g.setParams(t, func(p *types.Params) { p.MaxWrapsPerMsg = maxWrapsInTests })
	ids := g.createRecords(t, g.patient, 5)
	g.completingPolicy(t, g.patient, ids[:3]...)
	g.newOwner = g.str(t, "patient-new")
	g.registerNewKey(t, g.newOwner)
	id := g.request(t)
	g.approve(t, g.hospital, id)
	g.approve(t, g.hospitalB, id)
	g.at(genesisTime.Add(types.DefaultRecoveryDelay))
	requireRejected(t, g.fixture, types.ErrRecoveryRefused, "is still completing", func(ctx sdk.Context) error {
		_, err := g.msgServer.CompleteRecovery(ctx, &types.MsgCompleteRecovery{NewOwner: g.newOwner, RecoveryId: id})
		return err
	})
}

// grantOwner is the owner of grant id.
func (f *fixture) grantOwner(t testing.TB, id uint64) string {
	t.Helper()
	g, err := f.keeper.Grants.Get(f.ctx, id)
	require.NoError(t, err)
	return g.Owner
}

// scopeEntries counts the scope decision entries stored under owner.
func (f *fixture) scopeEntries(t testing.TB, owner string) int {
	t.Helper()
	n := 0
	require.NoError(t, f.keeper.ScopeAccess.Walk(f.ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, int32](f.accAddr(t, owner)),
		func(collections.Triple[sdk.AccAddress, sdk.AccAddress, int32], types.AccessEntry) (bool, error) {
			n++
			return false, nil
		}))
	return n
}
