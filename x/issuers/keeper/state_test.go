package keeper_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestIsAuthorised(t *testing.T) {
	f := newPopulatedFixture(t)

	tests := []struct {
		name string
		addr string
		want types.Authorisation
	}{
		{"active hospital acts for itself", f.hospital, types.Authorisation{
			Authorised: true, Organisation: f.hospital, Kind: types.IssuerKindHospital,
		}},
		{"active clinic acts for itself", f.clinic, types.Authorisation{
			Authorised: true, Organisation: f.clinic, Kind: types.IssuerKindClinic,
		}},
		{"doctor of an active hospital acts for it", f.doctor, types.Authorisation{
			Authorised: true, Organisation: f.hospital, Kind: types.IssuerKindHospital, Role: types.PractitionerRoleDoctor,
		}},
		{"nurse of an active clinic acts for it", f.clinicNurse, types.Authorisation{
			Authorised: true, Organisation: f.clinic, Kind: types.IssuerKindClinic, Role: types.PractitionerRoleNurse,
		}},
		{"suspended hospital", f.suspendedHospital, types.Authorisation{
			Organisation: f.suspendedHospital, Kind: types.IssuerKindHospital,
			Reason: "organisation " + f.suspendedHospital + " is SUSPENDED",
		}},
		{"revoked hospital", f.revokedHospital, types.Authorisation{
			Organisation: f.revokedHospital, Kind: types.IssuerKindHospital,
			Reason: "organisation " + f.revokedHospital + " is REVOKED",
		}},
		{"doctor of a suspended hospital", f.suspendedDoctor, types.Authorisation{
			Organisation: f.suspendedHospital, Kind: types.IssuerKindHospital, Role: types.PractitionerRoleDoctor,
			Reason: "organisation " + f.suspendedHospital + " is SUSPENDED",
		}},
		{"doctor of a revoked hospital", f.revokedDoctor, types.Authorisation{
			Organisation: f.revokedHospital, Kind: types.IssuerKindHospital, Role: types.PractitionerRoleDoctor,
			Reason: "organisation " + f.revokedHospital + " is REVOKED",
		}},
		{"stranger", f.stranger, types.Authorisation{Reason: "not a registered issuer or practitioner"}},
		{"gov authority", f.authority, types.Authorisation{Reason: "not a registered issuer or practitioner"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.keeper.IsAuthorised(f.ctx, f.mustAddr(t, tc.addr))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)

			resp, err := f.querier.IsAuthorised(f.ctx, &types.QueryIsAuthorisedRequest{Address: tc.addr})
			require.NoError(t, err)
			require.Equal(t, &types.QueryIsAuthorisedResponse{
				Authorised: tc.want.Authorised, Organisation: tc.want.Organisation,
				Kind: tc.want.Kind, Role: tc.want.Role, Reason: tc.want.Reason,
			}, resp)
		})
	}

	_, err := f.keeper.IsAuthorised(f.ctx, nil)
	require.ErrorIs(t, err, types.ErrInvalidAddress)
}

// Suspending the organisation makes its doctor unauthorised in the same
// block; reinstating it authorises the doctor again. The practitioner's
// record is not written either time.
func TestIsAuthorisedFollowsOrganisationStatus(t *testing.T) {
	f := newPopulatedFixture(t)
	doctor := f.mustAddr(t, f.doctor)
	stored, err := f.keeper.Practitioners.Get(f.ctx, doctor)
	require.NoError(t, err)

	var writes [][]byte
	authorised := func() types.Authorisation {
		a, err := f.keeper.IsAuthorised(f.ctx, doctor)
		require.NoError(t, err)
		return a
	}
	require.True(t, authorised().Authorised)

	writes = append(writes, tracedWrites(t, f, func() {
		_, err = f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusSuspended, Reason: "audit",
		})
	})...)
	require.NoError(t, err)
	a := authorised()
	require.False(t, a.Authorised)
	require.Equal(t, "organisation "+f.hospital+" is SUSPENDED", a.Reason)
	require.Equal(t, f.hospital, a.Organisation)

	writes = append(writes, tracedWrites(t, f, func() {
		_, err = f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{
			Authority: f.authority, Address: f.hospital, Status: types.IssuerStatusActive, Reason: "audit passed",
		})
	})...)
	require.NoError(t, err)
	require.True(t, authorised().Authorised)

	again, err := f.keeper.Practitioners.Get(f.ctx, doctor)
	require.NoError(t, err)
	require.Equal(t, stored, again, "the practitioner record is never rewritten")

	require.NotEmpty(t, writes, "the issuer record and its indexes are written")
	for _, key := range writes {
		for _, untouched := range []collections.Prefix{types.PractitionersKey, types.PractitionersByOrganisationKey, types.MemberCountKey} {
			require.False(t, bytes.HasPrefix(key, untouched.Bytes()), "status change wrote practitioner state: key %X", key)
		}
	}
}

// tracedWrites runs fn with store tracing on and returns the keys it wrote
// or deleted in the issuers store.
func tracedWrites(t *testing.T, f fixture, fn func()) [][]byte {
	t.Helper()
	var trace bytes.Buffer
	f.ctx.MultiStore().SetTracer(&trace)
	defer f.ctx.MultiStore().SetTracer(nil)
	fn()

	var keys [][]byte
	dec := json.NewDecoder(&trace)
	for dec.More() {
		var op struct {
			Operation string `json:"operation"`
			Key       string `json:"key"`
		}
		require.NoError(t, dec.Decode(&op))
		if op.Operation != "write" && op.Operation != "delete" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(op.Key)
		require.NoError(t, err)
		keys = append(keys, key)
	}
	return keys
}
