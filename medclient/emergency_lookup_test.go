package medclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

// accessQuery answers Query/EmergencyAccess and Query/Recovery from maps.
type accessQuery struct {
	accesstypes.UnimplementedQueryServer
	accesses   map[uint64]*accesstypes.QueryEmergencyAccessResponse
	recoveries map[uint64]accesstypes.Recovery
}

func (q *accessQuery) EmergencyAccess(_ context.Context, req *accesstypes.QueryEmergencyAccessRequest) (*accesstypes.QueryEmergencyAccessResponse, error) {
	if a, ok := q.accesses[req.Id]; ok {
		return a, nil
	}
	return nil, status.Errorf(codes.NotFound, "emergency access %d not found", req.Id)
}

func (q *accessQuery) Recovery(_ context.Context, req *accesstypes.QueryRecoveryRequest) (*accesstypes.QueryRecoveryResponse, error) {
	if r, ok := q.recoveries[req.Id]; ok {
		return &accesstypes.QueryRecoveryResponse{Recovery: r}, nil
	}
	return nil, status.Errorf(codes.NotFound, "recovery %d not found", req.Id)
}

// TestCustodianLookupsRefuseWhatIsOver: a custodian releasing by hand is
// told, before any share is opened, that an access's window has closed or
// that a recovery is no longer pending (completed, cancelled or lapsed),
// as the chain would refuse it.
func TestCustodianLookupsRefuseWhatIsOver(t *testing.T) {
	closedAt := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	q := &accessQuery{
		accesses: map[uint64]*accesstypes.QueryEmergencyAccessResponse{
			4: {Access: accesstypes.EmergencyAccess{Id: 4, ExpiresAt: closedAt}, Open: false},
		},
		recoveries: map[uint64]accesstypes.Recovery{
			1: {Id: 1, Status: accesstypes.RecoveryStatusCompleted, ExpiresAt: time.Now().Add(time.Hour)},
			2: {Id: 2, Status: accesstypes.RecoveryStatusPending, ExpiresAt: time.Now().Add(-time.Minute)},
		},
	}
	clientCtx := grpcContext(t, func(srv *grpc.Server) { accesstypes.RegisterQueryServer(srv, q) })
	ctx := context.Background()

	_, err := medclient.ReleaseShareFor(ctx, clientCtx, nil, "med1custodian", 4)
	require.ErrorContains(t, err, "emergency access 4 closed at 2026-03-01 09:00:00 +0000 UTC: no share is released after its window")
	_, err = medclient.ReleaseShareFor(ctx, clientCtx, nil, "med1custodian", 5)
	require.ErrorContains(t, err, "emergency access 5 not found")

	_, err = medclient.ApproveRecoveryFor(ctx, clientCtx, nil, "med1custodian", 1)
	require.ErrorContains(t, err, "recovery 1 is RECOVERY_STATUS_COMPLETED")
	require.ErrorContains(t, err, "there is nothing to approve")
	_, err = medclient.ApproveRecoveryFor(ctx, clientCtx, nil, "med1custodian", 2)
	require.ErrorContains(t, err, "recovery 2 is RECOVERY_STATUS_PENDING (lapsing at", "a pending recovery past its lapse")
	_, err = medclient.ApproveRecoveryFor(ctx, clientCtx, nil, "med1custodian", 3)
	require.ErrorContains(t, err, "recovery 3 not found")
}
