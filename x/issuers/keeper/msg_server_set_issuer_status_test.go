package keeper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestSetIssuerStatusTransitions(t *testing.T) {
	tests := []struct {
		name string
		from func(f fixture) string
		to   types.IssuerStatus
		old  types.IssuerStatus
	}{
		{"suspend an active issuer", func(f fixture) string { return f.hospital }, types.IssuerStatusSuspended, types.IssuerStatusActive},
		{"revoke an active issuer", func(f fixture) string { return f.clinic }, types.IssuerStatusRevoked, types.IssuerStatusActive},
		{"reinstate a suspended issuer", func(f fixture) string { return f.suspendedHospital }, types.IssuerStatusActive, types.IssuerStatusSuspended},
		{"revoke a suspended issuer", func(f fixture) string { return f.suspendedHospital }, types.IssuerStatusRevoked, types.IssuerStatusSuspended},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newPopulatedFixture(t)
			later := genesisTime.Add(time.Hour)
			ctx := f.freshCtx().WithBlockTime(later)
			addr := tc.from(f)
			before, _, err := f.keeper.GetIssuer(ctx, f.mustAddr(t, addr))
			require.NoError(t, err)

			_, err = f.msgServer.SetIssuerStatus(ctx, &types.MsgSetIssuerStatus{
				Authority: f.authority, Address: addr, Status: tc.to, Reason: "regulator decision 2026/17",
			})
			require.NoError(t, err)

			after, _, err := f.keeper.GetIssuer(ctx, f.mustAddr(t, addr))
			require.NoError(t, err)
			want := before
			want.Status = tc.to
			want.UpdatedAt = later
			require.Equal(t, want, after)

			events.RequireSingle(t, ctx, &types.EventIssuerStatusChanged{
				Address: addr, Kind: before.Kind, OldStatus: tc.old, NewStatus: tc.to, Reason: "regulator decision 2026/17",
			})
		})
	}
}

func TestSetIssuerStatusRejected(t *testing.T) {
	f := newPopulatedFixture(t)

	tests := []struct {
		name    string
		msg     func() *types.MsgSetIssuerStatus
		wantErr error
		wantMsg string
	}{
		{"signed by a stranger", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.stranger, Address: f.hospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidAuthority, ""},
		{"signed by the organisation itself", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.hospital, Address: f.hospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidAuthority, ""},
		{"signed by another organisation", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.clinic, Address: f.hospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidAuthority, ""},
		{"signed by a practitioner", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.doctor, Address: f.hospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidAuthority, ""},
		{"suspended organisation reinstating itself", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.suspendedHospital, Address: f.suspendedHospital, Status: types.IssuerStatusActive}
		}, types.ErrInvalidAuthority, ""},
		{"revoked organisation reinstating itself", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.revokedHospital, Address: f.revokedHospital, Status: types.IssuerStatusActive}
		}, types.ErrInvalidAuthority, ""},

		{"malformed address", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: "med1xyz", Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidAddress, ""},
		{"unknown issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.stranger, Status: types.IssuerStatusSuspended}
		}, types.ErrIssuerNotFound, "register-issuer"},
		{"a practitioner is not an issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.doctor, Status: types.IssuerStatusSuspended}
		}, types.ErrIssuerNotFound, ""},
		{"unspecified status", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.hospital}
		}, types.ErrInvalidStatus, "active, suspended, revoked"},
		{"undefined status", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.hospital, Status: 9}
		}, types.ErrInvalidStatus, ""},
		{"reason too long", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{
				Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended,
				Reason: strings.Repeat("r", types.MaxReasonLength+1),
			}
		}, types.ErrInvalidReason, ""},

		{"activating an active issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusActive}
		}, types.ErrInvalidStatusTransition, "already ACTIVE"},
		{"suspending a suspended issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.suspendedHospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidStatusTransition, "already SUSPENDED"},
		{"revoking a revoked issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.revokedHospital, Status: types.IssuerStatusRevoked}
		}, types.ErrInvalidStatusTransition, "already REVOKED"},
		{"reinstating a revoked issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.revokedHospital, Status: types.IssuerStatusActive}
		}, types.ErrInvalidStatusTransition, "cannot be reinstated"},
		{"suspending a revoked issuer", func() *types.MsgSetIssuerStatus {
			return &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.revokedHospital, Status: types.IssuerStatusSuspended}
		}, types.ErrInvalidStatusTransition, "final"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := f.freshCtx()
			before := state.Take(f.ctx, f.storeKey)

			resp, err := f.msgServer.SetIssuerStatus(ctx, tc.msg())
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Nil(t, resp)
			state.RequireSame(t, before, f.ctx, f.storeKey)
			require.Empty(t, ctx.EventManager().Events(), "no event on failure")
			require.Empty(t, f.staking.jailed, "nothing jailed on failure")
		})
	}
}

func TestSetIssuerStatusJailsHospitalValidator(t *testing.T) {
	for _, status := range []types.IssuerStatus{types.IssuerStatusSuspended, types.IssuerStatusRevoked} {
		t.Run(status.Label(), func(t *testing.T) {
			f := newPopulatedFixture(t)
			hospital := f.mustAddr(t, f.hospital)
			validator := f.staking.addValidator(t, hospital, false)
			ctx := f.freshCtx()

			_, err := f.msgServer.SetIssuerStatus(ctx, &types.MsgSetIssuerStatus{
				Authority: f.authority, Address: f.hospital, Status: status,
			})
			require.NoError(t, err)

			consAddr, err := validator.GetConsAddr()
			require.NoError(t, err)
			require.Equal(t, []sdk.ConsAddress{consAddr}, f.staking.jailed)
			require.True(t, f.staking.validator(t, hospital).IsJailed())

			emitted := ctx.EventManager().Events()
			require.Len(t, emitted, 2)
			events.Equal(t, emitted[0], &types.EventIssuerStatusChanged{
				Address: f.hospital, Kind: types.IssuerKindHospital,
				OldStatus: types.IssuerStatusActive, NewStatus: status,
			})
			events.Equal(t, emitted[1], &types.EventHospitalValidatorJailed{
				Organisation: f.hospital, Validator: validator.OperatorAddress, Status: status,
			})
		})
	}
}

func TestSetIssuerStatusJailing(t *testing.T) {
	t.Run("already jailed validator is left alone", func(t *testing.T) {
		f := newPopulatedFixture(t)
		f.staking.addValidator(t, f.mustAddr(t, f.hospital), true)
		_, err := f.msgServer.SetIssuerStatus(f.freshCtx(), &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended,
		})
		require.NoError(t, err)
		require.Empty(t, f.staking.jailed)
	})

	t.Run("hospital without a validator", func(t *testing.T) {
		f := newPopulatedFixture(t)
		_, err := f.msgServer.SetIssuerStatus(f.freshCtx(), &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended,
		})
		require.NoError(t, err)
		require.Empty(t, f.staking.jailed)
	})

	t.Run("a clinic's status never touches validators", func(t *testing.T) {
		f := newPopulatedFixture(t)
		f.staking.addValidator(t, f.mustAddr(t, f.clinic), false)
		_, err := f.msgServer.SetIssuerStatus(f.freshCtx(), &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.clinic, Status: types.IssuerStatusSuspended,
		})
		require.NoError(t, err)
		require.Empty(t, f.staking.jailed)
	})

	t.Run("reinstating does not unjail", func(t *testing.T) {
		f := newPopulatedFixture(t)
		suspended := f.mustAddr(t, f.suspendedHospital)
		f.staking.addValidator(t, suspended, true)
		_, err := f.msgServer.SetIssuerStatus(f.freshCtx(), &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.suspendedHospital, Status: types.IssuerStatusActive,
		})
		require.NoError(t, err)
		require.True(t, f.staking.validator(t, suspended).IsJailed(), "the hospital unjails itself with MsgUnjail")
	})
}

// Suspending an organisation makes its practitioners inactive in the same
// block, without writing their records; reinstating reverses it.
func TestSetIssuerStatusPractitionersFollow(t *testing.T) {
	f := newPopulatedFixture(t)
	doctor := f.mustAddr(t, f.doctor)
	stored, err := f.keeper.Practitioners.Get(f.ctx, doctor)
	require.NoError(t, err)

	for _, step := range []struct {
		status types.IssuerStatus
		want   types.PractitionerStatus
	}{
		{types.IssuerStatusSuspended, types.PractitionerStatusInactive},
		{types.IssuerStatusActive, types.PractitionerStatusActive},
		{types.IssuerStatusRevoked, types.PractitionerStatusInactive},
	} {
		_, err := f.msgServer.SetIssuerStatus(f.freshCtx(), &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.hospital, Status: step.status,
		})
		require.NoError(t, err)

		p, found, err := f.keeper.GetPractitioner(f.ctx, doctor)
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, step.want, p.Status, step.status)

		again, err := f.keeper.Practitioners.Get(f.ctx, doctor)
		require.NoError(t, err)
		require.Equal(t, stored, again, "the practitioner record is never rewritten")
		require.Equal(t, types.PractitionerStatusUnspecified, again.Status, "status is not stored")
	}
}
