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
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// policyQuery answers the queries NewRecordReaders and RemainingReaders
// make: an owner's emergency policy, grants (none) and current keys.
type policyQuery struct {
	accesstypes.UnimplementedQueryServer
	policies map[string]accesstypes.EmergencyPolicy
}

func (q *policyQuery) EmergencyPolicy(_ context.Context, req *accesstypes.QueryEmergencyPolicyRequest) (*accesstypes.QueryEmergencyPolicyResponse, error) {
	if p, ok := q.policies[req.Patient]; ok {
		return &accesstypes.QueryEmergencyPolicyResponse{Policy: p}, nil
	}
	return nil, status.Errorf(codes.NotFound, "%s has no emergency policy", req.Patient)
}

func (q *policyQuery) GrantsByOwner(context.Context, *accesstypes.QueryGrantsByOwnerRequest) (*accesstypes.QueryGrantsByOwnerResponse, error) {
	return &accesstypes.QueryGrantsByOwnerResponse{}, nil
}

func (q *policyQuery) GrantsByRecord(context.Context, *accesstypes.QueryGrantsByRecordRequest) (*accesstypes.QueryGrantsByRecordResponse, error) {
	return &accesstypes.QueryGrantsByRecordResponse{}, nil
}

func (q *policyQuery) EncryptionKey(_ context.Context, req *accesstypes.QueryEncryptionKeyRequest) (*accesstypes.QueryEncryptionKeyResponse, error) {
	return &accesstypes.QueryEncryptionKeyResponse{Key: accesstypes.EncryptionKey{Owner: req.Address, KeyId: "key-of-" + req.Address}}, nil
}

func keyOwners(keys []accesstypes.EncryptionKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Owner
	}
	return out
}

// TestSpentPolicyGetsNoWraps: the client wraps new records and rotations
// to the owner's emergency reader while the policy is unspent, and leaves
// it out once a break-glass has spent the key (the chain refuses such a
// wrap), saying that the owner must renew the policy.
func TestSpentPolicyGetsNoWraps(t *testing.T) {
	spentAt := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	q := &policyQuery{policies: map[string]accesstypes.EmergencyPolicy{
		"med1alice": {Patient: "med1alice", EmergencyReader: "med1alice-reader", KeyId: "k1"},
		"med1bob":   {Patient: "med1bob", EmergencyReader: "med1bob-reader", KeyId: "k2", SpentAt: &spentAt, SpentBy: 7},
	}}
	clientCtx := grpcContext(t, func(srv *grpc.Server) { accesstypes.RegisterQueryServer(srv, q) })
	ctx := context.Background()

	keys, err := medclient.NewRecordReaders(ctx, clientCtx, "med1alice", recordstypes.RecordKindDICOM)
	require.NoError(t, err)
	require.Equal(t, []string{"med1alice", "med1alice-reader"}, keyOwners(keys))
	keys, err = medclient.NewRecordReaders(ctx, clientCtx, "med1bob", recordstypes.RecordKindDICOM)
	require.NoError(t, err)
	require.Equal(t, []string{"med1bob"}, keyOwners(keys), "no wrap to a spent emergency key")
	keys, err = medclient.RemainingReaders(ctx, clientCtx, recordstypes.Record{Id: 3, Owner: "med1bob"}, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"med1bob"}, keyOwners(keys))

	notice, err := medclient.SpentEmergencyNotice(ctx, clientCtx, "med1alice")
	require.NoError(t, err)
	require.Empty(t, notice)
	notice, err = medclient.SpentEmergencyNotice(ctx, clientCtx, "med1carol")
	require.NoError(t, err)
	require.Empty(t, notice, "no policy, nothing to renew")
	notice, err = medclient.SpentEmergencyNotice(ctx, clientCtx, "med1bob")
	require.NoError(t, err)
	require.Contains(t, notice, "the emergency key of med1bob was used by emergency access 7 on 2026-03-01T09:30:00Z")
	require.Contains(t, notice, "medchaind tx access set-emergency-policy")
}
