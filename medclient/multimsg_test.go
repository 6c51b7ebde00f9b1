package medclient_test

import (
	"crypto/hpke"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/keepers"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// TestSplitEmergencyPolicyCompletesOnChain: a policy over 8 records cut
// with max_wraps_per_msg 3 is 3 messages, which the chain accepts in
// order and which leave the policy complete, every record wrapped; packed
// by size they go 2 to a transaction, in order.
func TestSplitEmergencyPolicyCompletesOnChain(t *testing.T) {
	c := keepers.New(t)
	params := accesstypes.DefaultParams()
	params.MaxWrapsPerMsg = 3
	_, err := c.AccessMsg.UpdateParams(events.Fresh(c.Ctx), &accesstypes.MsgUpdateParams{Authority: c.Authority, Params: params})
	require.NoError(t, err)
	var ids []uint64
	for range 8 {
		ids = append(ids, c.CreateRecord(t, c.Ctx, c.CreateMsg(t, c.Ctx, c.Patient, c.Patient, recordstypes.RecordKindFHIR)))
		c.Ctx = c.Ctx.WithBlockHeight(c.Ctx.BlockHeight() + 1)
	}

	// The policy as BuildEmergencyPolicy makes it: every record's wrap.
	secret := envelope.NewEmergencySecret()
	shares, commitments, err := secret.Split(2, 2)
	require.NoError(t, err)
	emergencyKey, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	patient, err := c.AddressCodec.StringToBytes(c.Patient)
	require.NoError(t, err)
	reader, err := c.AddressCodec.BytesToString(accesstypes.EmergencyReader(patient))
	require.NoError(t, err)
	c.Keys[reader] = emergencyKey
	msg := &accesstypes.MsgSetEmergencyPolicy{Patient: c.Patient, Threshold: 2, PublicKey: emergencyKey.PublicKey().Bytes(), Commitments: commitments}
	for i, custodian := range []string{c.Hospital, c.HospitalB} {
		pub := c.Keys[custodian].PublicKey().Bytes()
		ct, err := envelope.SealShare(pub, shares[i], envelope.ShareBinding{
			ChainID: "test", Patient: c.Patient, EmergencyKeyID: accesstypes.KeyID(msg.PublicKey), Custodian: custodian, Index: uint32(i + 1),
		}, false)
		require.NoError(t, err)
		msg.Shares = append(msg.Shares, accesstypes.SealedShare{Custodian: custodian, KeyId: accesstypes.KeyID(pub), Ciphertext: ct})
	}
	for _, id := range ids {
		msg.Wraps = append(msg.Wraps, c.Seal(t, id, 0, reader))
	}

	msgs := medclient.SplitEmergencyPolicy(msg, 3)
	require.Len(t, msgs, 3)
	require.Len(t, msg.Wraps, 8, "the message it was cut from is left whole")
	for i, m := range msgs {
		switch m := m.(type) {
		case *accesstypes.MsgSetEmergencyPolicy:
			require.Zero(t, i)
			resp, err := c.AccessMsg.SetEmergencyPolicy(events.Fresh(c.Ctx), m)
			require.NoError(t, err)
			require.False(t, resp.Complete)
		case *accesstypes.MsgAddEmergencyWraps:
			require.NotZero(t, i)
			resp, err := c.AccessMsg.AddEmergencyWraps(events.Fresh(c.Ctx), m)
			require.NoError(t, err)
			require.Equal(t, i == 2, resp.Complete)
		default:
			t.Fatalf("message %d is a %T", i, m)
		}
	}
	policy, err := c.Access.EmergencyPolicies.Get(c.Ctx, patient)
	require.NoError(t, err)
	require.False(t, policy.Completing)

	// Two messages of 3 wraps fit in a budget of 7 wraps, the third not.
	txs, err := medclient.PackInOrder(msgs, func(candidate []sdk.Msg) (bool, error) {
		return wrapsIn(candidate) <= 7, nil
	})
	require.NoError(t, err)
	require.Equal(t, [][]sdk.Msg{msgs[:2], msgs[2:]}, txs)
	// A message over the budget alone still goes, alone.
	txs, err = medclient.PackInOrder(msgs, func([]sdk.Msg) (bool, error) { return false, nil })
	require.NoError(t, err)
	require.Len(t, txs, 3)
}

func wrapsIn(msgs []sdk.Msg) int {
	n := 0
	for _, m := range msgs {
		switch m := m.(type) {
		case *accesstypes.MsgSetEmergencyPolicy:
			n += len(m.Wraps)
		case *accesstypes.MsgAddEmergencyWraps:
			n += len(m.Wraps)
		}
	}
	return n
}

// TestSplitRecovery: a completion is cut in record-id order into messages
// of at most max_wraps_per_msg entries; with no ACTIVE record left it is
// one empty message, which moves the redacted ones and ends the recovery.
func TestSplitRecovery(t *testing.T) {
	msg := &accesstypes.MsgCompleteRecovery{NewOwner: "med1new", RecoveryId: 4}
	for id := uint64(1); id <= 7; id++ {
		msg.Records = append(msg.Records, accesstypes.RecoveredRecord{RecordId: id})
	}
	msgs := medclient.SplitRecovery(msg, 3)
	require.Len(t, msgs, 3)
	var order []uint64
	for _, m := range msgs {
		c := m.(*accesstypes.MsgCompleteRecovery)
		require.Equal(t, "med1new", c.NewOwner)
		require.Equal(t, uint64(4), c.RecoveryId)
		require.LessOrEqual(t, len(c.Records), 3)
		for _, r := range c.Records {
			order = append(order, r.RecordId)
		}
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, order)
	empty := medclient.SplitRecovery(&accesstypes.MsgCompleteRecovery{NewOwner: "med1new", RecoveryId: 4}, 3)
	require.Len(t, empty, 1)
	require.Empty(t, empty[0].(*accesstypes.MsgCompleteRecovery).Records)
}
