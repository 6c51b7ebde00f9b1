package node

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// The receipt a vault signs is what the chain checks: the hospital's
// address and compressed key, and a signature of the receipt's sign bytes
// for exactly that chain, uploader and root.
func TestReceiptSignerSignsWhatTheChainChecks(t *testing.T) {
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	kr := keyring.NewInMemory(codec.NewProtoCodec(ir))
	rec, _, err := kr.NewMnemonic("st-mary", keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	require.NoError(t, err)
	addr, err := rec.GetAddress()
	require.NoError(t, err)

	sign, err := receiptSigner(Config{HospitalKey: "st-mary"}, kr)
	require.NoError(t, err)
	r, err := sign("medchain-1", "med1uploader", "bafkreiroot")
	require.NoError(t, err)
	require.Equal(t, addr.String(), r.Hospital)
	pub := &secp256k1.PubKey{Key: r.PubKey}
	require.Len(t, r.PubKey, recordstypes.ReceiptPubKeySize)
	require.True(t, sdk.AccAddress(pub.Address()).Equals(addr))
	require.True(t, pub.VerifySignature(recordstypes.ReceiptSignBytes("medchain-1", r.Hospital, "med1uploader", "bafkreiroot"), r.Signature))
	for _, other := range [][3]string{
		{"medchain-2", "med1uploader", "bafkreiroot"},
		{"medchain-1", "med1someone", "bafkreiroot"},
		{"medchain-1", "med1uploader", "bafkreiother"},
	} {
		require.False(t, pub.VerifySignature(recordstypes.ReceiptSignBytes(other[0], r.Hospital, other[1], other[2]), r.Signature), "%v", other)
	}

	none, err := receiptSigner(Config{}, nil)
	require.NoError(t, err)
	require.Nil(t, none, "no hospital key, no receipts")
}
