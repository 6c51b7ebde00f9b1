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
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/vault/gate"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// nodeHospitalKeyring is the node's open keyring holding the hospital's
// account key, opened (and its passphrase read) once per start: the
// custodian's when one runs beside the vault, else opened and checked
// here. It is nil when the vault has no hospital-key.
func nodeHospitalKeyring(cfg Config, home string, custodian *Custodian, log Logger) (keyring.Keyring, error) {
	switch {
	case cfg.HospitalKey == "":
		return nil, nil
	case custodian != nil:
		return custodian.clientCtx.Keyring, nil
	}
	ir := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(ir)
	kr, _, err := hospitalKeyring(cfg, home, codec.NewProtoCodec(ir), log)
	return kr, err
}

// replicaTicketer signs replica tickets with the hospital's account key
// in kr (nodeHospitalKeyring), bound to a chain and a vault. It returns
// nil if kr is.
func replicaTicketer(cfg Config, kr keyring.Keyring) func(chainID, vaultID string, c cid.Cid) (string, error) {
	if kr == nil {
		return nil
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
	}
}

// receiptSigner signs upload receipts with the hospital's account key in
// kr (nodeHospitalKeyring; see x/records types.ReceiptSignBytes): the
// chain lets a record claim a CID only with the receipt of an ACTIVE
// hospital's vault naming the account that signs the claim. It returns
// nil if kr is.
func receiptSigner(cfg Config, kr keyring.Keyring) (func(chainID, uploader, root string) (*vault.Receipt, error), error) {
	if kr == nil {
		return nil, nil
	}
	rec, err := kr.Key(cfg.HospitalKey)
	if err != nil {
		return nil, fmt.Errorf("[vault] hospital-key %q: %w", cfg.HospitalKey, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	// The chain checks the signature over the canonical address.
	hospital := addr.String()
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
