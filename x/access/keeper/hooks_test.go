package keeper_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/access/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// setIssuerStatus changes an organisation's status as governance would.
func (f *fixture) setIssuerStatus(t testing.TB, org string, status issuerstypes.IssuerStatus) {
	t.Helper()
	_, err := issuerskeeper.NewMsgServerImpl(f.issuers).SetIssuerStatus(f.freshCtx(), &issuerstypes.MsgSetIssuerStatus{
		Authority: f.authority, Address: org, Status: status, Reason: "audit",
	})
	require.NoError(t, err)
}

// addVersion is a MsgAddVersion of record id by creator with a wrap of the
// record's current key for each reader.
func (f *fixture) addVersion(t testing.TB, creator string, id uint64, readers ...string) *recordstypes.MsgAddVersion {
	t.Helper()
	record := f.mustRecord(t, id)
	msg := &recordstypes.MsgAddVersion{
		Creator: creator, RecordId: id, Cid: testCID(fmt.Sprintf("record %d version %d", id, record.Version+1)),
		SizeBytes: 5120, KeyEpoch: record.KeyEpoch,
	}
	for _, r := range readers {
		msg.Wraps = append(msg.Wraps, f.seal(t, id, record.KeyEpoch, r))
	}
	return msg
}

// TestHooksCanWrite: somebody other than the owner writes a new record only
// as an authorised issuer holding a live WRITE grant, for itself or its
// organisation, that covers the record's kind.
func TestHooksCanWrite(t *testing.T) {
	scopeWrite := func(grantee string, expiresAt *time.Time, kinds ...recordstypes.RecordKind) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			f.grant(t, &types.MsgGrantAccess{
				Owner: f.patient, Grantee: grantee, Kinds: kinds, Permission: types.PermissionWrite,
				Purpose: types.PurposeTreatment, ExpiresAt: expiresAt,
			})
		}
	}
	expiry := genesisTime.Add(time.Hour)

	for _, tc := range []struct {
		name    string
		setup   func(*testing.T, *fixture)
		writer  func(*fixture) string
		kind    recordstypes.RecordKind
		wantErr error
		wantMsg string
	}{
		{
			name:   "a doctor through its hospital's WRITE",
			setup:  func(t *testing.T, f *fixture) { scopeWrite(f.hospital, nil)(t, f) },
			writer: func(f *fixture) string { return f.doctor }, kind: recordstypes.RecordKindPDF,
		},
		{
			name:   "a doctor through its hospital's WRITE for DICOM, writing DICOM",
			setup:  func(t *testing.T, f *fixture) { scopeWrite(f.hospital, nil, recordstypes.RecordKindDICOM)(t, f) },
			writer: func(f *fixture) string { return f.doctor }, kind: recordstypes.RecordKindDICOM,
		},
		{
			name:   "a doctor through its hospital's WRITE for DICOM, writing PDF",
			setup:  func(t *testing.T, f *fixture) { scopeWrite(f.hospital, nil, recordstypes.RecordKindDICOM)(t, f) },
			writer: func(f *fixture) string { return f.doctor }, kind: recordstypes.RecordKindPDF,
			wantErr: recordstypes.ErrNoWritePermission, wantMsg: "has not granted WRITE to " + testAddrString("doctor"),
		},
		{
			name:   "a clinic without a grant",
			setup:  func(*testing.T, *fixture) {},
			writer: func(f *fixture) string { return f.clinic }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNoWritePermission, wantMsg: "the patient must grant it first",
		},
		{
			name:   "a clinic whose grant is for another patient",
			setup:  func(t *testing.T, f *fixture) { f.grantWrite(t, f.otherPatient, f.clinic) },
			writer: func(f *fixture) string { return f.clinic }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNoWritePermission, wantMsg: "has not granted WRITE to " + testAddrString("clinic"),
		},
		{
			name: "a doctor whose hospital's WRITE has expired",
			setup: func(t *testing.T, f *fixture) {
				scopeWrite(f.hospital, &expiry)(t, f)
				f.at(expiry)
			},
			writer: func(f *fixture) string { return f.doctor }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNoWritePermission, wantMsg: "the patient must grant it first",
		},
		{
			name: "the suspended hospital's doctor with WRITE to the suspended hospital",
			setup: func(t *testing.T, f *fixture) {
				f.setIssuerStatus(t, f.suspended, issuerstypes.IssuerStatusActive)
				scopeWrite(f.suspended, nil)(t, f)
				f.setIssuerStatus(t, f.suspended, issuerstypes.IssuerStatusSuspended)
			},
			writer: func(f *fixture) string { return f.suspendedDoctor }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNotAuthorisedIssuer, wantMsg: "is SUSPENDED",
		},
		{
			name:   "a researcher",
			setup:  func(*testing.T, *fixture) {},
			writer: func(f *fixture) string { return f.researcher }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNotAuthorisedIssuer, wantMsg: "not a registered issuer or practitioner",
		},
		{
			name: "a hospital with WRITE on one record creating another",
			setup: func(t *testing.T, f *fixture) {
				id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
				f.grant(t, &types.MsgGrantAccess{
					Owner: f.patient, Grantee: f.hospital, RecordId: id, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
				})
			},
			writer: func(f *fixture) string { return f.doctor }, kind: recordstypes.RecordKindDICOM,
			wantErr: recordstypes.ErrNoWritePermission, wantMsg: "the patient must grant it first",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(t, f)
			writer := tc.writer(f)
			msg := f.createMsg(t, writer, f.patient, tc.kind)
			if tc.wantErr != nil {
				requireRejected(t, f, tc.wantErr, tc.wantMsg, sending(f.recordsMsg.CreateRecord, msg))
				return
			}
			resp, err := f.recordsMsg.CreateRecord(f.freshCtx(), msg)
			require.NoError(t, err)
			record := f.mustRecord(t, resp.Id)
			require.Equal(t, f.patient, record.Owner)
			require.Equal(t, writer, record.Issuer)
			require.Equal(t, f.hospital, record.Organisation)
		})
	}
}

// testAddrString is the bech32 form of sample.Addr(name).
func testAddrString(name string) string {
	return sample.Bech32(name)
}

// TestHooksRecordWriteGrant: WRITE on one record lets the grantee's
// practitioners add versions to that record only.
func TestHooksRecordWriteGrant(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.hospital, RecordId: id, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
	})

	f.deliver(t, sending(f.recordsMsg.AddVersion, f.addVersion(t, f.doctor, id)))
	require.Equal(t, uint64(2), f.mustRecord(t, id).Version)
	msg := f.addVersion(t, f.doctor, other, f.patient)
	requireRejected(t, f, recordstypes.ErrNoWritePermission, "has not granted WRITE", sending(f.recordsMsg.AddVersion, msg))
}

// TestHooksReadScopeWraps: while a READ scope grant is live, every new
// record of a covered kind carries a wrap for its grantee, and records of
// other kinds must not.
func TestHooksReadScopeWraps(t *testing.T) {
	f := newFixture(t)
	expiry := genesisTime.Add(time.Hour)
	g := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.researcher, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeResearch, ExpiresAt: &expiry,
	})
	create := func(msg *recordstypes.MsgCreateRecord) func(sdk.Context) error {
		return sending(f.recordsMsg.CreateRecord, msg)
	}

	requireRejected(t, f, types.ErrInvalidWraps,
		fmt.Sprintf("no wrap for %s, who may read record %d through grant %d", f.researcher, f.nextRecordID(t), g),
		create(f.createMsg(t, f.patient, f.patient, recordstypes.RecordKindDICOM)))
	requireRejected(t, f, types.ErrInvalidWraps,
		fmt.Sprintf("is for %s, who is neither the owner nor holds a live READ grant", f.researcher),
		create(f.createMsg(t, f.patient, f.patient, recordstypes.RecordKindFHIR, f.researcher)))

	dicom := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, f.researcher)
	fhir := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
	f.requireReads(t, dicom, f.researcher, g, 0)
	require.Equal(t, map[string]uint64{f.patient: 0}, f.wrapReaders(t, fhir))

	// Once the grant has expired (EndBlock has not run yet) it obliges nothing.
	f.at(expiry)
	requireRejected(t, f, types.ErrInvalidWraps, "neither the owner nor holds a live READ grant",
		create(f.createMsg(t, f.patient, f.patient, recordstypes.RecordKindDICOM, f.researcher)))
	f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
}

// TestHooksAddVersionWraps: a new version carries wraps for exactly the
// record's current readers, and they replace the stored ones.
func TestHooksAddVersionWraps(t *testing.T) {
	f := newFixture(t)
	scope := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.doctor, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
	})
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, f.doctor)
	g := f.grantRead(t, f.patient, f.researcher, id, nil)
	addVersion := func(readers ...string) func(sdk.Context) error {
		return sending(f.recordsMsg.AddVersion, f.addVersion(t, f.patient, id, readers...))
	}
	reader := func(who string, grant uint64) string {
		return fmt.Sprintf("no wrap for %s, who may read record %d through grant %d", who, id, grant)
	}

	requireRejected(t, f, types.ErrInvalidWraps, reader(f.researcher, g), addVersion(f.patient, f.doctor))
	requireRejected(t, f, types.ErrInvalidWraps, reader(f.doctor, scope), addVersion(f.patient, f.researcher))
	requireRejected(t, f, types.ErrInvalidWraps, fmt.Sprintf("no wrap for the owner %s", f.patient), addVersion(f.researcher, f.doctor))
	requireRejected(t, f, types.ErrInvalidWraps, fmt.Sprintf("is for %s, who is neither the owner nor holds a live READ grant", f.clinic),
		addVersion(f.patient, f.researcher, f.doctor, f.clinic))

	msg := f.addVersion(t, f.patient, id, f.researcher, f.patient, f.doctor)
	f.deliver(t, sending(f.recordsMsg.AddVersion, msg))
	for _, w := range msg.Wraps {
		stored, ok := f.storedWrap(t, id, w.Grantee)
		require.True(t, ok)
		require.Equal(t, w.Ciphertext, stored.Ciphertext, "the version's wraps replace the old ones")
	}
	require.Len(t, f.wrapReaders(t, id), 3)
}

// TestHooksRedaction: redacting a record ends its grants and deletes every
// wrap of its key; the owner's scope grants stay, for the other records.
func TestHooksRedaction(t *testing.T) {
	f := newFixture(t)
	scope := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.doctor, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
	})
	writeScope := f.grantWrite(t, f.patient, f.hospital)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, f.doctor)
	kept := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM, f.doctor)
	read := f.grantRead(t, f.patient, f.researcher, id, nil)
	write := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.clinic, RecordId: id, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
	})
	keptRead := f.grantRead(t, f.patient, f.researcher, kept, nil)

	ctx := f.redact(t, f.patient, id)
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: read, Owner: f.patient, Grantee: f.researcher, Reason: types.RevocationReasonRecordRedacted,
	})
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: write, Owner: f.patient, Grantee: f.clinic, Reason: types.RevocationReasonRecordRedacted,
	})
	require.False(t, f.grantStored(t, read))
	require.False(t, f.grantStored(t, write))
	require.Empty(t, f.wrapReaders(t, id))
	for _, g := range []uint64{scope, writeScope, keptRead} {
		require.True(t, f.grantStored(t, g), "grant %d is not about the redacted record", g)
	}
	require.Equal(t, map[string]uint64{f.patient: 0, f.doctor: 0, f.researcher: 0}, f.wrapReaders(t, kept))

	for _, who := range []string{f.patient, f.doctor, f.researcher} {
		require.Equal(t, fmt.Sprintf("record %d is redacted", id), f.requireNoRead(t, id, who))
	}
	f.requireReads(t, kept, f.doctor, scope, 0)
}

// TestHooksRedactionClosesRequests: redacting a record closes the requests
// for it (RECORD_REDACTED), freeing their requesters' slots; requests for
// other records and scope requests stay pending.
func TestHooksRedactionClosesRequests(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	kept := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	forRecord := []uint64{f.request(t, readRequest(f.researcher, f.patient, id)), f.request(t, readRequest(f.doctor, f.patient, id))}
	forKept := f.request(t, readRequest(f.researcher, f.patient, kept))
	scope := f.request(t, readRequest(f.researcher, f.patient, 0))

	ctx := f.redact(t, f.patient, id)
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: forRecord[0], Requester: f.researcher, Owner: f.patient, Outcome: "RECORD_REDACTED"})
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: forRecord[1], Requester: f.doctor, Owner: f.patient, Outcome: "RECORD_REDACTED"})
	require.Equal(t, 2, eventCount(ctx, &types.EventRequestClosed{}))
	require.Equal(t, []uint64{forKept, scope}, f.pendingRequestIDs(t, f.patient, false))
	f.request(t, readRequest(f.researcher, f.patient, kept)) // the freed slot
}

// TestCheckAccessOwnerAndStranger: the owner always reads its record with
// its own wrap; an account without a grant never does.
func TestCheckAccessOwnerAndStranger(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)

	f.requireReads(t, id, f.patient, 0, 0)
	check := f.check(t, id, f.patient, types.PermissionRead)
	require.Equal(t, "owner", check.Reason)
	require.Nil(t, check.Grant)
	check = f.check(t, id, f.patient, types.PermissionWrite)
	require.True(t, check.Allowed)
	require.Nil(t, check.Wrap)

	for _, p := range []types.Permission{types.PermissionRead, types.PermissionWrite} {
		check = f.check(t, id, f.stranger, p)
		require.False(t, check.Allowed)
		want := "no live READ grant"
		if p == types.PermissionWrite {
			want = "not an authorised issuer: not a registered issuer or practitioner"
		}
		require.Equal(t, want, check.Reason)
		require.Nil(t, check.Grant)
		require.Nil(t, check.Wrap)
	}
}

// TestCheckAccessWriteAgreesWithRecords: CheckAccess answers WRITE as
// x/records decides it: a grantee whose organisation is suspended holds a
// live WRITE grant, yet records refuses its writes, so it is not allowed.
func TestCheckAccessWriteAgreesWithRecords(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.grantWrite(t, f.patient, f.hospital)
	f.grantWrite(t, f.patient, f.doctor)
	f.setIssuerStatus(t, f.hospital, issuerstypes.IssuerStatusSuspended)

	for _, writer := range []string{f.hospital, f.doctor} {
		requireRejected(t, f, recordstypes.ErrNotAuthorisedIssuer, "is SUSPENDED",
			sending(f.recordsMsg.AddVersion, f.addVersion(t, writer, id, f.patient)))
	}
	for _, writer := range []string{f.hospital, f.doctor} {
		check := f.check(t, id, writer, types.PermissionWrite)
		require.False(t, check.Allowed, "%s: %s", writer, check.Reason)
		require.Contains(t, check.Reason, "SUSPENDED")
	}
}

// TestHooksWriterCannotDestroyEarlierVersions is the attack of a hospital
// holding WRITE but not READ: it adds a version with wraps of random bytes
// for every reader. The chain refuses the wraps; a version without wraps
// is accepted and every reader's stored wrap is byte-identical to before
// and still opens the key of every earlier version. The owner may still
// refresh the wraps of the epoch.
func TestHooksWriterCannotDestroyEarlierVersions(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.grantRead(t, f.patient, f.researcher, id, nil)
	f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.hospital, RecordId: id, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
	})
	stored := func(reader string) types.Wrap {
		w, found := f.storedWrap(t, id, reader)
		require.True(t, found, "no wrap for %s", reader)
		return w
	}
	before := map[string]types.Wrap{f.patient: stored(f.patient), f.researcher: stored(f.researcher)}

	for _, writer := range []string{f.hospital, f.doctor} {
		garbage := f.addVersion(t, writer, id)
		for _, reader := range []string{f.patient, f.researcher} {
			w := f.seal(t, id, 0, reader)
			w.Ciphertext = bytes.Repeat([]byte{0xA5}, len(w.Ciphertext))
			garbage.Wraps = append(garbage.Wraps, w)
		}
		requireRejected(t, f, recordstypes.ErrInvalidWraps, "only the owner may replace the wraps", sending(f.recordsMsg.AddVersion, garbage))
		// Even well-formed wraps of the right key are the owner's to replace.
		honest := f.addVersion(t, writer, id, f.patient, f.researcher)
		requireRejected(t, f, recordstypes.ErrInvalidWraps, "only the owner may replace the wraps", sending(f.recordsMsg.AddVersion, honest))
	}

	f.deliver(t, sending(f.recordsMsg.AddVersion, f.addVersion(t, f.hospital, id)))
	require.Equal(t, uint64(2), f.mustRecord(t, id).Version)
	for reader, w := range before {
		after := stored(reader)
		require.Equal(t, w, after, "%s's wrap is untouched by a writer's version", reader)
		require.Equal(t, recordKey(id, 0), f.open(t, &after, reader))
	}

	// The owner may refresh the wraps (for example after registering a new
	// encryption key); they must still cover every reader.
	f.deliver(t, sending(f.recordsMsg.AddVersion, f.addVersion(t, f.patient, id, f.patient, f.researcher)))
	require.Equal(t, uint64(3), f.mustRecord(t, id).Version)
	requireRejected(t, f, types.ErrInvalidWraps, "", sending(f.recordsMsg.AddVersion, f.addVersion(t, f.patient, id, f.patient)))
}
