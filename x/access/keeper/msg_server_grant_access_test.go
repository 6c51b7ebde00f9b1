package keeper_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Helpers shared by the msg server and hooks tests of this package.

// deliver runs call on a fresh context, requires it to succeed and returns
// the context so the caller can look at its events.
func (f *fixture) deliver(t testing.TB, call func(ctx sdk.Context) error) sdk.Context {
	t.Helper()
	ctx := f.freshCtx()
	require.NoError(t, call(ctx))
	return ctx
}

// mustRecord returns a record that must exist.
func (f *fixture) mustRecord(t testing.TB, id uint64) recordstypes.Record {
	t.Helper()
	record, found, err := f.records.GetRecord(f.ctx, id)
	require.NoError(t, err)
	require.True(t, found, "record %d", id)
	return record
}

// storedWrap returns the wrap of record recordID's key stored for reader.
func (f *fixture) storedWrap(t testing.TB, recordID uint64, reader string) (types.Wrap, bool) {
	t.Helper()
	addr, err := f.addressCodec.StringToBytes(reader)
	require.NoError(t, err)
	w, err := f.keeper.Wraps.Get(f.ctx, collections.Join(recordID, sdk.AccAddress(addr)))
	if err != nil {
		require.ErrorIs(t, err, collections.ErrNotFound)
		return w, false
	}
	return w, true
}

// wrapReaders returns who holds a wrap of record recordID, each with the
// key epoch its wrap seals.
func (f *fixture) wrapReaders(t testing.TB, recordID uint64) map[string]uint64 {
	t.Helper()
	readers := map[string]uint64{}
	err := f.keeper.Wraps.Walk(f.ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](recordID),
		func(_ collections.Pair[uint64, sdk.AccAddress], w types.Wrap) (bool, error) {
			readers[w.Grantee] = w.KeyEpoch
			return false, nil
		})
	require.NoError(t, err)
	return readers
}

// grantStored reports whether grant id is in state.
func (f *fixture) grantStored(t testing.TB, id uint64) bool {
	t.Helper()
	has, err := f.keeper.Grants.Has(f.ctx, id)
	require.NoError(t, err)
	return has
}

// readMsg is a READ grant of owner's record recordID to grantee carrying
// the grantee's wrap at the record's key epoch.
func (f *fixture) readMsg(t testing.TB, owner, grantee string, recordID uint64) *types.MsgGrantAccess {
	t.Helper()
	return &types.MsgGrantAccess{
		Owner: owner, Grantee: grantee, RecordId: recordID, Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
		Wraps: []recordstypes.KeyWrap{f.seal(t, recordID, f.mustRecord(t, recordID).KeyEpoch, grantee)},
	}
}

// grant sends msg, requires success and returns the new grant's id.
func (f *fixture) grant(t testing.TB, msg *types.MsgGrantAccess) uint64 {
	t.Helper()
	resp, err := f.msgServer.GrantAccess(f.freshCtx(), msg)
	require.NoError(t, err)
	return resp.GrantId
}

// redact redacts owner's record id.
func (f *fixture) redact(t testing.TB, owner string, id uint64) sdk.Context {
	t.Helper()
	return f.deliver(t, sending(f.recordsMsg.RedactRecord, &recordstypes.MsgRedactRecord{Owner: owner, RecordId: id}))
}

func timeRef(t time.Time) *time.Time { return &t }

// requireReads asserts that reader may READ record id now, through grant
// (0: whatever grant, or ownership), and that its wrap opens the record
// key of epoch.
func (f *fixture) requireReads(t testing.TB, id uint64, reader string, grant, epoch uint64) {
	t.Helper()
	check := f.check(t, id, reader, types.PermissionRead)
	require.True(t, check.Allowed, check.Reason)
	if grant != 0 {
		require.NotNil(t, check.Grant)
		require.Equal(t, grant, check.Grant.Id)
	}
	require.Equal(t, epoch, check.KeyEpoch)
	require.Equal(t, recordKey(id, epoch), f.open(t, check.Wrap, reader))
}

// requireNoRead asserts that reader may not READ record id now and gets no
// wrap; it returns the reason given.
func (f *fixture) requireNoRead(t testing.TB, id uint64, reader string) string {
	t.Helper()
	check := f.check(t, id, reader, types.PermissionRead)
	require.False(t, check.Allowed, "%s may read record %d: %s", reader, id, check.Reason)
	require.Nil(t, check.Grant)
	require.Nil(t, check.Wrap)
	return check.Reason
}

// rejection is a message that must fail with wantErr, saying wantMsg.
type rejection[M any] struct {
	name    string
	msg     M
	wantErr error
	wantMsg string
}

// requireAllRejected sends each case's message in a subtest and requires
// it to be rejected without any effect (requireRejected).
func requireAllRejected[M any](t *testing.T, f *fixture, send func(sdk.Context, M) error, cases []rejection[M]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) error { return send(ctx, tc.msg) })
		})
	}
}

// handler adapts a Msg service method to requireAllRejected.
func handler[M, R any](method func(context.Context, M) (R, error)) func(sdk.Context, M) error {
	return func(ctx sdk.Context, msg M) error {
		_, err := method(ctx, msg)
		return err
	}
}

// sending is the call of method with msg, for requireRejected and deliver.
func sending[M, R any](method func(context.Context, M) (R, error), msg M) func(sdk.Context) error {
	return func(ctx sdk.Context) error { return handler(method)(ctx, msg) }
}

// TestGrantAccessOwner: the owner's READ grant is stored with its wrap,
// announced in full, and lets the grantee open the record key.
func TestGrantAccessOwner(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	msg := f.readMsg(t, f.patient, f.researcher, id)
	msg.Purpose = types.PurposeResearch
	msg.ExpiresAt = timeRef(genesisTime.Add(24 * time.Hour))

	var resp *types.MsgGrantAccessResponse
	ctx := f.deliver(t, func(ctx sdk.Context) (err error) {
		resp, err = f.msgServer.GrantAccess(ctx, msg)
		return err
	})

	want := types.Grant{
		Id: resp.GrantId, Owner: f.patient, Grantee: f.researcher, RecordId: id,
		Permission: types.PermissionRead, Purpose: types.PurposeResearch, ExpiresAt: msg.ExpiresAt, CreatedAt: genesisTime,
	}
	got, err := f.querier.Grant(f.ctx, &types.QueryGrantRequest{Id: resp.GrantId})
	require.NoError(t, err)
	require.Equal(t, want, got.Grant)
	events.Require(t, ctx, &types.EventAccessGranted{Grant: want, Wraps: 1})

	w, ok := f.storedWrap(t, id, f.researcher)
	require.True(t, ok)
	require.Equal(t, msg.Wraps[0].Ciphertext, w.Ciphertext)
	f.requireReads(t, id, f.researcher, resp.GrantId, 0)
}

// TestGrantAccessNotOwner: only the record's owner may grant access to it;
// everybody else signing as owner is refused and nothing changes.
func TestGrantAccessNotOwner(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	notOwner := func(name, signer string) rejection[*types.MsgGrantAccess] {
		return rejection[*types.MsgGrantAccess]{name, f.readMsg(t, signer, f.researcher, id), types.ErrNotOwner, "belongs to another patient"}
	}
	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		notOwner("other patient", f.otherPatient),
		notOwner("hospital (issuer)", f.hospital),
		notOwner("doctor", f.doctor),
		notOwner("suspended hospital's doctor", f.suspendedDoctor),
		notOwner("stranger", f.stranger),
	})
	t.Run("the grantee itself", func(t *testing.T) {
		requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
			notOwner("signed by the grantee", f.researcher),
		})
	})
}

// TestGrantAccessReadWraps: a READ grant carries exactly one well-formed
// wrap per covered record, for the grantee, sealed to its current key.
func TestGrantAccessReadWraps(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	good := f.seal(t, id, 0, f.researcher)
	withCiphertext := func(n int) recordstypes.KeyWrap {
		w := good
		w.Ciphertext = bytes.Repeat([]byte{7}, n)
		return w
	}
	unregistered := good
	unregistered.KeyId = "0123456789abcdef"
	maxWrap := types.MLKEM768X25519EncSize + types.AEADTagSize + types.MaxRecordKeySize
	grant := func(grantee string, wraps ...recordstypes.KeyWrap) *types.MsgGrantAccess {
		return &types.MsgGrantAccess{
			Owner: f.patient, Grantee: grantee, RecordId: id, Permission: types.PermissionRead,
			Purpose: types.PurposeTreatment, Wraps: wraps,
		}
	}

	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		{"missing", grant(f.researcher), types.ErrInvalidWraps, fmt.Sprintf("no wrap for records [%d]", id)},
		{"duplicated", grant(f.researcher, good, good), types.ErrInvalidWraps, fmt.Sprintf("record %d has more than one wrap", id)},
		{"wrong key epoch", grant(f.researcher, f.seal(t, id, 1, f.researcher)), types.ErrInvalidWraps,
			fmt.Sprintf("seals key epoch 1 of record %d, which is at key epoch 0", id)},
		{"bound to another record", grant(f.researcher, f.seal(t, other, 0, f.researcher)), types.ErrInvalidWraps,
			fmt.Sprintf("is for record %d, which the grant does not cover", other)},
		{"for another grantee", grant(f.researcher, f.seal(t, id, 0, f.doctor)), types.ErrInvalidWraps,
			"every wrap must be for the grantee"},
		{"sealed to an unregistered key", grant(f.researcher, unregistered), types.ErrInvalidWraps,
			`sealed to key "0123456789abcdef", which is not a registered key of`},
		{"ciphertext too short", grant(f.researcher, withCiphertext(100)), types.ErrInvalidWraps,
			"is 100 bytes; an ML-KEM-768-X25519 wrap is"},
		{"ciphertext too long", grant(f.researcher, withCiphertext(maxWrap+1)), types.ErrInvalidWraps,
			fmt.Sprintf("is %d bytes", maxWrap+1)},
		{"grantee without a key", grant(f.stranger), types.ErrNoEncryptionKey,
			"has no registered encryption key, so no record key can be sealed to it"},
	})
}

// TestGrantAccessRejected covers the checks on everything but the wraps.
func TestGrantAccessRejected(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	redacted := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindPDF)
	f.redact(t, f.patient, redacted)
	write := func(grantee string) *types.MsgGrantAccess {
		return &types.MsgGrantAccess{Owner: f.patient, Grantee: grantee, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment}
	}
	read := func(edit func(*types.MsgGrantAccess)) *types.MsgGrantAccess {
		msg := f.readMsg(t, f.patient, f.researcher, id)
		edit(msg)
		return msg
	}

	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		{"WRITE with wraps", read(func(m *types.MsgGrantAccess) { m.Grantee, m.Permission = f.hospital, types.PermissionWrite }),
			types.ErrInvalidWraps, "a WRITE grant carries no wraps (1 given)"},
		{"WRITE to a researcher", write(f.researcher), types.ErrNotIssuer, "not a registered issuer or practitioner"},
		{"WRITE to a stranger", write(f.stranger), types.ErrNotIssuer, "not a registered issuer or practitioner"},
		{"WRITE to the suspended hospital", write(f.suspended), types.ErrNotIssuer, "is SUSPENDED"},
		{"WRITE to the suspended hospital's doctor", write(f.suspendedDoctor), types.ErrNotIssuer, "is SUSPENDED"},
		{"grant to self", read(func(m *types.MsgGrantAccess) { m.Grantee = f.patient }),
			types.ErrInvalidGrant, "the grantee is the owner"},
		{"expires at the block time", read(func(m *types.MsgGrantAccess) { m.ExpiresAt = timeRef(genesisTime) }),
			types.ErrInvalidGrant, "is not after the current block time"},
		{"expired already", read(func(m *types.MsgGrantAccess) { m.ExpiresAt = timeRef(genesisTime.Add(-time.Second)) }),
			types.ErrInvalidGrant, "is not after the current block time"},
		{"purpose unspecified", read(func(m *types.MsgGrantAccess) { m.Purpose = types.PurposeUnspecified }),
			types.ErrInvalidGrant, "purpose PURPOSE_UNSPECIFIED is not valid; use one of: treatment"},
		{"unknown purpose", read(func(m *types.MsgGrantAccess) { m.Purpose = 99 }),
			types.ErrInvalidGrant, "purpose 99 is not valid"},
		{"permission unspecified", read(func(m *types.MsgGrantAccess) { m.Permission = types.PermissionUnspecified }),
			types.ErrInvalidGrant, "permission PERMISSION_UNSPECIFIED is not valid; use read or write"},
		{"unknown permission", read(func(m *types.MsgGrantAccess) { m.Permission = 99 }),
			types.ErrInvalidGrant, "permission 99 is not valid"},
		{"record grant with kinds", read(func(m *types.MsgGrantAccess) { m.Kinds = []recordstypes.RecordKind{recordstypes.RecordKindDICOM} }),
			types.ErrInvalidGrant, "kinds only narrow a scope grant"},
		{"scope with an unknown kind", read(func(m *types.MsgGrantAccess) { m.RecordId, m.Kinds = 0, []recordstypes.RecordKind{42} }),
			types.ErrInvalidGrant, "kind 42 is not valid"},
		{"scope with a kind twice", read(func(m *types.MsgGrantAccess) {
			m.RecordId, m.Kinds = 0, []recordstypes.RecordKind{recordstypes.RecordKindPDF, recordstypes.RecordKindPDF}
		}), types.ErrInvalidGrant, "kind PDF is listed twice"},
		{"redacted record", read(func(m *types.MsgGrantAccess) { m.RecordId = redacted; m.Wraps[0].RecordId = redacted }),
			types.ErrRecordRedacted, fmt.Sprintf("record %d was redacted by its owner", redacted)},
		{"unknown record", read(func(m *types.MsgGrantAccess) { m.RecordId = 999 }),
			types.ErrRecordNotFound, "record 999 does not exist"},
		{"malformed owner", read(func(m *types.MsgGrantAccess) { m.Owner = "med1notbech32" }),
			types.ErrInvalidAddress, `owner "med1notbech32"`},
		{"malformed grantee", read(func(m *types.MsgGrantAccess) { m.Grantee = "cosmos1xyz" }),
			types.ErrInvalidAddress, `grantee "cosmos1xyz"`},
		{"empty grantee", read(func(m *types.MsgGrantAccess) { m.Grantee = "" }),
			types.ErrInvalidAddress, "grantee is empty"},
	})
}

// TestGrantAccessExists: one live grant per (target, grantee, permission).
func TestGrantAccessExists(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	w := f.grantWrite(t, f.patient, f.hospital, recordstypes.RecordKindDICOM)

	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		{"record READ", f.readMsg(t, f.patient, f.researcher, id), types.ErrGrantExists,
			fmt.Sprintf("grant %d already gives %s READ", g, f.researcher)},
		{"scope WRITE with other kinds", &types.MsgGrantAccess{
			Owner: f.patient, Grantee: f.hospital, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindPDF},
			Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
		}, types.ErrGrantExists, fmt.Sprintf("grant %d already gives %s WRITE on this target; revoke it first", w, f.hospital)},
	})
}

// TestGrantAccessReplacesExpiredGrant: a grant that has expired but is
// still waiting for EndBlock does not block a new one; it is removed and
// reported as expired.
func TestGrantAccessReplacesExpiredGrant(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	expiry := genesisTime.Add(time.Hour)
	old := f.grantRead(t, f.patient, f.researcher, id, &expiry)

	// Expiry is exclusive: at exactly expires_at the old grant is over.
	f.at(expiry)
	var resp *types.MsgGrantAccessResponse
	ctx := f.deliver(t, func(ctx sdk.Context) (err error) {
		resp, err = f.msgServer.GrantAccess(ctx, f.readMsg(t, f.patient, f.researcher, id))
		return err
	})
	require.NotEqual(t, old, resp.GrantId)
	require.False(t, f.grantStored(t, old), "the expired grant is gone")
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: old, Owner: f.patient, Grantee: f.researcher, Reason: types.RevocationReasonExpired,
	})
	has, err := f.keeper.GrantExpiry.Has(f.ctx, collections.Join(expiry, old))
	require.NoError(t, err)
	require.False(t, has, "EndBlock must not find the old grant again")

	f.requireReads(t, id, f.researcher, resp.GrantId, 0)
}

// TestGrantAccessScopeRead: a READ scope grant carries one wrap per ACTIVE
// record of the owner of a covered kind, and none for anything else.
func TestGrantAccessScopeRead(t *testing.T) {
	f := newFixture(t)
	dicom1 := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	fhir := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
	dicom2 := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	redacted := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.redact(t, f.patient, redacted)
	foreign := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)

	scope := func(ids ...uint64) *types.MsgGrantAccess {
		msg := &types.MsgGrantAccess{
			Owner: f.patient, Grantee: f.researcher, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
			Permission: types.PermissionRead, Purpose: types.PurposeResearch,
		}
		for _, id := range ids {
			msg.Wraps = append(msg.Wraps, f.seal(t, id, 0, f.researcher))
		}
		return msg
	}
	notCovered := func(id uint64) string { return fmt.Sprintf("record %d, which the grant does not cover", id) }
	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		{"a covered record left out", scope(dicom1), types.ErrInvalidWraps, fmt.Sprintf("no wrap for records [%d]", dicom2)},
		{"every covered record left out", scope(), types.ErrInvalidWraps, fmt.Sprintf("no wrap for records [%d %d]", dicom1, dicom2)},
		{"a record of another kind", scope(dicom1, dicom2, fhir), types.ErrInvalidWraps, notCovered(fhir)},
		{"a redacted record", scope(dicom1, dicom2, redacted), types.ErrInvalidWraps, notCovered(redacted)},
		{"another patient's record", scope(dicom1, foreign, dicom2), types.ErrInvalidWraps, notCovered(foreign)},
	})

	msg := scope(dicom2, dicom1)
	var resp *types.MsgGrantAccessResponse
	ctx := f.deliver(t, func(ctx sdk.Context) (err error) {
		resp, err = f.msgServer.GrantAccess(ctx, msg)
		return err
	})
	events.Require(t, ctx, &types.EventAccessGranted{Grant: types.Grant{
		Id: resp.GrantId, Owner: f.patient, Grantee: f.researcher, Kinds: msg.Kinds,
		Permission: types.PermissionRead, Purpose: types.PurposeResearch, CreatedAt: genesisTime,
	}, Wraps: 2})
	f.requireReads(t, dicom1, f.researcher, resp.GrantId, 0)
	f.requireReads(t, dicom2, f.researcher, resp.GrantId, 0)
	f.requireNoRead(t, fhir, f.researcher)
	_, hasFHIRWrap := f.storedWrap(t, fhir, f.researcher)
	require.False(t, hasFHIRWrap)
}

// TestGrantAccessToOrganisation: a READ grant to an organisation lets its
// practitioners read through the organisation's wrap while it is ACTIVE.
func TestGrantAccessToOrganisation(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)

	g := f.grantRead(t, f.patient, f.hospital, id, nil)
	check := f.check(t, id, f.doctor, types.PermissionRead)
	require.True(t, check.Allowed, check.Reason)
	require.Equal(t, g, check.Grant.Id)
	require.Equal(t, f.hospital, check.ViaOrganisation)
	require.Contains(t, check.Reason, "to organisation "+f.hospital)
	require.Equal(t, f.hospital, check.Wrap.Grantee)
	require.Equal(t, recordKey(id, 0), f.open(t, check.Wrap, f.hospital))

	f.grantRead(t, f.patient, f.suspended, id, nil)
	require.Equal(t, "no live READ grant", f.requireNoRead(t, id, f.suspendedDoctor),
		"a suspended organisation's practitioners read nothing through it")
}
