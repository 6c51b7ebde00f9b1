package medclient_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

// TestOpenRequestReason: the patient reads the reason sealed to them;
// another signer, a request of another chain or another requester sees
// "(sealed)"; text a client would never seal comes back quoted.
func TestOpenRequestReason(t *testing.T) {
	patient, doctor := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)), sdk.AccAddress(bytes.Repeat([]byte{2}, 20))
	sign := func(b []byte) ([]byte, error) { return append([]byte("signature of "), b...), nil }
	kp, err := envelope.DeriveKeyPair("medchain-test-1", patient.String(), sign)
	require.NoError(t, err)
	seal := func(chainID, requester, text string) accesstypes.AccessRequest {
		sealed, err := envelope.SealReason(kp.PublicKey(), text,
			envelope.ReasonBinding{ChainID: chainID, Requester: requester, Owner: patient.String()})
		require.NoError(t, err)
		return accesstypes.AccessRequest{Owner: patient.String(), Requester: doctor.String(), SealedReason: sealed}
	}
	asPatient := client.Context{ChainID: "medchain-1"}.WithFromAddress(patient)
	asDoctor := client.Context{ChainID: "medchain-1"}.WithFromAddress(doctor)

	r := seal("medchain-1", doctor.String(), "follow-up of the knee MRI")
	require.Equal(t, "follow-up of the knee MRI", medclient.OpenRequestReason(asPatient, kp, r))
	require.Equal(t, medclient.Sealed, medclient.OpenRequestReason(asDoctor, kp, r), "only the patient reads it")
	require.Equal(t, medclient.Sealed, medclient.OpenRequestReason(asPatient, nil, r), "no key pair")
	require.Equal(t, medclient.Sealed, medclient.OpenRequestReason(asPatient, kp, seal("other-chain", doctor.String(), "x")))
	require.Equal(t, medclient.Sealed, medclient.OpenRequestReason(asPatient, kp, seal("medchain-1", patient.String(), "x")),
		"sealed for another requester")
	require.Equal(t, `"call me\x1b[2J"`, medclient.OpenRequestReason(asPatient, kp, seal("medchain-1", doctor.String(), "call me\x1b[2J")))
	require.Empty(t, medclient.OpenRequestReason(asPatient, kp, accesstypes.AccessRequest{Owner: patient.String()}))
}
