package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/records/types"
)

// setArchiveConsent is the owner's MsgSetArchiveConsent, which must pass.
func (f fixture) setArchiveConsent(t testing.TB, id uint64, allow bool) {
	t.Helper()
	_, err := f.msgServer.SetArchiveConsent(f.freshCtx(), &types.MsgSetArchiveConsent{Owner: f.patient, RecordId: id, Allow: allow})
	require.NoError(t, err)
}

// The owner allows and withdraws archiving; the choice is the record's
// alone and changes nothing else about it.
func TestSetArchiveConsentByTheOwner(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.doctor, "scan"))
	other := f.mustCreate(t, f.createMsg(t, f.patient, "other"))
	before, err := f.keeper.Records.Get(f.ctx, id)
	require.NoError(t, err)
	require.False(t, before.ArchiveAllowed, "a new record is not archived until its owner allows it")

	f.ctx = f.ctx.WithBlockTime(genesisTime.Add(time.Hour))
	for _, allow := range []bool{true, true, false} {
		ctx := f.freshCtx()
		resp, err := f.msgServer.SetArchiveConsent(ctx, &types.MsgSetArchiveConsent{Owner: f.patient, RecordId: id, Allow: allow})
		require.NoError(t, err)
		require.Equal(t, &types.MsgSetArchiveConsentResponse{}, resp)
		events.RequireSingle(t, ctx, &types.EventArchiveConsentSet{RecordId: id, Owner: f.patient, Allow: allow})

		got, err := f.keeper.Records.Get(f.ctx, id)
		require.NoError(t, err)
		want := before
		want.ArchiveAllowed = allow
		require.Equal(t, want, got, "only archive_allowed changes; updated_at dates payload changes")
	}
	untouched, err := f.keeper.Records.Get(f.ctx, other)
	require.NoError(t, err)
	require.False(t, untouched.ArchiveAllowed)
}

func TestSetArchiveConsentRejected(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.doctor, "scan"))
	redacted := f.mustCreate(t, f.createMsg(t, f.patient, "gone"))
	f.setArchiveConsent(t, redacted, true)
	_, err := f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)
	gone, err := f.keeper.Records.Get(f.ctx, redacted)
	require.NoError(t, err)
	require.False(t, gone.ArchiveAllowed, "a redaction clears the consent with everything else")

	for _, tc := range []struct {
		name    string
		signer  string
		id      uint64
		wantErr error
		wantMsg string
	}{
		{"another patient", f.otherPatient, id, types.ErrNotOwner, "only its owner may allow or forbid archiving it"},
		{"a grantee of the owner", f.grantee, id, types.ErrNotOwner, "only its owner"},
		{"the practitioner who created it", f.doctor, id, types.ErrNotOwner, "only its owner"},
		{"its hospital", f.hospital, id, types.ErrNotOwner, "only its owner"},
		{"another hospital", f.hospitalB, id, types.ErrNotOwner, "only its owner"},
		{"a suspended hospital", f.suspended, id, types.ErrNotOwner, "only its owner"},
		{"an insurer", f.insurer, id, types.ErrNotOwner, "only its owner"},
		{"a stranger", f.stranger, id, types.ErrNotOwner, "only its owner"},
		{"the governance authority", f.authority, id, types.ErrNotOwner, "only its owner"},
		{"a malformed owner", "med1garbage", id, types.ErrInvalidAddress, "owner"},
		{"no owner", "", id, types.ErrInvalidAddress, "owner is empty"},
		{"an unknown record", f.patient, 999, types.ErrRecordNotFound, "no record with id 999"},
		{"a redacted record", f.patient, redacted, types.ErrRecordRedacted, "record 2 is redacted"},
	} {
		for _, allow := range []bool{true, false} {
			t.Run(tc.name, func(t *testing.T) {
				requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
					return result(f.msgServer.SetArchiveConsent(ctx, &types.MsgSetArchiveConsent{Owner: tc.signer, RecordId: tc.id, Allow: allow}))
				})
			})
		}
	}
}
