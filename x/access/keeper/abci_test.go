package keeper_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Expiry is exclusive: a grant or request expiring at T holds at T-1ns and
// no longer at T, whether or not EndBlock has removed it yet. EndBlock then
// removes at most params.max_expirations_per_block of each per block.

// endBlock runs EndBlocker at the fixture's block time on a fresh context
// with a fresh finite gas meter, and returns the context (for its events
// and gas).
func (f *fixture) endBlock(t testing.TB) sdk.Context {
	t.Helper()
	ctx := f.freshCtx().WithGasMeter(storetypes.NewGasMeter(math.MaxUint64))
	require.NoError(t, f.keeper.EndBlocker(ctx))
	return ctx
}

// eventCount counts the events of ctx of the type of event.
func eventCount(ctx sdk.Context, event gogoproto.Message) int {
	n := 0
	for _, e := range ctx.EventManager().Events() {
		if e.Type == gogoproto.MessageName(event) {
			n++
		}
	}
	return n
}

// collectionSize counts the entries of a collection (Map, KeySet or
// IndexedMap) by iterating it.
func collectionSize[K any](t testing.TB, iterate func() ([]K, error)) int {
	t.Helper()
	keys, err := iterate()
	require.NoError(t, err)
	return len(keys)
}

// grantCount, grantExpiryCount and recordAccessCount are the sizes of the
// grant collections.
func (f *fixture) grantCount(t testing.TB) int {
	return collectionSize(t, func() ([]uint64, error) {
		it, err := f.keeper.Grants.Iterate(f.ctx, nil)
		if err != nil {
			return nil, err
		}
		return it.Keys()
	})
}

func (f *fixture) grantExpiryCount(t testing.TB) int {
	return collectionSize(t, func() ([]collections.Pair[time.Time, uint64], error) {
		it, err := f.keeper.GrantExpiry.Iterate(f.ctx, nil)
		if err != nil {
			return nil, err
		}
		return it.Keys()
	})
}

func (f *fixture) recordAccessCount(t testing.TB) int {
	return collectionSize(t, func() ([]collections.Triple[uint64, sdk.AccAddress, int32], error) {
		it, err := f.keeper.RecordAccess.Iterate(f.ctx, nil)
		if err != nil {
			return nil, err
		}
		return it.Keys()
	})
}

// accAddr decodes a bech32 address of the fixture.
func (f *fixture) accAddr(t testing.TB, s string) sdk.AccAddress {
	t.Helper()
	bz, err := f.addressCodec.StringToBytes(s)
	require.NoError(t, err)
	return bz
}

// TestEndBlockerReadGrantExpiry: a READ grant expiring at T lets its
// grantee read at T-1ns, no longer at T even before EndBlock, and EndBlock
// at T (not before) removes the grant, its decision entry, its expiry entry
// and the grantee's wrap; the owner's wrap and a grant without expiry stay.
func TestEndBlockerReadGrantExpiry(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	expiry := genesisTime.Add(time.Hour)
	g := f.grantRead(t, f.patient, f.researcher, id, &expiry)
	forever := f.grantRead(t, f.patient, f.doctor, id, nil)
	researcher := f.accAddr(t, f.researcher)

	f.at(expiry.Add(-time.Nanosecond))
	f.requireReads(t, id, f.researcher, g, 0)
	ctx := f.endBlock(t)
	require.Zero(t, eventCount(ctx, &types.EventAccessRevoked{}), "nothing is due 1ns before the expiry")
	require.True(t, f.grantStored(t, g))

	f.at(expiry)
	reason := f.requireNoRead(t, id, f.researcher)
	require.Contains(t, reason, "expired")
	require.Contains(t, reason, fmt.Sprintf("grant %d", g))
	require.True(t, f.grantStored(t, g), "still stored: EndBlock has not run yet")

	ctx = f.endBlock(t)
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: g, Owner: f.patient, Grantee: f.researcher, Reason: types.RevocationReasonExpired,
	})
	require.Equal(t, 1, eventCount(ctx, &types.EventAccessRevoked{}))
	require.False(t, f.grantStored(t, g))
	has, err := f.keeper.RecordAccess.Has(f.ctx, collections.Join3(id, researcher, int32(types.PermissionRead)))
	require.NoError(t, err)
	require.False(t, has, "decision entry removed")
	has, err = f.keeper.GrantExpiry.Has(f.ctx, collections.Join(expiry, g))
	require.NoError(t, err)
	require.False(t, has, "expiry entry removed")
	require.Equal(t, map[string]uint64{f.patient: 0, f.doctor: 0}, f.wrapReaders(t, id), "only the grantee's wrap goes")
	grantees, err := f.keeper.Grants.Indexes.Grantee.MatchExact(f.ctx, researcher)
	require.NoError(t, err)
	ids, err := grantees.PrimaryKeys()
	require.NoError(t, err)
	require.Empty(t, ids, "grantee index entry removed")
	reason = f.requireNoRead(t, id, f.researcher)
	require.Contains(t, reason, "no live READ grant")

	// A grant without expiry is never due, however late it gets.
	f.at(expiry.AddDate(100, 0, 0))
	ctx = f.endBlock(t)
	require.Zero(t, eventCount(ctx, &types.EventAccessRevoked{}))
	require.True(t, f.grantStored(t, forever))
	f.requireReads(t, id, f.doctor, forever, 0)
	f.requireReads(t, id, f.patient, 0, 0)
}

// TestEndBlockerWriteGrantExpiry: a WRITE grant expiring at T lets its
// grantee create records at T-1ns (records asks CanWrite), no longer at T
// even before EndBlock, and EndBlock at T removes it.
func TestEndBlockerWriteGrantExpiry(t *testing.T) {
	f := newFixture(t)
	expiry := genesisTime.Add(time.Hour)
	g := f.grant(t, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.doctor, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionWrite, Purpose: types.PurposeTreatment, ExpiresAt: &expiry,
	})
	draft := recordstypes.Record{Owner: f.patient, Kind: recordstypes.RecordKindDICOM}
	doctor, hospital := f.accAddr(t, f.doctor), f.accAddr(t, f.hospital)
	canWrite := func() bool {
		ok, err := f.keeper.Hooks().CanWrite(f.ctx, draft, doctor, hospital)
		require.NoError(t, err)
		return ok
	}

	f.at(expiry.Add(-time.Nanosecond))
	require.True(t, canWrite())
	check := f.check(t, f.createRecord(t, f.doctor, f.patient, recordstypes.RecordKindDICOM), f.doctor, types.PermissionWrite)
	require.True(t, check.Allowed, check.Reason)
	require.Equal(t, g, check.Grant.Id)

	f.at(expiry)
	require.False(t, canWrite())
	check = f.check(t, 1, f.doctor, types.PermissionWrite)
	require.False(t, check.Allowed)
	require.Contains(t, check.Reason, "expired")
	_, err := f.recordsMsg.CreateRecord(f.freshCtx(), f.createMsg(t, f.doctor, f.patient, recordstypes.RecordKindDICOM))
	require.ErrorIs(t, err, recordstypes.ErrNoWritePermission)
	require.True(t, f.grantStored(t, g), "still stored: EndBlock has not run yet")

	ctx := f.endBlock(t)
	events.Require(t, ctx, &types.EventAccessRevoked{
		GrantId: g, Owner: f.patient, Grantee: f.doctor, Reason: types.RevocationReasonExpired,
	})
	require.False(t, f.grantStored(t, g))
	has, err := f.keeper.ScopeAccess.Has(f.ctx, collections.Join3(f.accAddr(t, f.patient), doctor, int32(types.PermissionWrite)))
	require.NoError(t, err)
	require.False(t, has, "decision entry removed")
	require.Zero(t, f.grantExpiryCount(t))
	require.False(t, canWrite())
	require.Equal(t, map[string]uint64{f.patient: 0}, f.wrapReaders(t, 1), "WRITE carried no wrap; the owner's stays")
}

// readGrantRef is one bulk READ grant: its id, record and grantee.
type readGrantRef struct {
	id       uint64
	recordID uint64
	grantee  string
}

// bulkReadGrants creates n READ record grants expiring at expiresAt, through
// the msg server with real HPKE wraps (10,000 take about 4 s, so there is
// no need to write the collections directly): n/perRecord records of the
// patient, each granted to the same perRecord readers (fresh accounts with
// real keys). Records are spread over blocks to stay under the records
// module's per-owner spam bound.
func (f *fixture) bulkReadGrants(t testing.TB, n, perRecord int, expiresAt time.Time) []readGrantRef {
	t.Helper()
	require.Zero(t, n%perRecord)
	readers := make([]string, perRecord)
	for i := range readers {
		readers[i] = testAddrString(fmt.Sprintf("reader-%05d", i))
		f.registerNewKey(t, readers[i])
	}
	height := f.ctx.BlockHeight()
	refs := make([]readGrantRef, 0, n)
	for r := 0; r < n/perRecord; r++ {
		if r%int(recordstypes.DefaultMaxRecordsPerOwnerPerBlock) == 0 {
			height++
			f.ctx = f.ctx.WithBlockHeight(height)
		}
		id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindFHIR)
		for _, reader := range readers {
			refs = append(refs, readGrantRef{f.grantRead(t, f.patient, reader, id, &expiresAt), id, reader})
		}
	}
	return refs
}

// setMaxExpirations sets params.max_expirations_per_block through
// governance's message.
func (f *fixture) setMaxExpirations(t testing.TB, n uint32) {
	t.Helper()
	params := types.DefaultParams()
	params.MaxExpirationsPerBlock = n
	_, err := f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
}

// drainBlock moves to the next block, one second later, runs EndBlock and
// returns how many grants it removed and the gas it used.
func (f *fixture) drainBlock(t testing.TB) (removed int, gas storetypes.Gas) {
	t.Helper()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(time.Second))
	ctx := f.endBlock(t)
	return eventCount(ctx, &types.EventAccessRevoked{}), ctx.GasMeter().GasConsumed()
}

// expiringBacklog builds a fixture with n READ grants all expiring at the
// same time, max_expirations_per_block = 500, and moves to one second
// before that time (drainBlock's first block is then at the expiry).
func expiringBacklog(t testing.TB, n int) (*fixture, []readGrantRef, time.Time) {
	t.Helper()
	f := newFixture(t)
	f.setMaxExpirations(t, 500)
	expiry := genesisTime.Add(time.Hour)
	refs := f.bulkReadGrants(t, n, 100, expiry)
	require.Equal(t, n, f.grantCount(t))
	f.at(expiry.Add(-time.Second))
	return f, refs, expiry
}

// TestEndBlockerDrainsTenThousandExpiries: 10,000 grants expiring in the
// same block are removed 500 per block over 20 blocks, none of them lets
// anyone in meanwhile, and the gas of a block does not grow with the
// backlog.
func TestEndBlockerDrainsTenThousandExpiries(t *testing.T) {
	const (
		total    = 10_000
		perBlock = 500
	)
	f, refs, expiry := expiringBacklog(t, total)
	sample := []readGrantRef{refs[0], refs[perBlock-1], refs[perBlock], refs[total/2], refs[total-perBlock]}
	for i := 997; i < total; i += 997 {
		sample = append(sample, refs[i])
	}
	sample = append(sample, refs[total-2], refs[total-1])

	f.at(expiry.Add(-time.Nanosecond))
	for _, s := range sample {
		f.requireReads(t, s.recordID, s.grantee, s.id, 0)
	}
	f.at(expiry)
	for _, s := range sample {
		require.Equal(t, fmt.Sprintf("grant %d expired at %s", s.id, expiry), f.requireNoRead(t, s.recordID, s.grantee))
	}
	f.at(expiry.Add(-time.Second))

	var firstBlockGas storetypes.Gas
	remaining := total
	for block := 1; block <= total/perBlock; block++ {
		removed, gas := f.drainBlock(t)
		require.Equal(t, min(perBlock, remaining), removed, "block %d", block)
		remaining -= removed
		require.Equal(t, remaining, f.grantExpiryCount(t), "block %d", block)
		if block == 1 {
			firstBlockGas = gas
			require.False(t, f.grantStored(t, refs[perBlock-1].id), "oldest first, then by id")
			require.True(t, f.grantStored(t, refs[perBlock].id), "the 501st waits for the next block")
		}
		for _, s := range sample {
			f.requireNoRead(t, s.recordID, s.grantee)
		}
	}
	require.Zero(t, remaining)
	require.Zero(t, f.grantCount(t))
	require.Zero(t, f.grantExpiryCount(t))
	require.Zero(t, f.recordAccessCount(t))
	owned, err := f.keeper.Grants.Indexes.Owner.MatchExact(f.ctx, f.accAddr(t, f.patient))
	require.NoError(t, err)
	ids, err := owned.PrimaryKeys()
	require.NoError(t, err)
	require.Empty(t, ids, "owner index emptied")
	for id := refs[0].recordID; id <= refs[total-1].recordID; id++ {
		require.Equal(t, map[string]uint64{f.patient: 0}, f.wrapReaders(t, id), "record %d keeps only its owner's wrap", id)
	}
	removed, _ := f.drainBlock(t)
	require.Zero(t, removed)

	// The same first block over a backlog ten times smaller.
	small, _, _ := expiringBacklog(t, total/10)
	removed, smallGas := small.drainBlock(t)
	require.Equal(t, perBlock, removed)
	t.Logf("EndBlock gas draining %d of %d expired grants: %d; of %d: %d", perBlock, total, firstBlockGas, total/10, smallGas)
	require.InEpsilon(t, float64(smallGas), float64(firstBlockGas), 0.10, "a block's gas must not depend on the backlog")
}

// TestEndBlockerRequestExpiry: a request expiring at T can be answered at
// T-1ns, not at T; EndBlock at T closes it as EXPIRED and frees the
// requester's pending slot so it may ask again.
func TestEndBlockerRequestExpiry(t *testing.T) {
	f := newFixture(t)
	id := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
	expiry := genesisTime.Add(time.Hour)
	expiring := func() *types.MsgRequestAccess {
		msg := readRequest(f.researcher, f.patient, id)
		msg.ExpiresAt = &expiry
		return msg
	}
	r1 := f.request(t, expiring())
	r2 := f.request(t, expiring())
	lasting := f.request(t, readRequest(f.researcher, f.patient, 0)) // default TTL: a week
	_, err := f.msgServer.RequestAccess(f.freshCtx(), expiring())
	require.ErrorIs(t, err, types.ErrTooManyRequests, "three pending is the limit")

	f.at(expiry.Add(-time.Nanosecond))
	ctx := f.endBlock(t)
	require.Zero(t, eventCount(ctx, &types.EventRequestClosed{}))
	answer := f.readMsg(t, f.patient, f.researcher, id)
	answer.Purpose, answer.RequestId = types.PurposeResearch, r1
	cacheCtx, _ := f.freshCtx().CacheContext()
	_, err = f.msgServer.GrantAccess(cacheCtx, answer)
	require.NoError(t, err, "the request can still be answered 1ns before it expires")

	f.at(expiry)
	requireRejected(t, f, types.ErrRequestNotFound, fmt.Sprintf("request %d expired at", r1),
		sending(f.msgServer.GrantAccess, answer))

	ctx = f.endBlock(t)
	for _, r := range []uint64{r1, r2} {
		events.Require(t, ctx, &types.EventRequestClosed{RequestId: r, Requester: f.researcher, Owner: f.patient, Outcome: "EXPIRED"})
	}
	require.Equal(t, 2, eventCount(ctx, &types.EventRequestClosed{}))
	require.Equal(t, []uint64{lasting}, f.pendingRequestIDs(t, f.researcher, true))
	pending, err := f.keeper.PendingRequests.Get(f.ctx, collections.Join(f.accAddr(t, f.researcher), f.accAddr(t, f.patient)))
	require.NoError(t, err)
	require.Equal(t, uint32(1), pending)

	f.request(t, readRequest(f.researcher, f.patient, id))
	f.request(t, readRequest(f.researcher, f.patient, id))
	_, err = f.msgServer.RequestAccess(f.freshCtx(), readRequest(f.researcher, f.patient, id))
	require.ErrorIs(t, err, types.ErrTooManyRequests, "two slots were freed, not more")
}

// TestEndBlockerScopeExpiryIgnoresUnrelatedRecords: expiring a scope grant
// costs the same however many other records the owner has (it visits only
// the grantee's wraps, through WrapsByReader); otherwise
// max_expirations_per_block would not bound a block's work. The wrap the
// grant justified is still dropped, and its index entry with it.
func TestEndBlockerScopeExpiryIgnoresUnrelatedRecords(t *testing.T) {
	gasWithRecords := func(n int) storetypes.Gas {
		f := newFixture(t)
		pdf := f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindPDF)
		expiry := genesisTime.Add(time.Hour)
		f.grant(t, &types.MsgGrantAccess{
			Owner: f.patient, Grantee: f.clinic, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindPDF},
			Permission: types.PermissionRead, Purpose: types.PurposeTreatment, ExpiresAt: &expiry,
			Wraps: []recordstypes.KeyWrap{f.seal(t, pdf, 0, f.clinic)},
		})
		for i := 0; i < n; i++ {
			if i%int(recordstypes.DefaultMaxRecordsPerOwnerPerBlock) == 0 {
				f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
			}
			f.createRecord(t, f.patient, f.patient, recordstypes.RecordKindDICOM)
		}
		// The clinic's wraps of another patient's records are not visited
		// either.
		other := f.createRecord(t, f.otherPatient, f.otherPatient, recordstypes.RecordKindPDF)
		f.grantRead(t, f.otherPatient, f.clinic, other, nil)

		f.at(expiry)
		ctx := f.endBlock(t)
		require.Equal(t, 1, eventCount(ctx, &types.EventAccessRevoked{}))
		_, found := f.storedWrap(t, pdf, f.clinic)
		require.False(t, found, "the expired scope grant's wrap is dropped")
		_, found = f.storedWrap(t, other, f.clinic)
		require.True(t, found)
		indexed, err := f.keeper.WrapsByReader.Has(f.ctx, collections.Join3(f.accAddr(t, f.patient), f.accAddr(t, f.clinic), pdf))
		require.NoError(t, err)
		require.False(t, indexed, "the index entry goes with the wrap")
		return ctx.GasMeter().GasConsumed()
	}
	none, hundred := gasWithRecords(0), gasWithRecords(100)
	require.Equal(t, none, hundred, "EndBlock gas with no other records, and with 100 unrelated DICOM records")
}

// TestRequestExpiredBeforeEndBlockFreesSlot: like a grant, a request
// waiting for EndBlock after its expiry no longer counts: its requester may
// ask again at the expiry time (the expired requests are closed as EXPIRED
// to free their slots), nobody may deny, cancel or answer it, and the
// queries no longer list it as pending.
func TestRequestExpiredBeforeEndBlockFreesSlot(t *testing.T) {
	f := newFixture(t)
	expiry := genesisTime.Add(time.Hour)
	var expiring []uint64
	for range types.DefaultMaxPendingRequests {
		msg := readRequest(f.researcher, f.patient, 0)
		msg.ExpiresAt = &expiry
		expiring = append(expiring, f.request(t, msg))
	}
	// Another pair's request expiring at the same time is not touched.
	other := readRequest(f.researcher, f.otherPatient, 0)
	other.ExpiresAt = &expiry
	otherID := f.request(t, other)

	f.at(expiry)
	r := expiring[0]
	expired := fmt.Sprintf("request %d expired at %s", r, expiry)
	requireRejected(t, f, types.ErrRequestNotFound, expired,
		sending(f.msgServer.DenyRequest, &types.MsgDenyRequest{Owner: f.patient, RequestId: r}))
	requireRejected(t, f, types.ErrRequestNotFound, expired,
		sending(f.msgServer.CancelRequest, &types.MsgCancelRequest{Requester: f.researcher, RequestId: r}))
	answer := &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.researcher, Permission: types.PermissionRead, Purpose: types.PurposeResearch, RequestId: r,
	}
	requireRejected(t, f, types.ErrRequestNotFound, expired, sending(f.msgServer.GrantAccess, answer))
	require.Empty(t, f.pendingRequestIDs(t, f.patient, false))
	require.Empty(t, f.pendingRequestIDs(t, f.researcher, true))
	_, err := f.querier.Request(f.ctx, &types.QueryRequestRequest{Id: r})
	require.ErrorContains(t, err, fmt.Sprintf("request %d is not pending: it expired at %s", r, expiry))

	var fresh uint64
	ctx := f.deliver(t, func(ctx sdk.Context) error {
		resp, err := f.msgServer.RequestAccess(ctx, readRequest(f.researcher, f.patient, 0))
		if err == nil {
			fresh = resp.RequestId
		}
		return err
	})
	for _, id := range expiring {
		events.Require(t, ctx, &types.EventRequestClosed{RequestId: id, Requester: f.researcher, Owner: f.patient, Outcome: "EXPIRED"})
		require.False(t, f.requestStored(t, id), "request %d", id)
	}
	require.Equal(t, len(expiring), eventCount(ctx, &types.EventRequestClosed{}))
	require.True(t, f.requestStored(t, otherID), "another pair's expired request is left to EndBlock")
	require.Equal(t, []uint64{fresh}, f.pendingRequestIDs(t, f.patient, false))
	pending, err := f.keeper.PendingRequests.Get(f.ctx, collections.Join(f.accAddr(t, f.researcher), f.accAddr(t, f.patient)))
	require.NoError(t, err)
	require.Equal(t, uint32(1), pending)

	// EndBlock closes what is left, once.
	ctx = f.endBlock(t)
	require.Equal(t, 1, eventCount(ctx, &types.EventRequestClosed{}))
	events.Require(t, ctx, &types.EventRequestClosed{RequestId: otherID, Requester: f.researcher, Owner: f.otherPatient, Outcome: "EXPIRED"})
}

// setParams puts DefaultParams, edited, in force through governance's
// message.
func (f *fixture) setParams(t testing.TB, edit func(*types.Params)) {
	t.Helper()
	params := types.DefaultParams()
	edit(&params)
	_, err := f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
}

// createRecords creates n FHIR records of owner, moving to a new block
// whenever the records module's per-owner bound requires it.
func (f *fixture) createRecords(t testing.TB, owner string, n int) []uint64 {
	t.Helper()
	ids := make([]uint64, n)
	for i := range ids {
		if i%int(recordstypes.DefaultMaxRecordsPerOwnerPerBlock) == 0 {
			f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
		}
		ids[i] = f.createRecord(t, owner, owner, recordstypes.RecordKindFHIR)
	}
	return ids
}

// scopeRead gives grantee READ on all of owner's records, which are
// recordIDs, with a wrap of each, until expiresAt.
func (f *fixture) scopeRead(t testing.TB, owner, grantee string, recordIDs []uint64, expiresAt time.Time) uint64 {
	t.Helper()
	msg := &types.MsgGrantAccess{
		Owner: owner, Grantee: grantee, Permission: types.PermissionRead, Purpose: types.PurposeTreatment, ExpiresAt: &expiresAt,
	}
	for _, id := range recordIDs {
		msg.Wraps = append(msg.Wraps, f.seal(t, id, 0, grantee))
	}
	return f.grant(t, msg)
}

func (f *fixture) wrapCount(t testing.TB) int {
	return collectionSize(t, func() ([]collections.Pair[uint64, sdk.AccAddress], error) {
		it, err := f.keeper.Wraps.Iterate(f.ctx, nil)
		if err != nil {
			return nil, err
		}
		return it.Keys()
	})
}

// expiryBlock is what one EndBlock removed.
type expiryBlock struct{ grants, wraps, requests int }

// work is the block's expiry work as max_expiry_work_per_block counts it
// when every wrap visited is removed.
func (b expiryBlock) work() int { return b.grants + b.wraps + b.requests }

// expireBlock moves to the next block, one second later, runs EndBlock and
// returns what it removed.
func (f *fixture) expireBlock(t testing.TB) expiryBlock {
	t.Helper()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(time.Second))
	wraps := f.wrapCount(t)
	ctx := f.endBlock(t)
	return expiryBlock{
		grants:   eventCount(ctx, &types.EventAccessRevoked{}),
		wraps:    wraps - f.wrapCount(t),
		requests: eventCount(ctx, &types.EventRequestClosed{}),
	}
}

// requireScopeGrantWhole asserts that the expired scope READ grant id of
// grantee on recordIDs is either still entirely in state (grant, decision
// entry, a wrap of every record) or entirely gone, and that it lets the
// grantee read none of the records either way. It reports whether the
// grant is still stored.
func (f *fixture) requireScopeGrantWhole(t testing.TB, id uint64, grantee string, recordIDs []uint64) bool {
	t.Helper()
	stored := f.grantStored(t, id)
	entry, err := f.keeper.ScopeAccess.Has(f.ctx, collections.Join3(f.accAddr(t, f.patient), f.accAddr(t, grantee), int32(types.PermissionRead)))
	require.NoError(t, err)
	require.Equal(t, stored, entry, "grant %d: decision entry", id)
	for _, r := range recordIDs {
		_, wrapped := f.storedWrap(t, r, grantee)
		require.Equal(t, stored, wrapped, "grant %d: wrap of record %d", id, r)
		reason := f.requireNoRead(t, r, grantee)
		if stored {
			require.Contains(t, reason, fmt.Sprintf("grant %d expired at", id))
		} else {
			require.Contains(t, reason, "no live READ grant")
		}
	}
	return stored
}

// TestEndBlockerExpiryWorkBudget: expired scope grants whose removal walks
// many wraps are removed within max_expiry_work_per_block units per block
// (one per grant or request, one per wrap), each grant whole, over as many
// blocks as it takes; expired requests share the budget. No expired grant
// lets anyone read meanwhile, and the wrap index stays in step.
func TestEndBlockerExpiryWorkBudget(t *testing.T) {
	const (
		budget   = 40
		records  = 10
		grants   = 8
		requests = 10
	)
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.MaxExpiryWorkPerBlock = budget })
	recordIDs := f.createRecords(t, f.patient, records)
	expiry := genesisTime.Add(time.Hour)
	grantees := make([]string, grants)
	grantIDs := make([]uint64, grants)
	for i := range grantees {
		grantees[i] = testAddrString(fmt.Sprintf("scope-reader-%d", i))
		f.registerNewKey(t, grantees[i])
		grantIDs[i] = f.scopeRead(t, f.patient, grantees[i], recordIDs, expiry)
	}
	for _, asker := range clinicians(t, f, requests) {
		msg := readRequest(asker, f.patient, recordIDs[0])
		msg.ExpiresAt = &expiry
		f.request(t, msg)
	}
	f.requireReads(t, recordIDs[records-1], grantees[grants-1], grantIDs[grants-1], 0)

	// Each grant costs 1 + 10 wraps: three fit in 40 units, and requests
	// (1 unit each) take what is left.
	f.at(expiry.Add(-time.Second))
	want := []expiryBlock{
		{grants: 3, wraps: 30, requests: 7},
		{grants: 3, wraps: 30, requests: 3},
		{grants: 2, wraps: 20},
		{},
	}
	for i, w := range want {
		got := f.expireBlock(t)
		require.Equal(t, w, got, "block %d", i+1)
		require.LessOrEqual(t, got.work(), budget, "block %d", i+1)
		left := 0
		for g, id := range grantIDs {
			if f.requireScopeGrantWhole(t, id, grantees[g], recordIDs) {
				left++
			}
		}
		require.Equal(t, left, f.grantExpiryCount(t), "block %d", i+1)
		f.requireWrapIndexInSync(t)
	}
	require.Zero(t, f.grantCount(t))
	require.Empty(t, f.pendingRequestIDs(t, f.patient, false))
	for _, r := range recordIDs {
		require.Equal(t, map[string]uint64{f.patient: 0}, f.wrapReaders(t, r), "record %d keeps its owner's wrap only", r)
	}
}

// TestEndBlockerOversizedGrantAlone: a grant that does not fit in what is
// left of a block's budget waits, whole, for the next block; one that
// costs more than the whole budget is removed alone, first in its block.
func TestEndBlockerOversizedGrantAlone(t *testing.T) {
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.MaxExpiryWorkPerBlock = 5 })
	recordIDs := f.createRecords(t, f.patient, 10)
	expiry := genesisTime.Add(time.Hour)
	small := f.grantRead(t, f.patient, f.researcher, recordIDs[0], &expiry) // 2 units
	big := f.scopeRead(t, f.patient, f.clinic, recordIDs, expiry)           // 11 units
	after := f.grantRead(t, f.patient, f.doctor, recordIDs[1], &expiry)     // 2 units
	write := f.grant(t, &types.MsgGrantAccess{                              // 1 unit
		Owner: f.patient, Grantee: f.hospital, Permission: types.PermissionWrite, Purpose: types.PurposeTreatment, ExpiresAt: &expiry,
	})
	stored := func() []bool {
		return []bool{f.grantStored(t, small), f.grantStored(t, big), f.grantStored(t, after), f.grantStored(t, write)}
	}

	f.at(expiry.Add(-time.Second))
	require.Equal(t, expiryBlock{grants: 1, wraps: 1}, f.expireBlock(t), "the big grant does not fit in the 3 units left")
	require.Equal(t, []bool{false, true, true, true}, stored())
	require.True(t, f.requireScopeGrantWhole(t, big, f.clinic, recordIDs))

	require.Equal(t, expiryBlock{grants: 1, wraps: 10}, f.expireBlock(t), "alone, over the budget")
	require.Equal(t, []bool{false, false, true, true}, stored())
	require.False(t, f.requireScopeGrantWhole(t, big, f.clinic, recordIDs))

	require.Equal(t, expiryBlock{grants: 2, wraps: 1}, f.expireBlock(t))
	require.Equal(t, []bool{false, false, false, false}, stored())
	f.requireWrapIndexInSync(t)
}
