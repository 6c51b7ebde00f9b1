package types

import (
	"fmt"

	"github.com/medchain/medchain/signdata"
)

// ReceiptPubKeySize is the size of a compressed secp256k1 public key, the
// only key a receipt may carry.
const ReceiptPubKeySize = 33

// receiptPurpose starts every receipt's signed text, so that no other
// signature a hospital makes (a ticket, an enrolment) can pass for one.
const receiptPurpose = "medchain upload receipt v1"

// ReceiptText is the text a hospital's vault signs to vouch that uploader
// sent it every block of the DAG under cid, on the chain chainID. It names
// the chain, so a receipt from a test network is worthless on another.
func ReceiptText(chainID, uploader, cid string) []byte {
	return fmt.Appendf(nil, "%s\nchain-id: %s\nuploader: %s\ncid: %s\n", receiptPurpose, chainID, uploader, cid)
}

// ReceiptSignBytes is what the hospital's key signs for a receipt: the
// ADR-036 document of ReceiptText with the hospital as signer, as
// keyring.Sign with SIGN_MODE_LEGACY_AMINO_JSON (and the chain's check)
// expects it.
func ReceiptSignBytes(chainID, hospital, uploader, cid string) []byte {
	return signdata.Doc(hospital, ReceiptText(chainID, uploader, cid))
}
