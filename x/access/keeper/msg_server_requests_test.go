package keeper_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	issuerskeeper "github.com/medchain/medchain/x/issuers/keeper"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// readRequest is requester's request for READ on owner's record recordID
// (0: every record) for research.
func readRequest(requester, owner string, recordID uint64) *types.MsgRequestAccess {
	return &types.MsgRequestAccess{
		Requester: requester, Owner: owner, RecordId: recordID,
		Permission: types.PermissionRead, Purpose: types.PurposeResearch, SealedReason: types.FakeSealedReason("cohort study 42"),
	}
}

// request files msg and returns the request id.
func (f *fixture) request(t testing.TB, msg *types.MsgRequestAccess) uint64 {
	t.Helper()
	resp, err := f.msgServer.RequestAccess(f.freshCtx(), msg)
	require.NoError(t, err)
	return resp.RequestId
}

// pendingRequestIDs lists the ids of the pending requests of owner (by owner) or
// of requester (by requester == true).
func (f *fixture) pendingRequestIDs(t testing.TB, addr string, byRequester bool) []uint64 {
	t.Helper()
	var requests []types.AccessRequest
	if byRequester {
		resp, err := f.querier.RequestsByRequester(f.ctx, &types.QueryRequestsByRequesterRequest{Requester: addr})
		require.NoError(t, err)
		requests = resp.Requests
	} else {
		resp, err := f.querier.RequestsByOwner(f.ctx, &types.QueryRequestsByOwnerRequest{Owner: addr})
		require.NoError(t, err)
		requests = resp.Requests
	}
	ids := []uint64{}
	for _, r := range requests {
		ids = append(ids, r.Id)
	}
	return ids
}

// requestStored reports whether request id is still in the store (pending,
// or expired and waiting for EndBlock).
func (f *fixture) requestStored(t testing.TB, id uint64) bool {
	t.Helper()
	has, err := f.keeper.Requests.Has(f.ctx, id)
	require.NoError(t, err)
	return has
}

// TestRequestAccess: a request is pending, listed for the owner and the
// requester, and expires after the default TTL unless it says otherwise.
func TestRequestAccess(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)

	msg := readRequest(f.researcher, f.patient, id)
	var resp *types.MsgRequestAccessResponse
	ctx := f.deliver(t, func(ctx sdk.Context) (err error) {
		resp, err = f.msgServer.RequestAccess(ctx, msg)
		return err
	})
	want := types.AccessRequest{
		Id: resp.RequestId, Requester: f.researcher, Owner: f.patient, RecordId: id,
		Permission: types.PermissionRead, Purpose: types.PurposeResearch, SealedReason: msg.SealedReason,
		ExpiresAt: genesisTime.Add(types.DefaultRequestTTL), CreatedAt: genesisTime,
	}
	events.Require(t, ctx, &types.EventAccessRequested{Request: want})
	got, err := f.querier.Request(f.ctx, &types.QueryRequestRequest{Id: resp.RequestId})
	require.NoError(t, err)
	require.Equal(t, want, got.Request)
	require.Equal(t, []uint64{resp.RequestId}, f.pendingRequestIDs(t, f.patient, false))
	require.Equal(t, []uint64{resp.RequestId}, f.pendingRequestIDs(t, f.researcher, true))
	require.Empty(t, f.pendingRequestIDs(t, f.otherPatient, false))

	// A WRITE request from an issuer, expiring exactly at the longest TTL.
	write := &types.MsgRequestAccess{
		Requester: f.hospital, Owner: f.patient, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
		ExpiresAt: timeRef(genesisTime.Add(types.DefaultMaxRequestTTL)),
	}
	w := f.request(t, write)
	got, err = f.querier.Request(f.ctx, &types.QueryRequestRequest{Id: w})
	require.NoError(t, err)
	require.Equal(t, *write.ExpiresAt, got.Request.ExpiresAt)
}

// TestRequestAccessRejected covers every check of MsgRequestAccess.
func TestRequestAccessRejected(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	foreign := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindDICOM)
	redacted := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.redact(t, f.patient, redacted)
	edited := func(edit func(*types.MsgRequestAccess)) *types.MsgRequestAccess {
		msg := readRequest(f.researcher, f.patient, id)
		edit(msg)
		return msg
	}

	requireAllRejected(t, f, handler(f.msgServer.RequestAccess), []rejection[*types.MsgRequestAccess]{
		{"reason too long", edited(func(m *types.MsgRequestAccess) {
			m.SealedReason = types.FakeSealedReason(strings.Repeat("a", int(types.DefaultMaxReasonLength)+5))
		}), types.ErrInvalidRequest, "the limit is 140"},
		{"reason in the clear", edited(func(m *types.MsgRequestAccess) { m.SealedReason = []byte("follow-up of her knee MRI") }),
			types.ErrInvalidRequest, "never sent in the clear"},
		{"reason too short to be sealed", edited(func(m *types.MsgRequestAccess) {
			m.SealedReason = types.FakeSealedReason("")[:types.SealedReasonOverhead]
		}),
			types.ErrInvalidRequest, "not a sealed reason"},
		{"expiry beyond max_request_ttl", edited(func(m *types.MsgRequestAccess) {
			m.ExpiresAt = timeRef(genesisTime.Add(types.DefaultMaxRequestTTL + time.Second))
		}), types.ErrInvalidRequest, "(params max_request_ttl)"},
		{"expiry at the block time", edited(func(m *types.MsgRequestAccess) { m.ExpiresAt = timeRef(genesisTime) }),
			types.ErrInvalidRequest, "is not after the current block time"},
		{"WRITE from a researcher", edited(func(m *types.MsgRequestAccess) { m.RecordId, m.Permission = 0, types.PermissionWrite }),
			types.ErrNotIssuer, "only an authorised organisation or practitioner may ask for WRITE"},
		{"WRITE from a suspended hospital's doctor", edited(func(m *types.MsgRequestAccess) {
			m.Requester, m.Permission = f.suspendedDoctor, types.PermissionWrite
		}), types.ErrNotIssuer, "is SUSPENDED"},
		{"to self", edited(func(m *types.MsgRequestAccess) { m.Requester = f.patient }),
			types.ErrInvalidRequest, "you asked yourself"},
		{"someone else's record", edited(func(m *types.MsgRequestAccess) { m.RecordId = foreign }),
			types.ErrInvalidRequest, fmt.Sprintf("record %d does not belong to %s; ask its owner", foreign, f.patient)},
		{"an unknown record", edited(func(m *types.MsgRequestAccess) { m.RecordId = 999 }),
			types.ErrRecordNotFound, "record 999 does not exist"},
		{"a redacted record", edited(func(m *types.MsgRequestAccess) { m.RecordId = redacted }),
			types.ErrRecordRedacted, fmt.Sprintf("record %d was redacted", redacted)},
		{"unknown purpose", edited(func(m *types.MsgRequestAccess) { m.Purpose = 99 }),
			types.ErrInvalidRequest, "purpose 99 is not valid"},
		{"permission unspecified", edited(func(m *types.MsgRequestAccess) { m.Permission = types.PermissionUnspecified }),
			types.ErrInvalidRequest, "permission PERMISSION_UNSPECIFIED is not valid"},
		{"record with kinds", edited(func(m *types.MsgRequestAccess) { m.Kinds = []recordstypes.RecordKind{recordstypes.RecordKindDICOM} }),
			types.ErrInvalidRequest, "kinds only narrow a scope grant"},
		{"malformed requester", edited(func(m *types.MsgRequestAccess) { m.Requester = "med1notbech32" }),
			types.ErrInvalidAddress, `requester "med1notbech32"`},
		{"empty owner", edited(func(m *types.MsgRequestAccess) { m.Owner = "" }),
			types.ErrInvalidAddress, "owner is empty"},
	})
}

// TestRequestAccessPendingBound: a requester has at most
// max_pending_requests pending with one owner; other requesters and other
// owners are unaffected, and closing a request frees its slot.
func TestRequestAccessPendingBound(t *testing.T) {
	f := newFixture(t)
	var ids []uint64
	for range types.DefaultMaxPendingRequests {
		ids = append(ids, f.request(t, readRequest(f.researcher, f.patient, 0)))
	}
	requireRejected(t, f, types.ErrTooManyRequests,
		fmt.Sprintf("%s already has 3 pending requests with %s (params max_pending_requests)", f.researcher, f.patient),
		sending(f.msgServer.RequestAccess, readRequest(f.researcher, f.patient, 0)))
	f.request(t, readRequest(f.doctor, f.patient, 0))
	f.request(t, readRequest(f.researcher, f.otherPatient, 0))

	f.deliver(t, sending(f.msgServer.CancelRequest, &types.MsgCancelRequest{Requester: f.researcher, RequestId: ids[0]}))
	f.request(t, readRequest(f.researcher, f.patient, 0))
}

// TestGrantAnswersRequest: a grant that names a matching request closes it.
func TestGrantAnswersRequest(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	r := f.request(t, readRequest(f.researcher, f.patient, id))

	msg := f.readMsg(t, f.patient, f.researcher, id)
	msg.Purpose, msg.RequestId = types.PurposeResearch, r
	var resp *types.MsgGrantAccessResponse
	ctx := f.deliver(t, func(ctx sdk.Context) (err error) {
		resp, err = f.msgServer.GrantAccess(ctx, msg)
		return err
	})
	events.Require(t, ctx, &types.EventRequestClosed{
		RequestId: r, Requester: f.researcher, Owner: f.patient, Outcome: "GRANTED", GrantId: resp.GrantId,
	})
	g, err := f.querier.Grant(f.ctx, &types.QueryGrantRequest{Id: resp.GrantId})
	require.NoError(t, err)
	require.Equal(t, r, g.Grant.RequestId)
	require.Empty(t, f.pendingRequestIDs(t, f.patient, false))
	require.Empty(t, f.pendingRequestIDs(t, f.researcher, true))
}

// TestGrantRequestMismatch: a grant answering a request must give what was
// asked, to whoever asked, while the request is pending.
func TestGrantRequestMismatch(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	r := f.request(t, readRequest(f.researcher, f.patient, id))
	hospitalRead := f.request(t, &types.MsgRequestAccess{
		Requester: f.hospital, Owner: f.patient, RecordId: id, Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
	})
	toOther := f.request(t, readRequest(f.researcher, f.otherPatient, 0))
	expiring := f.request(t, &types.MsgRequestAccess{
		Requester: f.doctor, Owner: f.patient, RecordId: id, Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
		ExpiresAt: timeRef(genesisTime.Add(time.Minute)),
	})
	answer := func(grantee string, recordID, request uint64, edit func(*types.MsgGrantAccess)) *types.MsgGrantAccess {
		msg := f.readMsg(t, f.patient, grantee, recordID)
		msg.Purpose, msg.RequestId = types.PurposeResearch, request
		if edit != nil {
			edit(msg)
		}
		return msg
	}

	requireAllRejected(t, f, handler(f.msgServer.GrantAccess), []rejection[*types.MsgGrantAccess]{
		{"another grantee", answer(f.doctor, id, r, nil), types.ErrRequestMismatch,
			fmt.Sprintf("request %d came from %s, but the grant is to %s", r, f.researcher, f.doctor)},
		{"another record", answer(f.researcher, other, r, nil), types.ErrRequestMismatch,
			fmt.Sprintf("request %d asks for record %d kinds [], the grant is for record %d", r, id, other)},
		{"another permission", answer(f.hospital, id, hospitalRead, func(m *types.MsgGrantAccess) {
			m.Permission, m.Purpose, m.Wraps = types.PermissionWrite, types.PurposeTreatment, nil
		}), types.ErrRequestMismatch, fmt.Sprintf("request %d asks for READ, the grant gives WRITE", hospitalRead)},
		{"another purpose", answer(f.researcher, id, r, func(m *types.MsgGrantAccess) { m.Purpose = types.PurposeTreatment }),
			types.ErrRequestMismatch, fmt.Sprintf("request %d is for RESEARCH, the grant for TREATMENT", r)},
		{"a request to another patient", answer(f.researcher, id, toOther, nil), types.ErrNotOwner,
			fmt.Sprintf("request %d was made to another patient", toOther)},
		{"an unknown request", answer(f.researcher, id, 99, nil), types.ErrRequestNotFound, "request 99 is not pending"},
	})

	f.at(genesisTime.Add(time.Minute))
	msg := answer(f.doctor, id, expiring, func(m *types.MsgGrantAccess) { m.Purpose = types.PurposeTreatment })
	requireRejected(t, f, types.ErrRequestNotFound, fmt.Sprintf("request %d expired at", expiring), sending(f.msgServer.GrantAccess, msg))
}

// TestDenyAndCancelRequest: only the owner denies, only the requester
// cancels, and either closes the request for good.
func TestDenyAndCancelRequest(t *testing.T) {
	f := newFixture(t)
	denied := f.request(t, readRequest(f.researcher, f.patient, 0))
	cancelled := f.request(t, readRequest(f.researcher, f.patient, 0))
	deny := func(signer string, id uint64) func(sdk.Context) error {
		return sending(f.msgServer.DenyRequest, &types.MsgDenyRequest{Owner: signer, RequestId: id})
	}
	cancel := func(signer string, id uint64) func(sdk.Context) error {
		return sending(f.msgServer.CancelRequest, &types.MsgCancelRequest{Requester: signer, RequestId: id})
	}
	call := func(ctx sdk.Context, send func(sdk.Context) error) error { return send(ctx) }

	const onlyOwner, onlyRequester = "only that patient may deny it", "only it may cancel the request"
	requireAllRejected(t, f, call, []rejection[func(sdk.Context) error]{
		{"deny by the requester", deny(f.researcher, denied), types.ErrNotOwner,
			fmt.Sprintf("request %d was made to %s; %s", denied, f.patient, onlyOwner)},
		{"deny by another patient", deny(f.otherPatient, denied), types.ErrNotOwner, onlyOwner},
		{"deny by a hospital", deny(f.hospital, denied), types.ErrNotOwner, onlyOwner},
		{"deny by a stranger", deny(f.stranger, denied), types.ErrNotOwner, onlyOwner},
		{"deny by a malformed owner", deny("med1notbech32", denied), types.ErrInvalidAddress, `owner "med1notbech32"`},
		{"deny an unknown request", deny(f.patient, 99), types.ErrRequestNotFound, "request 99 is not pending"},
		{"cancel by the owner", cancel(f.patient, cancelled), types.ErrNotRequester,
			fmt.Sprintf("request %d was made by %s; %s", cancelled, f.researcher, onlyRequester)},
		{"cancel by another requester", cancel(f.doctor, cancelled), types.ErrNotRequester, onlyRequester},
		{"cancel by a stranger", cancel(f.stranger, cancelled), types.ErrNotRequester, onlyRequester},
		{"cancel by an empty requester", cancel("", cancelled), types.ErrInvalidAddress, "requester is empty"},
		{"cancel an unknown request", cancel(f.researcher, 99), types.ErrRequestNotFound, "request 99 is not pending"},
	})

	ctx := f.deliver(t, deny(f.patient, denied))
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: denied, Requester: f.researcher, Owner: f.patient, Outcome: "DENIED"})
	ctx = f.deliver(t, cancel(f.researcher, cancelled))
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: cancelled, Requester: f.researcher, Owner: f.patient, Outcome: "CANCELLED"})
	require.Empty(t, f.pendingRequestIDs(t, f.patient, false))
	requireRejected(t, f, types.ErrRequestNotFound, fmt.Sprintf("request %d is not pending", denied), deny(f.patient, denied))
	requireRejected(t, f, types.ErrRequestNotFound, fmt.Sprintf("request %d is not pending", cancelled), cancel(f.researcher, cancelled))
}

// TestGrantAnswersScopeRequestInAnyKindOrder: the kinds of a scope are a
// set, so a grant listing the requested kinds in another order answers
// the request.
func TestGrantAnswersScopeRequestInAnyKindOrder(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, &types.MsgRequestAccess{
		Requester: f.hospital, Owner: f.patient, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
		Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM, recordstypes.RecordKindFHIR},
	})
	msg := &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.hospital, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment, RequestId: r,
		Kinds: []recordstypes.RecordKind{recordstypes.RecordKindFHIR, recordstypes.RecordKindDICOM},
	}
	f.grant(t, msg)
	require.Empty(t, f.pendingRequestIDs(t, f.patient, false))
}

// freshRequesters returns n accounts that have never signed anything: no
// key, no role, no earlier request.
func freshRequesters(n int) []string {
	accounts := make([]string, n)
	for i := range accounts {
		accounts[i] = testAddrString(fmt.Sprintf("fresh-%04d", i))
	}
	return accounts
}

// clinicians adds n new practitioners of the fixture's hospital, whom
// x/issuers authorises, and returns their addresses.
func clinicians(t *testing.T, f *fixture, n int) []string {
	t.Helper()
	ms := issuerskeeper.NewMsgServerImpl(f.issuers)
	out := make([]string, n)
	for i := range out {
		out[i] = testAddrString(fmt.Sprintf("clinician-%04d", i))
		_, err := ms.AddPractitioner(f.freshCtx(), &issuerstypes.MsgAddPractitioner{
			Organisation: f.hospital, Practitioner: out[i], Role: issuerstypes.PractitionerRoleDoctor})
		require.NoError(t, err)
	}
	return out
}

// TestRequestAccessRecordBound: however many accounts ask, a record has
// at most max_pending_requests_per_record pending requests, and fresh
// accounts x/issuers does not authorise hold at most a quarter of them, so
// that a flood of them leaves room for clinicians; the next one is refused
// and leaves nothing behind. Other records are unaffected, and a slot is
// freed when the owner denies a request or one expires (before EndBlock
// removes it).
func TestRequestAccessRecordBound(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	other := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	limit := int(types.DefaultMaxPendingRequestsPerRecord)
	share := limit / 4
	strangers := freshRequesters(share + 2)
	askers := clinicians(t, f, limit-share+3)
	expiry := genesisTime.Add(time.Hour)

	var ids []uint64
	for _, s := range strangers[:share] {
		ids = append(ids, f.request(t, readRequest(s, f.patient, id)))
	}
	requireRejected(t, f, types.ErrTooManyRecordRequests,
		fmt.Sprintf("record %d already has %d pending requests from accounts that are not authorised issuers, their share", id, share),
		sending(f.msgServer.RequestAccess, readRequest(strangers[share], f.patient, id)))
	for i, asker := range askers[:limit-share] {
		msg := readRequest(asker, f.patient, id)
		if i == limit-share-1 {
			msg.ExpiresAt = &expiry
		}
		ids = append(ids, f.request(t, msg))
	}
	full := fmt.Sprintf("record %d already has %d pending requests, the limit (params max_pending_requests_per_record is %d); "+
		"the owner can deny them, or you can ask again once they expire", id, limit, limit)
	next := askers[limit-share]
	requireRejected(t, f, types.ErrTooManyRecordRequests, full,
		sending(f.msgServer.RequestAccess, readRequest(next, f.patient, id)))
	require.Len(t, f.pendingRequestIDs(t, f.patient, false), limit)
	require.Empty(t, f.pendingRequestIDs(t, next, true))

	// Another record of the same owner, and the owner's scope, are other
	// targets.
	f.request(t, readRequest(next, f.patient, other))
	f.request(t, readRequest(askers[limit-share+1], f.patient, 0))

	// The owner denies a stranger's request: one slot, which a stranger
	// may take again, not more.
	f.deliver(t, sending(f.msgServer.DenyRequest, &types.MsgDenyRequest{Owner: f.patient, RequestId: ids[0]}))
	f.request(t, readRequest(strangers[share], f.patient, id))
	requireRejected(t, f, types.ErrTooManyRecordRequests, full,
		sending(f.msgServer.RequestAccess, readRequest(askers[limit-share+1], f.patient, id)))

	// One expires: it no longer counts, whether or not EndBlock removed it.
	f.at(expiry)
	require.True(t, f.requestStored(t, ids[limit-1]), "EndBlock has not run")
	f.request(t, readRequest(askers[limit-share+2], f.patient, id))
	requireRejected(t, f, types.ErrTooManyRecordRequests, full,
		sending(f.msgServer.RequestAccess, readRequest(f.doctor, f.patient, id)))
}

// TestRequestAccessScopeBound: scope requests (record_id 0) are bounded the
// same way per owner: max_pending_requests_per_record pending scope
// requests to one owner, whatever kinds they name, a quarter of them (at
// least one) for accounts x/issuers does not authorise; other owners and
// the owner's records are unaffected.
func TestRequestAccessScopeBound(t *testing.T) {
	f := newFixture(t)
	params := types.DefaultParams()
	params.MaxPendingRequestsPerRecord = 4
	f.deliver(t, sending(f.msgServer.UpdateParams, &types.MsgUpdateParams{Authority: f.authority, Params: params}))
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	askers := clinicians(t, f, 6)

	var ids []uint64
	for i, asker := range askers[:4] {
		msg := readRequest(asker, f.patient, 0)
		if i%2 == 1 {
			msg.Kinds = []recordstypes.RecordKind{recordstypes.RecordKindPDF}
		}
		ids = append(ids, f.request(t, msg))
	}
	requireRejected(t, f, types.ErrTooManyRecordRequests,
		fmt.Sprintf("the scope of %s already has 4 pending requests, the limit (params max_pending_requests_per_record is 4)", f.patient),
		sending(f.msgServer.RequestAccess, readRequest(askers[4], f.patient, 0)))
	f.request(t, readRequest(askers[4], f.otherPatient, 0))
	f.request(t, readRequest(askers[4], f.patient, id))

	f.deliver(t, sending(f.msgServer.CancelRequest, &types.MsgCancelRequest{Requester: askers[1], RequestId: ids[1]}))
	f.request(t, readRequest(askers[5], f.patient, 0))
	_, err := f.msgServer.RequestAccess(f.freshCtx(), readRequest(askers[5], f.patient, 0))
	require.ErrorIs(t, err, types.ErrTooManyRecordRequests)

	// Of another owner's 4 scope slots, strangers hold one.
	fresh := freshRequesters(2)
	f.request(t, readRequest(fresh[0], f.otherPatient, 0))
	requireRejected(t, f, types.ErrTooManyRecordRequests, "from accounts that are not authorised issuers",
		sending(f.msgServer.RequestAccess, readRequest(fresh[1], f.otherPatient, 0)))
	f.request(t, readRequest(askers[5], f.otherPatient, 0))
}
