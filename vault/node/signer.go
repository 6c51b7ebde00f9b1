package node

import (
	"fmt"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// replicaTicketer signs replica tickets with the hospital's account key,
// bound to a chain and a vault: from kr if not nil (the custodian's, which
// hospitalKeyring opened and checked), else from the node's keyring.
func replicaTicketer(cfg Config, home string, kr keyring.Keyring, log Logger) (func(chainID, vaultID string, c cid.Cid) (string, error), error) {
	if cfg.HospitalKey == "" {
		return nil, nil
	}
	if kr == nil {
		ir := codectypes.NewInterfaceRegistry()
		cryptocodec.RegisterInterfaces(ir)
		var err error
		if kr, _, err = hospitalKeyring(cfg, home, codec.NewProtoCodec(ir), log); err != nil {
			return nil, err
		}
	}
	return func(chainID, vaultID string, c cid.Cid) (string, error) {
		t, err := gate.NewTicket(gate.PurposeReplica, 0, c.String(), cfg.Hospital, time.Minute)
		if err != nil {
			return "", err
		}
		t.ChainID, t.Vault = chainID, vaultID
		return gate.Sign(t, func(doc []byte) ([]byte, []byte, error) {
			sig, pub, err := kr.Sign(cfg.HospitalKey, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
			if err != nil {
				return nil, nil, err
			}
			return sig, pub.Bytes(), nil
		})
	}, nil
}

// receiptSigner signs upload receipts with the hospital's account key
// from the node's keyring (see x/records types.ReceiptSignBytes): the
// chain lets a record claim a CID only with the receipt of an ACTIVE
// hospital's vault naming the account that signs the claim. It returns
// nil if the vault has no hospital key.
func receiptSigner(cfg Config, home string) (func(chainID, uploader, root string) (*vault.Receipt, error), error) {
	if cfg.HospitalKey == "" {
		return nil, nil
	}
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	kr, addr, err := hospitalKeyring(cfg, home, codec.NewProtoCodec(ir))
	if err != nil {
		return nil, err
	}
	hospital, err := bech32.ConvertAndEncode(sdk.GetConfig().GetBech32AccountAddrPrefix(), addr)
	if err != nil {
		return nil, err
	}
	return func(chainID, uploader, root string) (*vault.Receipt, error) {
		sig, pub, err := kr.Sign(cfg.HospitalKey, recordstypes.ReceiptSignBytes(chainID, hospital, uploader, root), signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		if err != nil {
			return nil, err
		}
		return &vault.Receipt{Hospital: hospital, PubKey: pub.Bytes(), Signature: sig}, nil
	}, nil
}

// hospitalKeyring opens the node's keyring ([vault] keyring-backend, under
// home; the file keyring with the passphrase of keyring-passphrase-file)
// and checks that hospital-key is the key of [vault] hospital; it returns
// the keyring and the hospital's address. It refuses a passphrase file that
// is missing, empty, open to others or wrong, and warns when the key is
// stored unencrypted.
func hospitalKeyring(cfg Config, home string, cdc codec.Codec, log Logger) (keyring.Keyring, sdk.AccAddress, error) {
	kr, rec, err := openHospitalKey(cfg, home, cdc, log)
	if err != nil {
		return nil, nil, err
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, nil, err
	}
	want, err := cfg.HospitalAddress()
	if err != nil {
		return nil, nil, err
	}
	if !addr.Equals(sdk.AccAddress(want)) {
		return nil, nil, fmt.Errorf("[vault] hospital-key %q is the key of %x, not of the hospital %s", cfg.HospitalKey, addr.Bytes(), cfg.Hospital)
	}
	return kr, addr, nil
}
