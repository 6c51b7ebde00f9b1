package medclient

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient/deid"
)

// DeriveKeyPair derives the encryption key pair of the keyring key uid on
// clientCtx's chain: the key signs medchain's domain-separated text naming
// that chain (envelope.DerivationText) as an ADR-036 arbitrary-data
// document (amino JSON, which Ledger and browser wallets also sign), and
// the signature seeds the HPKE key pair. The same mnemonic gives the same
// key pair on any machine; there is no second secret.
//
// The pair also opens what is still sealed to the account's legacy key
// (the chain-unbound derivation of releases up to v0.4.0): that key is
// derived, with a second signature, only when something names it.
func DeriveKeyPair(clientCtx client.Context, uid string) (*envelope.KeyPair, error) {
	addr, err := KeyAddress(clientCtx, uid)
	if err != nil {
		return nil, err
	}
	bech, err := clientCtx.InterfaceRegistry.SigningContext().AddressCodec().BytesToString(addr)
	if err != nil {
		return nil, err
	}
	sign := func(doc []byte) ([]byte, error) {
		sig, _, err := clientCtx.Keyring.Sign(uid, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		return sig, err
	}
	// The key is bound to the chain: ask the node for its id if neither
	// --chain-id nor client.toml gave it.
	clientCtx, err = EnsureChainID(context.Background(), clientCtx)
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key of %s, which is bound to its chain: %w", uid, err)
	}
	kp, err := envelope.DeriveKeyPair(clientCtx.ChainID, bech, sign)
	if err != nil {
		return nil, err
	}
	return kp.WithEarlier(func() ([]*envelope.KeyPair, error) {
		legacy, err := envelope.DeriveLegacyKeyPair(bech, sign)
		if err != nil {
			return nil, err
		}
		return []*envelope.KeyPair{legacy}, nil
	}), nil
}

// DeriveSecret derives a 32-byte secret for purpose from the keyring key
// uid, as DeriveKeyPair does: the key signs a fixed, purpose-named message
// as an ADR-036 document (deterministic for secp256k1) and the secret is
// the SHA-256 of the signature. The same mnemonic gives the same secret.
// De-identification keys its UID remapping with it, so every study of a
// patient maps consistently and nobody without the key can reverse it.
func DeriveSecret(clientCtx client.Context, uid, purpose string) ([]byte, error) {
	if clientCtx.Keyring == nil {
		return nil, fmt.Errorf("no keyring: give --keyring-backend and --home")
	}
	record, err := clientCtx.Keyring.Key(uid)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", uid, err)
	}
	addr, err := record.GetAddress()
	if err != nil {
		return nil, err
	}
	bech, err := clientCtx.InterfaceRegistry.SigningContext().AddressCodec().BytesToString(addr)
	if err != nil {
		return nil, err
	}
	doc := envelope.SignDataDoc(bech, []byte("medchain "+purpose+" secret v1"))
	sig, _, err := clientCtx.Keyring.Sign(uid, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(sig)
	return sum[:], nil
}

// FromKeyPair derives the key pair of the transaction signer (--from).
func FromKeyPair(clientCtx client.Context) (*envelope.KeyPair, error) {
	if clientCtx.FromName == "" {
		return nil, fmt.Errorf("--from is required: the key whose encryption key is used")
	}
	return DeriveKeyPair(clientCtx, clientCtx.FromName)
}

// DateShiftDays is the number of days (negative) by which de-identified
// copies of uid's records move their dates: derived from the keyring key,
// so it is the same for all the patient's records and nobody without the
// key can learn it (deid.ShiftDays).
func DateShiftDays(clientCtx client.Context, uid string) (int, error) {
	secret, err := DeriveSecret(clientCtx, uid, "deid date shift")
	if err != nil {
		return 0, err
	}
	return deid.ShiftDays(secret)
}

// KeyAddress is the address of the keyring key uid.
func KeyAddress(clientCtx client.Context, uid string) (sdk.AccAddress, error) {
	if clientCtx.Keyring == nil {
		return nil, fmt.Errorf("no keyring: give --keyring-backend and --home")
	}
	record, err := clientCtx.Keyring.Key(uid)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", uid, err)
	}
	return record.GetAddress()
}
