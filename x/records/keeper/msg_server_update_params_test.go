package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/records/types"
)

func TestUpdateParamsByAuthority(t *testing.T) {
	f := newFixture(t)
	ctx := f.freshCtx()
	newParams := types.NewParams(32, 5, []types.RecordKind{types.RecordKindFHIR, types.RecordKindPDF})

	resp, err := f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.authority, Params: newParams})
	require.NoError(t, err)
	require.NotNil(t, resp)

	got, err := f.querier.Params(ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, newParams, got.Params)
	events.RequireSingle(t, ctx, &types.EventParamsUpdated{Authority: f.authority, Params: newParams})
}

func TestUpdateParamsRejected(t *testing.T) {
	f := newFixture(t)
	valid := types.DefaultParams()
	tests := []struct {
		name      string
		authority string
		params    types.Params
		wantErr   error
		wantMsg   string
	}{
		{"the owner", f.patient, valid, types.ErrInvalidAuthority, "governance proposal"},
		{"an issuer", f.hospital, valid, types.ErrInvalidAuthority, ""},
		{"a practitioner", f.doctor, valid, types.ErrInvalidAuthority, ""},
		{"a stranger", f.stranger, valid, types.ErrInvalidAuthority, ""},
		{"malformed authority", "nope", valid, types.ErrInvalidAuthority, "malformed"},
		{"zero max_label_length", f.authority, types.NewParams(0, 20, types.AllRecordKinds()), types.ErrInvalidParams, "max_label_length"},
		{"max_label_length over the cap", f.authority, types.NewParams(types.MaxLabelLengthCap+1, 20, types.AllRecordKinds()), types.ErrInvalidParams, "max_label_length"},
		{"zero spam bound", f.authority, types.NewParams(64, 0, types.AllRecordKinds()), types.ErrInvalidParams, "max_records_per_owner_per_block"},
		{"zero max_versions_per_record", f.authority, func() types.Params {
			p := types.DefaultParams()
			p.MaxVersionsPerRecord = 0
			return p
		}(), types.ErrInvalidParams, "max_versions_per_record must be greater than 0"},
		{"no kinds", f.authority, types.NewParams(64, 20, nil), types.ErrInvalidParams, "allowed_kinds is empty"},
		{"unspecified kind", f.authority, types.NewParams(64, 20, []types.RecordKind{types.RecordKindUnspecified}), types.ErrInvalidParams, "unknown kind"},
		{"duplicate kind", f.authority, types.NewParams(64, 20, []types.RecordKind{types.RecordKindPDF, types.RecordKindPDF}), types.ErrInvalidParams, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.UpdateParams(ctx, &types.MsgUpdateParams{Authority: tc.authority, Params: tc.params}))
			})
		})
	}
}
