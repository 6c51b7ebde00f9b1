package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// TestConsentLifecycle walks the main path once: a hospital writes for a
// patient who granted it WRITE, the patient grants a doctor READ, the
// doctor opens the wrap, the patient revokes with a rotation and the doctor
// is out while the remaining reader opens the new epoch's wrap.
func TestConsentLifecycle(t *testing.T) {
	f := newFixture(t)
	f.grantWrite(t, f.patient, f.hospital)
	id := f.createRecord(t, f.doctor, f.patient, recordstypes.RecordKindDICOM)

	g1 := f.grantRead(t, f.patient, f.doctor, id, nil)
	f.grantRead(t, f.patient, f.researcher, id, nil)
	resp := f.check(t, id, f.doctor, types.PermissionRead)
	require.True(t, resp.Allowed, resp.Reason)
	require.Equal(t, g1, resp.Grant.Id)
	require.Equal(t, recordKey(id, 0), f.open(t, resp.Wrap, f.doctor))

	_, err := f.msgServer.RevokeAccess(f.freshCtx(), &types.MsgRevokeAccess{
		Owner: f.patient, GrantId: g1,
		Rotations: []types.Rotation{{
			RecordId: id, Cid: testCID("re-encrypted"), SizeBytes: 4096,
			Wraps: []recordstypes.KeyWrap{f.seal(t, id, 1, f.patient), f.seal(t, id, 1, f.researcher)},
		}},
	})
	require.NoError(t, err)

	resp = f.check(t, id, f.doctor, types.PermissionRead)
	require.False(t, resp.Allowed)
	require.Nil(t, resp.Wrap)
	resp = f.check(t, id, f.researcher, types.PermissionRead)
	require.True(t, resp.Allowed)
	require.Equal(t, uint64(1), resp.KeyEpoch)
	require.Equal(t, recordKey(id, 1), f.open(t, resp.Wrap, f.researcher))
}
