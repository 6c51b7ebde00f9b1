package medclient

import (
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/accessgate"
)

// Ticket signs a vault access-gate ticket with the --from key: purpose
// read (for cid, the payload of version of the record) or log, for
// recordID, valid for a minute. A vault without a gate ignores it.
func Ticket(clientCtx client.Context, purpose string, recordID, version uint64, cid string) (string, error) {
	t, err := accessgate.NewTicket(purpose, recordID, cid, clientCtx.FromAddress.String(), time.Minute)
	if err != nil {
		return "", err
	}
	t.Version = version
	return accessgate.Sign(t, func(doc []byte) ([]byte, []byte, error) {
		sig, pub, err := clientCtx.Keyring.Sign(clientCtx.FromName, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		if err != nil {
			return nil, nil, err
		}
		return sig, pub.Bytes(), nil
	})
}
