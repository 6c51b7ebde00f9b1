package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/types"
)

// ReceiptVerifyGas is the gas a receipt check costs, what the ante handler
// charges for a secp256k1 signature.
const ReceiptVerifyGas = 1000

// checkUploadReceipt makes a CID claim stand on the bytes, not on the
// name: receipt must be an ACTIVE hospital's signature, on this chain,
// saying that uploader (the account whose message claims c) uploaded the
// DAG under c to its vault.
//
// Without it, anyone who sees a CID before it is registered (a validator
// or a fast peer reading the mempool) could register it under a record of
// their own first, and the owner's create, add-version or rotation would
// fail with ErrCIDInUse every time they tried again. A copier has no
// receipt of their own for c, since no honest vault signs one without
// receiving every block, and the owner's receipt names the owner.
//
// A transaction that is only simulated may leave the receipt out, so that
// clients can check a message before they upload anything; a receipt that
// is there is checked in every mode.
func (k Keeper) checkUploadReceipt(ctx context.Context, receipt *types.UploadReceipt, uploader string, c cid.Cid) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	sdkCtx.GasMeter().ConsumeGas(ReceiptVerifyGas, "records: upload receipt signature")
	if receipt == nil {
		if sdkCtx.ExecMode() == sdk.ExecModeSimulate {
			return nil
		}
		return errorsmod.Wrapf(types.ErrNoUploadReceipt,
			"claiming %s needs the receipt the vault returned when %s uploaded it: upload the payload to a hospital's vault "+
				"with an upload ticket and put the receipt in the message (medchaind and the portal do both)", c, uploader)
	}
	hospital, err := k.decodeAddress("receipt hospital", receipt.Hospital)
	if err != nil {
		return errorsmod.Wrap(types.ErrBadUploadReceipt, err.Error())
	}
	auth, err := k.issuers.IsAuthorised(ctx, hospital)
	if err != nil {
		return err
	}
	hospitalStr, err := k.addressCodec.BytesToString(hospital)
	if err != nil {
		return err
	}
	switch {
	case !auth.Authorised:
		return errorsmod.Wrapf(types.ErrBadUploadReceipt, "the receipt is signed by %s, which may not vouch for uploads: %s", receipt.Hospital, auth.Reason)
	case auth.Kind != issuerstypes.IssuerKindHospital || auth.Organisation != hospitalStr:
		return errorsmod.Wrapf(types.ErrBadUploadReceipt,
			"the receipt is signed by %s, which is not a hospital (only a hospital's vault stores uploads and signs receipts)", receipt.Hospital)
	}
	if len(receipt.PubKey) != types.ReceiptPubKeySize {
		return errorsmod.Wrapf(types.ErrBadUploadReceipt, "pub_key is %d bytes; a receipt carries a compressed secp256k1 key of %d bytes",
			len(receipt.PubKey), types.ReceiptPubKeySize)
	}
	pub := &secp256k1.PubKey{Key: receipt.PubKey}
	if !sdk.AccAddress(pub.Address()).Equals(sdk.AccAddress(hospital)) {
		return errorsmod.Wrapf(types.ErrBadUploadReceipt, "pub_key is not the key of %s", receipt.Hospital)
	}
	if !pub.VerifySignature(types.ReceiptSignBytes(sdkCtx.ChainID(), hospitalStr, uploader, c.String()), receipt.Signature) {
		return errorsmod.Wrapf(types.ErrBadUploadReceipt,
			"%s's signature does not vouch that %s uploaded %s on chain %q: a receipt is valid only for the account that uploaded the payload, "+
				"that exact CID and this chain", receipt.Hospital, uploader, c, sdkCtx.ChainID())
	}
	return nil
}
