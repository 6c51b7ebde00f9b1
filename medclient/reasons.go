package medclient

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

// SealRequestReason checks reason against the chain's own length limit
// (the chain sees only ciphertext, so the client says what is wrong with
// the text) and seals it to the patient's (msg.Owner's) current key,
// bound to the chain, the requester and the patient, into
// msg.SealedReason.
func SealRequestReason(ctx context.Context, clientCtx client.Context, msg *accesstypes.MsgRequestAccess, reason string) error {
	params, err := accesstypes.NewQueryClient(clientCtx).Params(ctx, &accesstypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("the access params: %w", err)
	}
	if err := accesstypes.ValidateReason(reason, params.Params.MaxReasonLength); err != nil {
		return err
	}
	key, err := EncryptionKeyOf(ctx, clientCtx, msg.Owner)
	if err != nil {
		return fmt.Errorf("the reason is sealed to the patient's key: %w; or send the request without --reason", err)
	}
	msg.SealedReason, err = envelope.SealReason(key.PublicKey, reason, reasonBinding(clientCtx.ChainID, msg.Requester, msg.Owner))
	return err
}

func reasonBinding(chainID, requester, owner string) envelope.ReasonBinding {
	return envelope.ReasonBinding{ChainID: chainID, Requester: requester, Owner: owner}
}

// OpenRequestReason is a request's reason as the signer (kp, clientCtx's
// --from) sees it: the text for the patient it was sealed to, Sealed for
// everyone else, "" when there is none. Text the client would never seal
// (control characters a requester hid in it) comes back quoted, so that it
// never reaches the patient's terminal as is.
func OpenRequestReason(clientCtx client.Context, kp *envelope.KeyPair, r accesstypes.AccessRequest) string {
	if len(r.SealedReason) == 0 {
		return ""
	}
	if kp == nil || r.Owner != clientCtx.FromAddress.String() {
		return Sealed
	}
	text, err := envelope.OpenReason(kp, r.SealedReason, reasonBinding(clientCtx.ChainID, r.Requester, r.Owner))
	if err != nil {
		return Sealed
	}
	if accesstypes.ValidateReason(text, accesstypes.MaxReasonLengthCap) != nil {
		return strconv.Quote(text)
	}
	return text
}
