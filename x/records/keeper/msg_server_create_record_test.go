package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

func TestCreateRecordAccepted(t *testing.T) {
	tests := []struct {
		name             string
		creator          func(f fixture) string
		wantOrganisation func(f fixture) string
	}{
		{"owner for themself", func(f fixture) string { return f.patient }, func(fixture) string { return "" }},
		{"practitioner of an organisation with WRITE", func(f fixture) string { return f.doctor }, func(f fixture) string { return f.hospital }},
		{"organisation with WRITE", func(f fixture) string { return f.hospital }, func(f fixture) string { return f.hospital }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := f.freshCtx()
			creator := tc.creator(f)
			msg := f.createMsg(t, creator, "scan")
			msg.Wraps = append(msg.Wraps, f.wrap(t, f.hospital))

			resp, err := f.msgServer.CreateRecord(ctx, msg)
			require.NoError(t, err)
			require.Equal(t, uint64(1), resp.Id)

			want := types.Record{
				Id: 1, Owner: f.patient, Issuer: creator, Organisation: tc.wantOrganisation(f),
				Cid: msg.Cid, EpochCid: msg.Cid, Kind: types.RecordKindDICOM, SizeBytes: 1 << 20, SealedLabel: types.FakeSealedLabel("knee MRI"),
				Version: 1, KeyEpoch: 0, Status: types.RecordStatusActive,
				CreatedAt: genesisTime, UpdatedAt: genesisTime,
			}
			got, err := f.keeper.Records.Get(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, want, got)

			history, err := f.querier.History(ctx, &types.QueryHistoryRequest{RecordId: 1})
			require.NoError(t, err)
			require.Equal(t, []types.RecordVersion{{RecordId: 1, Version: 1, Cid: msg.Cid, Issuer: creator, At: genesisTime, SizeBytes: msg.SizeBytes}}, history.Versions)
			require.Equal(t, []uint64{1}, f.access.wrapped, "the wraps went to x/access")

			events.RequireSingle(t, ctx, &types.EventRecordCreated{
				RecordId: 1, Owner: f.patient, Issuer: creator, Organisation: tc.wantOrganisation(f),
				Cid: msg.Cid, Kind: types.RecordKindDICOM, SizeBytes: 1 << 20,
			})

			second := f.mustCreate(t, f.createMsg(t, creator, "second scan"))
			require.Equal(t, uint64(2), second, "ids come from a sequence")
		})
	}
}

// A CIDv1 in another multibase is accepted and stored in canonical base32.
func TestCreateRecordStoresCanonicalCID(t *testing.T) {
	f := newFixture(t)
	msg := f.createMsg(t, f.patient, "x")
	c := cid.MustParse(msg.Cid)
	base58, err := c.StringOfBase('z')
	require.NoError(t, err)
	msg.Cid = base58
	id := f.mustCreate(t, msg)
	got, err := f.keeper.Records.Get(f.ctx, id)
	require.NoError(t, err)
	require.Equal(t, c.String(), got.Cid)
}

func TestCreateRecordDerivedFrom(t *testing.T) {
	f := newFixture(t)
	orig := f.mustCreate(t, f.createMsg(t, f.patient, "original"))
	msg := f.createMsg(t, f.patient, "de-identified")
	msg.DerivedFrom = orig
	copyID := f.mustCreate(t, msg)
	got, err := f.keeper.Records.Get(f.ctx, copyID)
	require.NoError(t, err)
	require.Equal(t, orig, got.DerivedFrom)
}

func TestCreateRecordRejectedSigners(t *testing.T) {
	tests := []struct {
		name    string
		creator func(f fixture) string
		wantErr error
		wantMsg string
	}{
		{"another patient", func(f fixture) string { return f.otherPatient }, types.ErrNotAuthorisedIssuer, "not a registered issuer or practitioner"},
		{"a stranger", func(f fixture) string { return f.stranger }, types.ErrNotAuthorisedIssuer, "not a registered issuer or practitioner"},
		{"a practitioner without WRITE", func(f fixture) string { return f.clinicNurse }, types.ErrNoWritePermission, "has not granted WRITE"},
		{"an organisation without WRITE", func(f fixture) string { return f.clinic }, types.ErrNoWritePermission, "has not granted WRITE"},
		{"a practitioner of a suspended organisation", func(f fixture) string { return f.suspendedDoctor }, types.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"a suspended organisation", func(f fixture) string { return f.suspended }, types.ErrNotAuthorisedIssuer, "SUSPENDED"},
		{"malformed creator", func(fixture) string { return "med1nope" }, types.ErrInvalidAddress, "creator"},
		{"empty creator", func(fixture) string { return "" }, types.ErrInvalidAddress, "creator is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.mustCreate(t, f.createMsg(t, f.patient, "existing"))
			msg := f.createMsg(t, tc.creator(f), "new")
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.CreateRecord(ctx, msg))
			})
		})
	}
}

// Without access hooks nobody but the owner writes, and exactly one wrap,
// for the owner, is accepted.
func TestCreateRecordWithoutHooks(t *testing.T) {
	f := newFixtureWithoutHooks(t)
	f.mustCreate(t, f.createMsg(t, f.patient, "mine"))

	for name, tc := range map[string]struct {
		msg     func() *types.MsgCreateRecord
		wantErr error
		wantMsg string
	}{
		"doctor": {func() *types.MsgCreateRecord { return f.createMsg(t, f.doctor, "x") }, types.ErrNoWritePermission, "has not granted WRITE"},
		"two wraps": {func() *types.MsgCreateRecord {
			m := f.createMsg(t, f.patient, "x")
			m.Wraps = append(m.Wraps, f.wrap(t, f.hospital))
			return m
		}, types.ErrInvalidWraps, "exactly once, for the owner"},
		"wrap for someone else": {func() *types.MsgCreateRecord {
			m := f.createMsg(t, f.patient, "x")
			m.Wraps = []types.KeyWrap{f.wrap(t, f.hospital)}
			return m
		}, types.ErrInvalidWraps, "exactly once, for the owner"},
	} {
		t.Run(name, func(t *testing.T) {
			msg := tc.msg()
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.CreateRecord(ctx, msg))
			})
		})
	}
}

func TestCreateRecordRejectedContent(t *testing.T) {
	f := newFixture(t)
	f.mustCreate(t, f.createMsg(t, f.patient, "original"))
	othersMsg := f.createMsg(t, f.otherPatient, "theirs")
	othersMsg.Owner = f.otherPatient
	othersMsg.Wraps = []types.KeyWrap{f.wrap(t, f.otherPatient)}
	others := f.mustCreate(t, othersMsg)
	redacted := f.mustCreate(t, f.createMsg(t, f.patient, "to redact"))
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)

	sha512, err := multihash.Sum([]byte("x"), multihash.SHA2_512, -1)
	require.NoError(t, err)
	restricted := types.DefaultParams()
	restricted.AllowedKinds = []types.RecordKind{types.RecordKindFHIR}

	tests := []struct {
		name    string
		edit    func(m *types.MsgCreateRecord)
		wantErr error
		wantMsg string
	}{
		{"empty CID", func(m *types.MsgCreateRecord) { m.Cid = "" }, types.ErrInvalidCID, "empty"},
		{"garbage CID", func(m *types.MsgCreateRecord) { m.Cid = "hello world" }, types.ErrInvalidCID, "is not a CID"},
		{"CIDv0", func(m *types.MsgCreateRecord) { m.Cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" }, types.ErrInvalidCID, "--cid-version 1"},
		{"sha2-512 CID", func(m *types.MsgCreateRecord) { m.Cid = cid.NewCidV1(cid.Raw, sha512).String() }, types.ErrInvalidCID, "sha2-512"},
		{"dag-cbor CID", func(m *types.MsgCreateRecord) { m.Cid = sample.CID(cid.DagCBOR, "x") }, types.ErrInvalidCID, "dag-cbor"},
		{"oversize label", func(m *types.MsgCreateRecord) { m.SealedLabel = types.FakeSealedLabel(strings.Repeat("a", 65)) }, types.ErrInvalidLabel, "limit is 64"},
		{"plaintext label", func(m *types.MsgCreateRecord) { m.SealedLabel = []byte("knee MRI") }, types.ErrInvalidLabel, "never sent in the clear"},
		{"exact size", func(m *types.MsgCreateRecord) { m.SizeBytes = 1<<20 + 1 }, types.ErrInvalidSize, "not a padded size class"},
		{"unspecified kind", func(m *types.MsgCreateRecord) { m.Kind = types.RecordKindUnspecified }, types.ErrInvalidKind, "use one of"},
		{"unknown kind", func(m *types.MsgCreateRecord) { m.Kind = 99 }, types.ErrInvalidKind, "use one of"},
		{"zero size", func(m *types.MsgCreateRecord) { m.SizeBytes = 0 }, types.ErrInvalidSize, "size_bytes is 0"},
		{"malformed owner", func(m *types.MsgCreateRecord) { m.Owner = "cosmos1xyz" }, types.ErrInvalidAddress, "owner"},
		{"derived from an unknown record", func(m *types.MsgCreateRecord) { m.DerivedFrom = 999 }, types.ErrInvalidDerivedFrom, "no such record"},
		{"derived from another owner's record", func(m *types.MsgCreateRecord) { m.DerivedFrom = others }, types.ErrInvalidDerivedFrom, "another owner"},
		{"derived from a redacted record", func(m *types.MsgCreateRecord) { m.DerivedFrom = redacted }, types.ErrInvalidDerivedFrom, "redacted"},
		{"no wraps", func(m *types.MsgCreateRecord) { m.Wraps = nil }, types.ErrInvalidWraps, "no wraps"},
		{"wrap for a malformed grantee", func(m *types.MsgCreateRecord) { m.Wraps = append(m.Wraps, f.wrap(t, "med1bad")) }, types.ErrInvalidWraps, "not an account address"},
		{"two wraps for one grantee", func(m *types.MsgCreateRecord) { m.Wraps = append(m.Wraps, f.wrap(t, f.patient)) }, types.ErrInvalidWraps, "more than one wrap"},
		{"empty ciphertext", func(m *types.MsgCreateRecord) { m.Wraps[0].Ciphertext = nil }, types.ErrInvalidWraps, "empty"},
		{"wrap bound to a record id another upload took", func(m *types.MsgCreateRecord) { m.Wraps[0].RecordId-- }, types.ErrInvalidWraps, "may give record_id 0"},
		{"wrap for another key epoch", func(m *types.MsgCreateRecord) { m.Wraps[0].KeyEpoch = 1 }, types.ErrInvalidWraps, "seals key epoch 1"},
		{"access hooks refuse the wraps", func(m *types.MsgCreateRecord) { m.Wraps = []types.KeyWrap{f.wrap(t, f.hospital)} }, errFakeWraps, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := f.createMsg(t, f.doctor, "new")
			tc.edit(msg)
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.CreateRecord(ctx, msg))
			})
		})
	}

	t.Run("kind not allowed by params", func(t *testing.T) {
		_, err := f.msgServer.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: restricted})
		require.NoError(t, err)
		msg := f.createMsg(t, f.patient, "new")
		requireRejected(t, f, types.ErrKindNotAllowed, "DICOM is not allowed", func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.CreateRecord(ctx, msg))
		})
		require.NoError(t, f.keeper.Params.Set(f.ctx, types.DefaultParams()))
	})
}

// At most max_records_per_owner_per_block records are created for one owner
// in one block, whoever creates them; the next block starts afresh.
func TestCreateRecordSpamBound(t *testing.T) {
	f := newFixture(t)
	params := types.DefaultParams()
	params.MaxRecordsPerOwnerPerBlock = 3
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))

	f.mustCreate(t, f.createMsg(t, f.patient, "1"))
	f.mustCreate(t, f.createMsg(t, f.doctor, "2"))
	f.mustCreate(t, f.createMsg(t, f.patient, "3"))
	msg := f.createMsg(t, f.doctor, "4")
	requireRejected(t, f, types.ErrTooManyRecords, "already has 3 new records in block 10", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.CreateRecord(ctx, msg))
	})

	// Another owner is not affected.
	other := f.createMsg(t, f.otherPatient, "theirs")
	other.Owner = f.otherPatient
	other.Wraps = []types.KeyWrap{f.wrap(t, f.otherPatient)}
	f.mustCreate(t, other)

	// The next block has a fresh allowance (the message is wrapped again
	// for the id it gets now that another record took the one it had).
	f.ctx = f.ctx.WithBlockHeight(11)
	msg.Wraps = []types.KeyWrap{f.wrap(t, f.patient)}
	f.mustCreate(t, msg)
	count, err := f.keeper.OwnerBlockCounts.Get(f.ctx, sample.Addr("patient"))
	require.NoError(t, err)
	require.Equal(t, types.OwnerBlockCount{Height: 11, Count: 1}, count)
}

// TestUncoordinatedCreatesNeverCollide: clients seal wraps before the
// chain assigns ids, to the record's own CID, and send record id 0; any
// number of them, built at once and executed in any order, all land, and
// each record's wraps are stored under the id it got. A wrap naming
// another record is still refused.
func TestUncoordinatedCreatesNeverCollide(t *testing.T) {
	f := newFixture(t)
	var msgs []*types.MsgCreateRecord
	for i := range 5 {
		m := f.createMsg(t, f.patient, fmt.Sprintf("uploader %d", i))
		m.Wraps[0].RecordId = 0 // built before any of them executed
		msgs = append(msgs, m)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		id := f.mustCreate(t, msgs[i])
		r, err := f.keeper.Records.Get(f.ctx, id)
		require.NoError(t, err)
		require.Equal(t, msgs[i].Cid, r.EpochCid, "the epoch's wraps are bound to the first version's CID")
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, f.access.wrapped, "every record's wraps went to x/access under its own id")

	m := f.createMsg(t, f.patient, "stale id")
	m.Wraps[0].RecordId = 99
	_, err := f.msgServer.CreateRecord(f.freshCtx(), m)
	require.ErrorIs(t, err, types.ErrInvalidWraps)
}
