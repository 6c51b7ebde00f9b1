// Package receipts plays a hospital vault's part in keeper tests: it
// signs upload receipts (x/records types.UploadReceipt) with a fixed
// secp256k1 key, as a vault does once an account's upload is stored, and
// wraps msg servers so that messages a test builds without a receipt get
// the one their signer's upload would have earned.
//
// Tests about the receipts themselves use the unwrapped msg servers.
package receipts

import (
	"context"

	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Vault is a hospital's signing key for receipts.
type Vault struct {
	Key *secp256k1.PrivKey
	// Address is the hospital's bech32 ("med") address: Key's.
	Address string
}

// NewVault is the vault of a hospital whose key is derived from secret:
// the same secret always gives the same key and address.
func NewVault(secret string) Vault {
	key := secp256k1.GenPrivKeyFromSecret([]byte(secret))
	return Vault{Key: key, Address: sdk.MustBech32ifyAddressBytes("med", key.PubKey().Address())}
}

// Receipt is the receipt this vault signs for uploader's upload of cid on
// chainID.
func (v Vault) Receipt(chainID, uploader, cid string) *recordstypes.UploadReceipt {
	sig, err := v.Key.Sign(recordstypes.ReceiptSignBytes(chainID, v.Address, uploader, cid))
	if err != nil {
		panic(err) // secp256k1 signing of any message: cannot fail
	}
	return &recordstypes.UploadReceipt{Hospital: v.Address, PubKey: v.Key.PubKey().Bytes(), Signature: sig}
}

func chainID(ctx context.Context) string { return sdk.UnwrapSDKContext(ctx).ChainID() }

// canonical is what a vault would name: the canonical form of an address
// and of a CID (the chain checks receipts against those), or s itself if
// it is neither, so that the keeper reports what is wrong with it.
func canonical(s string) string {
	if c, err := cid.Decode(s); err == nil {
		return c.String()
	}
	if bz, err := sdk.GetFromBech32(s, "med"); err == nil {
		return sdk.MustBech32ifyAddressBytes("med", bz)
	}
	return s
}

// For is the receipt the vault gives uploader for cid, both spelt as the
// message spells them, on the chain of ctx.
func (v Vault) For(ctx context.Context, uploader, c string) *recordstypes.UploadReceipt {
	return v.Receipt(chainID(ctx), canonical(uploader), canonical(c))
}

// RecordsMsgServer fills in, for CreateRecord and AddVersion messages that
// carry no receipt, the receipt v gives their creator for their CID.
type RecordsMsgServer struct {
	recordstypes.MsgServer
	Vault Vault
}

// CreateRecord implements recordstypes.MsgServer.
func (s RecordsMsgServer) CreateRecord(ctx context.Context, msg *recordstypes.MsgCreateRecord) (*recordstypes.MsgCreateRecordResponse, error) {
	if msg.Receipt == nil {
		m := *msg
		m.Receipt = s.Vault.For(ctx, msg.Creator, msg.Cid)
		msg = &m
	}
	return s.MsgServer.CreateRecord(ctx, msg)
}

// AddVersion implements recordstypes.MsgServer.
func (s RecordsMsgServer) AddVersion(ctx context.Context, msg *recordstypes.MsgAddVersion) (*recordstypes.MsgAddVersionResponse, error) {
	if msg.Receipt == nil {
		m := *msg
		m.Receipt = s.Vault.For(ctx, msg.Creator, msg.Cid)
		msg = &m
	}
	return s.MsgServer.AddVersion(ctx, msg)
}

// AccessMsgServer fills in, for each rotation of a RevokeAccess that
// carries no receipt, the receipt v gives the owner for its CID.
type AccessMsgServer struct {
	accesstypes.MsgServer
	Vault Vault
}

// RevokeAccess implements accesstypes.MsgServer.
func (s AccessMsgServer) RevokeAccess(ctx context.Context, msg *accesstypes.MsgRevokeAccess) (*accesstypes.MsgRevokeAccessResponse, error) {
	m := *msg
	if msg.Rotations != nil {
		m.Rotations = make([]accesstypes.Rotation, len(msg.Rotations))
	}
	for i, rot := range msg.Rotations {
		if rot.Receipt == nil {
			rot.Receipt = s.Vault.For(ctx, msg.Owner, rot.Cid)
		}
		m.Rotations[i] = rot
	}
	return s.MsgServer.RevokeAccess(ctx, &m)
}
