package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestQueryParams(t *testing.T) {
	f := newInitializedFixture(t)

	resp, err := f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), resp.Params)

	updated := types.NewParams(64, 20)
	_, err = f.msgServer.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: updated})
	require.NoError(t, err)

	resp, err = f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, updated, resp.Params)
}

func TestQueryParamsErrors(t *testing.T) {
	f := newFixture(t)

	_, err := f.querier.Params(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	_, err = f.querier.Params(f.ctx, &types.QueryParamsRequest{})
	require.Equal(t, codes.NotFound, status.Code(err), "params are unset before genesis")
}

func TestQueryIssuer(t *testing.T) {
	f := newPopulatedFixture(t)

	resp, err := f.querier.Issuer(f.ctx, &types.QueryIssuerRequest{Address: f.suspendedHospital})
	require.NoError(t, err)
	require.Equal(t, f.suspendedHospital, resp.Issuer.Address)
	require.Equal(t, types.IssuerStatusSuspended, resp.Issuer.Status)
	require.Equal(t, types.IssuerKindHospital, resp.Issuer.Kind)

	for _, tc := range []struct {
		req  *types.QueryIssuerRequest
		code codes.Code
	}{
		{nil, codes.InvalidArgument},
		{&types.QueryIssuerRequest{}, codes.InvalidArgument},
		{&types.QueryIssuerRequest{Address: "med1bad"}, codes.InvalidArgument},
		{&types.QueryIssuerRequest{Address: f.stranger}, codes.NotFound},
		{&types.QueryIssuerRequest{Address: f.doctor}, codes.NotFound},
	} {
		_, err := f.querier.Issuer(f.ctx, tc.req)
		require.Equal(t, tc.code, status.Code(err), "%v: %v", tc.req, err)
	}
}

func TestQueryPractitioner(t *testing.T) {
	f := newPopulatedFixture(t)

	for _, tc := range []struct {
		addr string
		org  string
		want types.PractitionerStatus
	}{
		{f.doctor, f.hospital, types.PractitionerStatusActive},
		{f.clinicNurse, f.clinic, types.PractitionerStatusActive},
		{f.suspendedDoctor, f.suspendedHospital, types.PractitionerStatusInactive},
		{f.revokedDoctor, f.revokedHospital, types.PractitionerStatusInactive},
	} {
		resp, err := f.querier.Practitioner(f.ctx, &types.QueryPractitionerRequest{Address: tc.addr})
		require.NoError(t, err)
		require.Equal(t, tc.org, resp.Practitioner.Organisation)
		require.Equal(t, tc.want, resp.Practitioner.Status, tc.addr)
	}

	for _, tc := range []struct {
		req  *types.QueryPractitionerRequest
		code codes.Code
	}{
		{nil, codes.InvalidArgument},
		{&types.QueryPractitionerRequest{Address: "x"}, codes.InvalidArgument},
		{&types.QueryPractitionerRequest{Address: f.hospital}, codes.NotFound},
	} {
		_, err := f.querier.Practitioner(f.ctx, tc.req)
		require.Equal(t, tc.code, status.Code(err))
	}
}

// manyIssuersFixture adds 7 more issuers: hospitals h0..h3 (h1 and h3
// suspended) and labs l0..l2 (l1 suspended).
func manyIssuersFixture(t *testing.T) fixture {
	t.Helper()
	f := newPopulatedFixture(t)
	add := func(name string, kind types.IssuerKind, suspend bool) {
		addr := f.bech32(t, sample.Addr(name))
		_, err := f.msgServer.RegisterIssuer(f.ctx, &types.MsgRegisterIssuer{Authority: f.authority, Address: addr, Name: name, Kind: kind})
		require.NoError(t, err)
		if suspend {
			_, err = f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{Authority: f.authority, Address: addr, Status: types.IssuerStatusSuspended})
			require.NoError(t, err)
		}
	}
	for i := 0; i < 4; i++ {
		add(fmt.Sprintf("h%d", i), types.IssuerKindHospital, i%2 == 1)
	}
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("l%d", i), types.IssuerKindLab, i == 1)
	}
	return f
}

func issuerNames(issuers []types.Issuer) []string {
	names := make([]string, len(issuers))
	for i, issuer := range issuers {
		names[i] = issuer.Name
	}
	return names
}

func TestQueryIssuersFilters(t *testing.T) {
	f := manyIssuersFixture(t)

	// Address order is byte order of testAddr names ('-' < '0' < '_' < letters).
	tests := []struct {
		name   string
		kind   types.IssuerKind
		status types.IssuerStatus
		want   []string
	}{
		{"all", 0, 0, []string{"clinic", "h0", "h1", "h2", "h3", "revoked", "suspended", "hospital", "l0", "l1", "l2"}},
		{"hospitals", types.IssuerKindHospital, 0, []string{"h0", "h1", "h2", "h3", "revoked", "suspended", "hospital"}},
		{"labs", types.IssuerKindLab, 0, []string{"l0", "l1", "l2"}},
		{"research (none)", types.IssuerKindResearch, 0, nil},
		// By status alone: grouped by kind (the index is (status, kind)).
		{"active", 0, types.IssuerStatusActive, []string{"h0", "h2", "hospital", "clinic", "l0", "l2"}},
		{"suspended", 0, types.IssuerStatusSuspended, []string{"h1", "h3", "suspended", "l1"}},
		{"revoked", 0, types.IssuerStatusRevoked, []string{"revoked"}},
		{"suspended hospitals", types.IssuerKindHospital, types.IssuerStatusSuspended, []string{"h1", "h3", "suspended"}},
		{"active labs", types.IssuerKindLab, types.IssuerStatusActive, []string{"l0", "l2"}},
		{"revoked clinics (none)", types.IssuerKindClinic, types.IssuerStatusRevoked, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{Kind: tc.kind, Status: tc.status})
			require.NoError(t, err)
			names := issuerNames(resp.Issuers)
			if tc.want == nil {
				require.Empty(t, names)
			} else {
				require.Equal(t, tc.want, names)
			}
			for _, issuer := range resp.Issuers {
				if tc.kind != 0 {
					require.Equal(t, tc.kind, issuer.Kind)
				}
				if tc.status != 0 {
					require.Equal(t, tc.status, issuer.Status)
				}
			}
			require.Nil(t, resp.Pagination.NextKey)
		})
	}
}

// Walking every filter two at a time with next_key visits each issuer once,
// in the same order as a single page; reverse walks back.
func TestQueryIssuersPagination(t *testing.T) {
	f := manyIssuersFixture(t)

	for _, filter := range []types.QueryIssuersRequest{
		{},
		{Kind: types.IssuerKindHospital},
		{Status: types.IssuerStatusSuspended},
		{Status: types.IssuerStatusActive},
		{Kind: types.IssuerKindHospital, Status: types.IssuerStatusSuspended},
	} {
		t.Run(fmt.Sprintf("kind=%s status=%s", filter.Kind.Label(), filter.Status.Label()), func(t *testing.T) {
			all, err := f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{Kind: filter.Kind, Status: filter.Status})
			require.NoError(t, err)
			want := issuerNames(all.Issuers)

			for _, reverse := range []bool{false, true} {
				var got []string
				var key []byte
				for page := 0; ; page++ {
					require.Less(t, page, 20, "pagination does not end")
					req := filter
					req.Pagination = &query.PageRequest{Key: key, Limit: 2, Reverse: reverse}
					resp, err := f.querier.Issuers(f.ctx, &req)
					require.NoError(t, err)
					require.LessOrEqual(t, len(resp.Issuers), 2)
					got = append(got, issuerNames(resp.Issuers)...)
					if resp.Pagination.NextKey == nil {
						break
					}
					key = resp.Pagination.NextKey
				}
				if reverse {
					for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
						got[i], got[j] = got[j], got[i]
					}
				}
				require.Equal(t, want, got, "reverse=%v", reverse)
			}

			// Offset and count_total.
			req := filter
			req.Pagination = &query.PageRequest{Offset: 1, Limit: 2, CountTotal: true}
			resp, err := f.querier.Issuers(f.ctx, &req)
			require.NoError(t, err)
			require.Equal(t, uint64(len(want)), resp.Pagination.Total)
			end := min(3, len(want))
			require.Equal(t, want[1:end], issuerNames(resp.Issuers))
		})
	}
}

func TestQueryIssuersBadRequests(t *testing.T) {
	f := manyIssuersFixture(t)

	_, err := f.querier.Issuers(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{Kind: 99})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{Status: 99})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	_, err = f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{
		Status: types.IssuerStatusSuspended, Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1},
	})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "key and offset together")

	// A next_key of one filter is refused by another.
	first, err := f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{
		Status: types.IssuerStatusActive, Pagination: &query.PageRequest{Limit: 1},
	})
	require.NoError(t, err)
	require.NotNil(t, first.Pagination.NextKey)
	_, err = f.querier.Issuers(f.ctx, &types.QueryIssuersRequest{
		Status: types.IssuerStatusSuspended, Pagination: &query.PageRequest{Key: first.Pagination.NextKey},
	})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.ErrorContains(t, err, "filters changed")
}

func TestQueryPractitioners(t *testing.T) {
	f := newPopulatedFixture(t)
	for i := 0; i < 5; i++ {
		_, err := f.msgServer.AddPractitioner(f.ctx, &types.MsgAddPractitioner{
			Organisation: f.hospital, Practitioner: f.bech32(t, sample.Addr(fmt.Sprintf("staff-%d", i))), Role: types.PractitionerRoleNurse,
		})
		require.NoError(t, err)
	}

	all, err := f.querier.Practitioners(f.ctx, &types.QueryPractitionersRequest{Organisation: f.hospital})
	require.NoError(t, err)
	require.Len(t, all.Practitioners, 7)
	for _, p := range all.Practitioners {
		require.Equal(t, f.hospital, p.Organisation)
		require.Equal(t, types.PractitionerStatusActive, p.Status)
	}

	// Page through three at a time.
	var got []types.Practitioner
	var key []byte
	for {
		resp, err := f.querier.Practitioners(f.ctx, &types.QueryPractitionersRequest{
			Organisation: f.hospital, Pagination: &query.PageRequest{Key: key, Limit: 3},
		})
		require.NoError(t, err)
		got = append(got, resp.Practitioners...)
		if resp.Pagination.NextKey == nil {
			break
		}
		key = resp.Pagination.NextKey
	}
	require.Equal(t, all.Practitioners, got)

	// Other organisations' members stay out; a suspended one's are INACTIVE.
	clinic, err := f.querier.Practitioners(f.ctx, &types.QueryPractitionersRequest{Organisation: f.clinic})
	require.NoError(t, err)
	require.Len(t, clinic.Practitioners, 1)
	require.Equal(t, f.clinicNurse, clinic.Practitioners[0].Address)

	suspended, err := f.querier.Practitioners(f.ctx, &types.QueryPractitionersRequest{Organisation: f.suspendedHospital})
	require.NoError(t, err)
	require.Len(t, suspended.Practitioners, 1)
	require.Equal(t, types.PractitionerStatusInactive, suspended.Practitioners[0].Status)

	for _, tc := range []struct {
		req  *types.QueryPractitionersRequest
		code codes.Code
	}{
		{nil, codes.InvalidArgument},
		{&types.QueryPractitionersRequest{}, codes.InvalidArgument},
		{&types.QueryPractitionersRequest{Organisation: f.stranger}, codes.NotFound},
		{&types.QueryPractitionersRequest{Organisation: f.clinic, Pagination: &query.PageRequest{Key: []byte{1}, Offset: 2}}, codes.InvalidArgument},
	} {
		_, err := f.querier.Practitioners(f.ctx, tc.req)
		require.Equal(t, tc.code, status.Code(err), "%v", tc.req)
	}
}

func TestQueryIsAuthorisedErrors(t *testing.T) {
	f := newPopulatedFixture(t)
	for _, req := range []*types.QueryIsAuthorisedRequest{nil, {}, {Address: "nope"}} {
		_, err := f.querier.IsAuthorised(f.ctx, req)
		require.Equal(t, codes.InvalidArgument, status.Code(err))
	}
}
