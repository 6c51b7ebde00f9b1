package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// The attacks of "break-glass never ends": once custodians have released
// threshold shares to a practitioner, that practitioner can derive the
// emergency key. The policy is then spent: no second break-glass under it,
// no new emergency wrap sealed to it, none demanded, until the patient
// re-keys.

// addPractitioner makes a fresh account named name a practitioner of org
// (an ACTIVE organisation adds it itself) with a registered key.
func (f *fixture) addPractitioner(t testing.TB, org, name string) string {
	t.Helper()
	p := f.str(t, name)
	_, err := issuerskeeper.NewMsgServerImpl(f.issuers).AddPractitioner(f.freshCtx(), &issuerstypes.MsgAddPractitioner{
		Organisation: org, Practitioner: p, Role: issuerstypes.PractitionerRoleDoctor,
	})
	require.NoError(t, err)
	f.registerNewKey(t, p)
	return p
}

// addHospital registers a fresh ACTIVE hospital named name, as governance
// would, with a registered key.
func (f *fixture) addHospital(t testing.TB, name string) string {
	t.Helper()
	h := f.str(t, name)
	_, err := issuerskeeper.NewMsgServerImpl(f.issuers).RegisterIssuer(f.freshCtx(), &issuerstypes.MsgRegisterIssuer{
		Authority: f.authority, Address: h, Name: name, Kind: issuerstypes.IssuerKindHospital,
	})
	require.NoError(t, err)
	f.registerNewKey(t, h)
	return h
}

// spend has practitioner break the glass on patient's records and both
// custodian hospitals of optIn release to it: the threshold. It returns
// the access id.
func (f *fixture) spend(t testing.TB, practitioner, patient string) uint64 {
	t.Helper()
	id := f.breakGlass(t, practitioner, patient, 0)
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, id)))
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospitalB, id)))
	return id
}

// policy returns patient's emergency policy as the query shows it.
func (f *fixture) policy(t testing.TB, patient string) types.EmergencyPolicy {
	t.Helper()
	resp, err := f.querier.EmergencyPolicy(f.ctx, &types.QueryEmergencyPolicyRequest{Patient: patient})
	require.NoError(t, err)
	return resp.Policy
}

// TestThresholdReleasesSpendThePolicy: the release that reaches the
// threshold spends the policy, on the policy and in an event; fewer
// releases do not, and the practitioner who spent it keeps its window.
func TestThresholdReleasesSpendThePolicy(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	keyID := types.KeyID(f.optIn(t, f.patient).PublicKey)
	id := f.breakGlass(t, f.doctor, f.patient, 0)

	f.at(genesisTime.Add(time.Minute))
	ctx := f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, id)))
	require.Zero(t, eventCount(ctx, &types.EventEmergencyPolicySpent{}), "one release of two spends nothing")
	p := f.policy(t, f.patient)
	require.Nil(t, p.SpentAt)
	require.Zero(t, p.SpentBy)

	spentAt := genesisTime.Add(2 * time.Minute)
	f.at(spentAt)
	ctx = f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospitalB, id)))
	events.Require(t, ctx, &types.EventEmergencyPolicySpent{Patient: f.patient, KeyId: keyID, AccessId: id, Practitioner: f.doctor, SpentAt: spentAt})
	p = f.policy(t, f.patient)
	require.Equal(t, id, p.SpentBy)
	require.NotNil(t, p.SpentAt)
	require.Equal(t, spentAt, p.SpentAt.UTC())
	require.Equal(t, keyID, p.KeyId, "spending does not change the key; only the patient re-keys")

	// The practitioner who spent it reads for the rest of its window.
	require.True(t, f.check(t, record, f.doctor, types.PermissionRead).Allowed)
}

// TestSpentPolicyRefusesBreakGlass: a second break-glass under a spent key
// is refused, whoever asks — a colleague at the same hospital, the
// practitioner who spent it (during its window and after), another
// hospital's practitioner — with an error that tells the patient to
// re-key; everyone else is refused as before.
func TestSpentPolicyRefusesBreakGlass(t *testing.T) {
	f := newFixture(t)
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	spentBy := f.spend(t, f.doctor, f.patient)
	colleague := f.addPractitioner(t, f.hospital, "doctor-colleague")
	elsewhere := f.addPractitioner(t, f.hospitalB, "doctor-elsewhere")
	msg := func(practitioner string) *types.MsgEmergencyAccess {
		return &types.MsgEmergencyAccess{Practitioner: practitioner, Patient: f.patient, Reason: types.EmergencyReasonLifeThreatening}
	}
	spent := fmt.Sprintf("emergency access %d", spentBy)
	requireAllRejected(t, f, handler(f.msgServer.EmergencyAccess), []rejection[*types.MsgEmergencyAccess]{
		{"a colleague at the same hospital", msg(colleague), types.ErrEmergencyKeySpent, spent},
		{"a practitioner of another hospital", msg(elsewhere), types.ErrEmergencyKeySpent, "medchaind tx access set-emergency-policy"},
		{"the practitioner who spent it", msg(f.doctor), types.ErrEmergencyKeySpent, spent},
		{"the patient", msg(f.patient), types.ErrEmergencyRefused, "the practitioner is the patient"},
		{"another patient", msg(f.otherPatient), types.ErrEmergencyRefused, "may not break the glass"},
		{"a hospital", msg(f.hospital), types.ErrEmergencyRefused, "is an organisation"},
		{"a suspended hospital", msg(f.suspended), types.ErrEmergencyRefused, "may not break the glass"},
		{"a suspended hospital's doctor", msg(f.suspendedDoctor), types.ErrEmergencyRefused, "may not break the glass"},
		{"a stranger", msg(f.stranger), types.ErrEmergencyRefused, "may not break the glass"},
	})

	// The window ends; the key stays spent.
	f.at(genesisTime.Add(types.DefaultEmergencyWindow))
	f.endBlock(t)
	requireRejected(t, f, types.ErrEmergencyKeySpent, spent, sending(f.msgServer.EmergencyAccess, msg(f.doctor)))
}

// TestSpentPolicyNewRecords: while the policy is spent, a new record needs
// no emergency wrap and may not carry one, whoever writes it; writers
// without the right are refused as before.
func TestSpentPolicyNewRecords(t *testing.T) {
	f := newFixture(t)
	f.grantWrite(t, f.patient, f.hospital) // the hospital and its doctors write
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	f.spend(t, f.doctor, f.patient)

	for _, writer := range []string{f.patient, f.doctor, f.hospital} {
		requireRejected(t, f, types.ErrEmergencyKeySpent, "set-emergency-policy",
			sending(f.recordsMsg.CreateRecord, f.createMsg(t, writer, f.patient, recordstypes.RecordKindDICOM, reader)))
		id := f.createRecord(t, writer, f.patient, recordstypes.RecordKindDICOM)
		_, ok := f.storedWrap(t, id, reader)
		require.False(t, ok, "record %d by %s has an emergency wrap", id, writer)
		require.Equal(t, map[string]uint64{f.patient: 0}, f.wrapReaders(t, id))
	}
	for _, tc := range []struct {
		name, writer string
		wantErr      error
		wantMsg      string
	}{
		{"another patient", f.otherPatient, recordstypes.ErrNotAuthorisedIssuer, "not a registered issuer or practitioner"},
		{"a suspended hospital", f.suspended, recordstypes.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"a suspended hospital's doctor", f.suspendedDoctor, recordstypes.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"a stranger", f.stranger, recordstypes.ErrNotAuthorisedIssuer, "not a registered issuer or practitioner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg,
				sending(f.recordsMsg.CreateRecord, f.createMsg(t, tc.writer, f.patient, recordstypes.RecordKindDICOM, reader)))
			requireRejected(t, f, tc.wantErr, tc.wantMsg,
				sending(f.recordsMsg.CreateRecord, f.createMsg(t, tc.writer, f.patient, recordstypes.RecordKindDICOM)))
		})
	}
}

// TestSpentPolicyNewVersions: the owner's new version that replaces the
// wraps may not seal the key to the spent emergency key again, and need
// not; a writer's version without wraps keeps the stored ones; nobody but
// the owner sends wraps.
func TestSpentPolicyNewVersions(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.grantWrite(t, f.patient, f.hospital)
	f.grantRead(t, f.patient, f.doctor, record, nil)
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	f.spend(t, f.doctor, f.patient)

	requireRejected(t, f, types.ErrEmergencyKeySpent, "set-emergency-policy",
		sending(f.recordsMsg.AddVersion, f.addVersion(t, f.patient, record, f.patient, f.doctor, reader)))
	requireRejected(t, f, recordstypes.ErrInvalidWraps, "",
		sending(f.recordsMsg.AddVersion, f.addVersion(t, f.doctor, record, f.patient, f.doctor, reader)))
	requireRejected(t, f, recordstypes.ErrInvalidWraps, "",
		sending(f.recordsMsg.AddVersion, f.addVersion(t, f.hospital, record, f.patient, f.doctor)))
	for _, who := range []string{f.otherPatient, f.suspended, f.stranger} {
		requireRejected(t, f, recordstypes.ErrNotAuthorisedIssuer, "", sending(f.recordsMsg.AddVersion, f.addVersion(t, who, record)))
	}

	f.deliver(t, sending(f.recordsMsg.AddVersion, f.addVersion(t, f.doctor, record)))
	_, ok := f.storedWrap(t, record, reader)
	require.True(t, ok, "a version without wraps keeps the stored ones")
	f.deliver(t, sending(f.recordsMsg.AddVersion, f.addVersion(t, f.patient, record, f.patient, f.doctor)))
	require.Equal(t, map[string]uint64{f.patient: 0, f.doctor: 0}, f.wrapReaders(t, record))
}

// TestSpentPolicyRotations: a revocation's rotation moves the record to a
// key the spent emergency key must not open: no wrap for the emergency
// reader is demanded or accepted. Only the owner revokes.
func TestSpentPolicyRotations(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	grant := f.grantRead(t, f.patient, f.researcher, record, nil)
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	f.spend(t, f.doctor, f.patient)

	revoke := func(owner string, readers ...string) *types.MsgRevokeAccess {
		return &types.MsgRevokeAccess{Owner: owner, GrantId: grant, Rotations: []types.Rotation{f.rotation(t, record, 1, readers...)}}
	}
	requireAllRejected(t, f, handler(f.msgServer.RevokeAccess), []rejection[*types.MsgRevokeAccess]{
		{"a rotation wrapping to the spent key", revoke(f.patient, f.patient, reader), types.ErrEmergencyKeySpent, "rotations[0] of record"},
		{"another patient", revoke(f.otherPatient, f.patient), types.ErrNotOwner, "only the owner may revoke"},
		{"a practitioner", revoke(f.doctor, f.patient), types.ErrNotOwner, "only the owner may revoke"},
		{"a hospital", revoke(f.hospital, f.patient), types.ErrNotOwner, "only the owner may revoke"},
		{"a suspended hospital", revoke(f.suspended, f.patient), types.ErrNotOwner, "only the owner may revoke"},
		{"a stranger", revoke(f.stranger, f.patient), types.ErrNotOwner, "only the owner may revoke"},
	})
	f.deliver(t, sending(f.msgServer.RevokeAccess, revoke(f.patient, f.patient)))
	require.Equal(t, map[string]uint64{f.patient: 1}, f.wrapReaders(t, record))
}

// TestNoGrantToTheEmergencyReader: the emergency reader holds wraps only
// through the policy; a grant to it would seal record keys to the
// emergency key outside the policy, and to a spent key after it.
func TestNoGrantToTheEmergencyReader(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	grant := func() *types.MsgGrantAccess {
		return &types.MsgGrantAccess{
			Owner: f.patient, Grantee: reader, RecordId: record, Permission: types.PermissionRead, Purpose: types.PurposeEmergency,
			Wraps: []recordstypes.KeyWrap{f.seal(t, record, 0, reader)},
		}
	}
	requireRejected(t, f, types.ErrInvalidGrant, "emergency reader", sending(f.msgServer.GrantAccess, grant()))
	f.spend(t, f.doctor, f.patient)
	requireRejected(t, f, types.ErrEmergencyKeySpent, "set-emergency-policy", sending(f.msgServer.GrantAccess, grant()))
}

// TestSpendingClosesTheOtherAccesses: two practitioners broke the glass
// before either had its shares; once one reaches the threshold the other
// access closes (POLICY_SPENT) and takes no release, so the key does not
// go to a second practitioner. The one that spent it still takes
// releases (a custodian may have released garbage) without spending it
// again.
func TestSpendingClosesTheOtherAccesses(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	hospitalC := f.addHospital(t, "St Jude")
	f.deliver(t, sending(f.msgServer.SetEmergencyPolicy, f.policyMsg(t, f.patient, 2, f.hospital, f.hospitalB, hospitalC)))
	colleague := f.addPractitioner(t, f.hospital, "doctor-colleague")
	first := f.breakGlass(t, f.doctor, f.patient, 0)
	f.at(genesisTime.Add(time.Minute))
	second := f.breakGlass(t, colleague, f.patient, 0)
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, second)))

	f.at(genesisTime.Add(2 * time.Minute))
	f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospital, first)))
	ctx := f.deliver(t, sending(f.msgServer.ReleaseShare, release(f.hospitalB, first)))
	events.Require(t, ctx, &types.EventEmergencyAccessClosed{AccessId: second, Outcome: "POLICY_SPENT"})
	f.requireNoRead(t, record, colleague)
	got, err := f.querier.EmergencyAccess(f.ctx, &types.QueryEmergencyAccessRequest{Id: second})
	require.NoError(t, err)
	require.False(t, got.Open)
	require.Equal(t, f.ctx.BlockTime(), got.Access.ExpiresAt, "the log shows when it really ended")

	requireAllRejected(t, f, handler(f.msgServer.ReleaseShare), []rejection[*types.MsgReleaseShare]{
		{"a custodian to the closed access", release(f.hospitalB, second), types.ErrEmergencyClosed, "closed"},
		{"the third custodian to the closed access", release(hospitalC, second), types.ErrEmergencyClosed, "closed"},
		{"the patient", release(f.patient, second), types.ErrEmergencyClosed, "closed"},
		{"a practitioner", release(f.doctor, second), types.ErrEmergencyClosed, "closed"},
		{"a suspended hospital", release(f.suspended, second), types.ErrEmergencyClosed, "closed"},
		{"a stranger", release(f.stranger, second), types.ErrEmergencyClosed, "closed"},
		{"a custodian twice to the spending access", release(f.hospitalB, first), types.ErrReleaseRefused, "already released"},
		{"a stranger to the spending access", release(f.stranger, first), types.ErrReleaseRefused, "holds no share"},
	})

	ctx = f.deliver(t, sending(f.msgServer.ReleaseShare, release(hospitalC, first)))
	require.Zero(t, eventCount(ctx, &types.EventEmergencyPolicySpent{}))
	p := f.policy(t, f.patient)
	require.Equal(t, first, p.SpentBy)
	require.Equal(t, genesisTime.Add(2*time.Minute), p.SpentAt.UTC())
}

// TestReKeyingEndsSpent: a new policy with a new key is unspent: new
// records need its wrap again and practitioners may break the glass
// again. The spent key itself cannot come back.
func TestReKeyingEndsSpent(t *testing.T) {
	f := newFixture(t)
	record := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	old := f.optIn(t, f.patient)
	reader := f.emergencyReader(t, f.patient)
	f.spend(t, f.doctor, f.patient)

	reused := f.policyMsg(t, f.patient, 2, f.hospital, f.hospitalB)
	reused.PublicKey = old.PublicKey
	requireRejected(t, f, types.ErrEmergencyKeySpent, "a new policy needs a new key", sending(f.msgServer.SetEmergencyPolicy, reused))

	renewed := f.optIn(t, f.patient)
	p := f.policy(t, f.patient)
	require.Nil(t, p.SpentAt)
	require.Zero(t, p.SpentBy)
	require.Equal(t, types.KeyID(renewed.PublicKey), p.KeyId)
	w, ok := f.storedWrap(t, record, reader)
	require.True(t, ok)
	require.Equal(t, p.KeyId, w.KeyId)

	requireRejected(t, f, types.ErrInvalidWraps, "no wrap for "+reader,
		sending(f.recordsMsg.CreateRecord, f.createMsg(t, f.patient, f.patient, recordstypes.RecordKindDICOM)))
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, reader)
	colleague := f.addPractitioner(t, f.hospital, "doctor-colleague")
	f.breakGlass(t, colleague, f.patient, 0)
}

// TestEmergencyPerOrganisationPerDay: an organisation's practitioners
// together open at most max_emergency_per_organisation_per_day accesses
// in a UTC day, so adding practitioners does not get around the bound;
// closed accesses still count; other organisations and the next day are
// not affected; the count survives export and import.
func TestEmergencyPerOrganisationPerDay(t *testing.T) {
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) {
		p.MaxEmergencyPerOrganisationPerDay = 2
		p.EmergencyWindow = time.Hour
	})
	f.optIn(t, f.patient)
	f.optIn(t, f.otherPatient)
	a := f.addPractitioner(t, f.hospital, "er-a")
	b := f.addPractitioner(t, f.hospital, "er-b")
	elsewhere := f.addPractitioner(t, f.hospitalB, "er-elsewhere")

	f.breakGlass(t, f.doctor, f.patient, 0)
	f.breakGlass(t, a, f.otherPatient, 0)
	limit := "max_emergency_per_organisation_per_day"
	msg := func(practitioner, patient string) *types.MsgEmergencyAccess {
		return &types.MsgEmergencyAccess{Practitioner: practitioner, Patient: patient, Reason: types.EmergencyReasonUnableToConsent}
	}
	requireAllRejected(t, f, handler(f.msgServer.EmergencyAccess), []rejection[*types.MsgEmergencyAccess]{
		{"a new practitioner of the same hospital", msg(b, f.patient), types.ErrEmergencyRefused, limit},
		{"a practitioner with no open access", msg(b, f.otherPatient), types.ErrEmergencyRefused, limit},
	})
	f.breakGlass(t, elsewhere, f.patient, 0) // another organisation

	// The accesses close; the day's count stays.
	f.at(genesisTime.Add(2 * time.Hour))
	f.endBlock(t)
	requireRejected(t, f, types.ErrEmergencyRefused, limit, sending(f.msgServer.EmergencyAccess, msg(b, f.patient)))

	// Export and import keep the count (rebuilt from the log).
	g, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	rg, err := f.records.ExportGenesis(f.ctx)
	require.NoError(t, err)
	h := importInto(t, g, rg, f.ctx.BlockTime())
	counts := func(f *fixture) map[string]uint32 {
		out := map[string]uint32{}
		require.NoError(t, f.keeper.EmergencyPerOrganisationDay.Walk(f.ctx, nil,
			func(k collections.Pair[sdk.AccAddress, uint64], n uint32) (bool, error) {
				out[fmt.Sprintf("%s/%d", k.K1(), k.K2())] = n
				return false, nil
			}))
		return out
	}
	day := uint64(genesisTime.Unix() / 86400)
	require.Equal(t, map[string]uint32{
		fmt.Sprintf("%s/%d", f.accAddr(t, f.hospital), day):  2,
		fmt.Sprintf("%s/%d", f.accAddr(t, f.hospitalB), day): 1,
	}, counts(f))
	require.Equal(t, counts(f), counts(h))

	// The next UTC day starts afresh.
	f.at(time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC))
	f.breakGlass(t, b, f.patient, 0)
}
