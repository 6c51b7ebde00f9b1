package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/types"
)

// TestUpdateParams: the authority puts valid params in force.
func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	params := types.Params{
		MaxExpirationsPerBlock: 10, MaxPendingRequests: 1, DefaultRequestTtl: time.Hour,
		MaxRequestTtl: time.Hour, MaxReasonLength: types.MaxReasonLengthCap, MaxWrapsPerMsg: 1,
		MaxPendingRequestsPerRecord: 1, MaxExpiryWorkPerBlock: 1,
		EmergencyWindow: time.Hour, MaxEmergencyPerPractitioner: 1, MaxCustodians: 2, RecoveryDelay: time.Hour,
		MaxEmergencyPerOrganisationPerDay: 1,
	}
	ctx := f.deliver(t, sending(f.msgServer.UpdateParams, &types.MsgUpdateParams{Authority: f.authority, Params: params}))
	events.Require(t, ctx, &types.EventParamsUpdated{Authority: f.authority, Params: params})
	got, err := f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, params, got.Params)
}

// TestUpdateParamsRejected: only the authority, only valid params.
func TestUpdateParamsRejected(t *testing.T) {
	f := newFixture(t)
	update := func(authority string, params types.Params) *types.MsgUpdateParams {
		return &types.MsgUpdateParams{Authority: authority, Params: params}
	}
	with := func(edit func(*types.Params)) *types.MsgUpdateParams {
		p := types.DefaultParams()
		edit(&p)
		return update(f.authority, p)
	}
	requireAllRejected(t, f, handler(f.msgServer.UpdateParams), []rejection[*types.MsgUpdateParams]{
		{"a patient", update(f.patient, types.DefaultParams()), types.ErrInvalidAuthority,
			"expected " + f.authority + ", got " + f.patient + "; this message must be submitted as a governance proposal"},
		{"a hospital", update(f.hospital, types.DefaultParams()), types.ErrInvalidAuthority, "must be submitted as a governance proposal"},
		{"a malformed authority", update("med1notbech32", types.DefaultParams()), types.ErrInvalidAuthority, `malformed authority address "med1notbech32"`},
		{"an empty authority", update("", types.DefaultParams()), types.ErrInvalidAuthority, "malformed authority address"},
		{"no expirations per block", with(func(p *types.Params) { p.MaxExpirationsPerBlock = 0 }),
			types.ErrInvalidParams, "max_expirations_per_block must be greater than 0"},
		{"no pending requests", with(func(p *types.Params) { p.MaxPendingRequests = 0 }),
			types.ErrInvalidParams, "max_pending_requests must be greater than 0"},
		{"zero default TTL", with(func(p *types.Params) { p.DefaultRequestTtl = 0 }),
			types.ErrInvalidParams, "default_request_ttl must be positive"},
		{"negative default TTL", with(func(p *types.Params) { p.DefaultRequestTtl = -time.Hour }),
			types.ErrInvalidParams, "default_request_ttl must be positive"},
		{"max TTL below the default", with(func(p *types.Params) { p.MaxRequestTtl = p.DefaultRequestTtl - time.Second }),
			types.ErrInvalidParams, "max_request_ttl 167h59m59s is shorter than default_request_ttl 168h0m0s"},
		{"no reason length", with(func(p *types.Params) { p.MaxReasonLength = 0 }),
			types.ErrInvalidParams, "max_reason_length 0 must be between 1 and 512"},
		{"reason length above the cap", with(func(p *types.Params) { p.MaxReasonLength = types.MaxReasonLengthCap + 1 }),
			types.ErrInvalidParams, "max_reason_length 513 must be between 1 and 512"},
		{"no wraps per message", with(func(p *types.Params) { p.MaxWrapsPerMsg = 0 }),
			types.ErrInvalidParams, "max_wraps_per_msg must be greater than 0"},
		{"no pending requests per record", with(func(p *types.Params) { p.MaxPendingRequestsPerRecord = 0 }),
			types.ErrInvalidParams, "max_pending_requests_per_record must be greater than 0"},
		{"no expiry work per block", with(func(p *types.Params) { p.MaxExpiryWorkPerBlock = 0 }),
			types.ErrInvalidParams, "max_expiry_work_per_block must be greater than 0"},
		{"no emergency window", with(func(p *types.Params) { p.EmergencyWindow = 0 }),
			types.ErrInvalidParams, "emergency_window 0s must be positive and at most 168h0m0s"},
		{"an emergency window above a week", with(func(p *types.Params) { p.EmergencyWindow = types.MaxEmergencyWindow + time.Second }),
			types.ErrInvalidParams, "emergency_window 168h0m1s must be positive"},
		{"no emergency access per practitioner", with(func(p *types.Params) { p.MaxEmergencyPerPractitioner = 0 }),
			types.ErrInvalidParams, "max_emergency_per_practitioner must be greater than 0"},
		{"a single custodian", with(func(p *types.Params) { p.MaxCustodians = 1 }),
			types.ErrInvalidParams, "max_custodians 1 must be between 2 and 16"},
		{"more custodians than a sharing supports", with(func(p *types.Params) { p.MaxCustodians = types.MaxCustodiansCap + 1 }),
			types.ErrInvalidParams, "max_custodians 17 must be between 2 and 16"},
		{"no recovery delay", with(func(p *types.Params) { p.RecoveryDelay = 0 }),
			types.ErrInvalidParams, "recovery_delay 0s must be positive"},
		{"no emergency access per organisation and day", with(func(p *types.Params) { p.MaxEmergencyPerOrganisationPerDay = 0 }),
			types.ErrInvalidParams, "max_emergency_per_organisation_per_day must be greater than 0"},
	})
}
