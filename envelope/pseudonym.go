package envelope

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
)

// PseudonymText is what an account signs to derive its pseudonym number n
// on chainID: the seed of an account key that sells the patient's
// de-identified data with no public link to them. The same mnemonic
// always derives the same pseudonyms, so they need no backup of their own.
func PseudonymText(chainID string, n uint32) string {
	return "medchain pseudonym v1\n" +
		"chain: " + chainID + "\n" +
		"number: " + strconv.FormatUint(uint64(n), 10) + "\n" +
		"Signing this derives the key of one of your pseudonyms on " + chainID + ", which sells de-identified copies of your records " +
		"for you. Anyone who obtains this signature controls that pseudonym: sign it only in medchaind or your hospital's medchain portal."
}

// pseudonymInfo separates the HKDF output of pseudonym seeds.
const pseudonymInfo = "medchain/pseudonym/v1"

// DerivePseudonymSeed signs PseudonymText(chainID, n) as signerAddr (an
// ADR-036 document, like the encryption key) and returns 32 bytes of
// HKDF-SHA256 output: the secret of the pseudonym's secp256k1 account key
// (the caller turns it into one with the SDK's GenPrivKeyFromSecret).
// secp256k1 signatures are deterministic (RFC 6979), so the seed is too.
func DerivePseudonymSeed(chainID, signerAddr string, n uint32, sign Signer) ([]byte, error) {
	switch {
	case chainID == "":
		return nil, errors.New("deriving a pseudonym: the chain id is empty (give --chain-id): a pseudonym is bound to its chain")
	case signerAddr == "":
		return nil, errors.New("deriving a pseudonym: the signer address is empty")
	case sign == nil:
		return nil, errors.New("deriving a pseudonym: no signer")
	}
	sig, err := sign(SignDataDoc(signerAddr, []byte(PseudonymText(chainID, n))))
	if err != nil {
		return nil, fmt.Errorf("deriving a pseudonym: signing as %s: %w", signerAddr, err)
	}
	if len(sig) < minSignatureSize {
		return nil, fmt.Errorf("deriving a pseudonym: the signature of %s is %d bytes, at least %d expected: sign with a secp256k1 account key", signerAddr, len(sig), minSignatureSize)
	}
	return hkdf.Key(sha256.New, sig, nil, pseudonymInfo, 32)
}
