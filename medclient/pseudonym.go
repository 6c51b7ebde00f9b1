package medclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/vault/gate"
	accesstypes "github.com/medchain/medchain/x/access/types"
	datanfttypes "github.com/medchain/medchain/x/datanft/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// PseudonymPath is where a hospital's vault vouches for pseudonyms.
const PseudonymPath = "/api/v1/pseudonym"

// DerivePseudonymKey derives pseudonym number n of the keyring key uid on
// the chain of clientCtx: an account key of its own, seeded by uid's
// signature of envelope.PseudonymText, so the mnemonic restores every
// pseudonym and nothing on chain ties one to uid.
func DerivePseudonymKey(ctx context.Context, clientCtx client.Context, uid string, n uint32) (*secp256k1.PrivKey, error) {
	addr, err := KeyAddress(clientCtx, uid)
	if err != nil {
		return nil, err
	}
	if clientCtx, err = EnsureChainID(ctx, clientCtx); err != nil {
		return nil, fmt.Errorf("deriving a pseudonym of %s, which is bound to its chain: %w", uid, err)
	}
	seed, err := envelope.DerivePseudonymSeed(clientCtx.ChainID, addr.String(), n, func(doc []byte) ([]byte, error) {
		sig, _, err := clientCtx.Keyring.Sign(uid, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
		return sig, err
	})
	if err != nil {
		return nil, err
	}
	return secp256k1.GenPrivKeyFromSecret(seed), nil
}

// PseudonymOf says whether a hospital vouched for addr.
func PseudonymOf(ctx context.Context, clientCtx client.Context, addr string) (datanfttypes.Pseudonym, bool, error) {
	resp, err := datanfttypes.NewQueryClient(clientCtx).Pseudonym(ctx, &datanfttypes.QueryPseudonymRequest{Address: addr})
	if err != nil {
		return datanfttypes.Pseudonym{}, false, err
	}
	return resp.Pseudonym, resp.Vouched, nil
}

// IssuingVault is the hospital that issued record (its issuer, or the
// issuing practitioner's organisation) and the vault URL it registered on
// chain, empty if none.
func IssuingVault(ctx context.Context, clientCtx client.Context, record recordstypes.Record) (hospital, vaultURL string, err error) {
	q := issuerstypes.NewQueryClient(clientCtx)
	org := record.Issuer
	if p, err := q.Practitioner(ctx, &issuerstypes.QueryPractitionerRequest{Address: record.Issuer}); err == nil {
		org = p.Practitioner.Organisation
	}
	i, err := q.Issuer(ctx, &issuerstypes.QueryIssuerRequest{Address: org})
	switch {
	case err != nil:
		return "", "", fmt.Errorf("record %d was not issued by a hospital (its issuer is %s): only a hospital can vouch for a pseudonym, so this record can be sold only as a derived copy", record.Id, record.Issuer)
	case i.Issuer.Kind != issuerstypes.IssuerKindHospital:
		return "", "", fmt.Errorf("record %d was issued by %s, which is not a hospital: only a hospital can vouch for a pseudonym, so this record can be sold only as a derived copy", record.Id, org)
	}
	return org, i.Issuer.VaultUrl, nil
}

// RequestPseudonym asks the vault of the hospital that issued the
// signer's record recordID (the URL it registered on chain, else
// fallbackVault, the vault the user named) to vouch for pseudonym, and
// waits (up to wait)
// until the chain shows the vouching. A pseudonym already vouched for is
// returned at once. The ticket the signer signs names the record and the
// pseudonym and goes only to that vault: the chain learns neither who
// asked nor for which record.
func RequestPseudonym(ctx context.Context, clientCtx client.Context, recordID uint64, pseudonym, fallbackVault string, wait time.Duration) (datanfttypes.Pseudonym, error) {
	if p, ok, err := PseudonymOf(ctx, clientCtx, pseudonym); err != nil {
		return p, err
	} else if ok {
		return p, nil
	}
	resp, err := recordstypes.NewQueryClient(clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return datanfttypes.Pseudonym{}, fmt.Errorf("record %d: %w", recordID, err)
	}
	hospital, vaultURL, err := IssuingVault(ctx, clientCtx, resp.Record)
	if err != nil {
		return datanfttypes.Pseudonym{}, err
	}
	if vaultURL == "" {
		if vaultURL = fallbackVault; vaultURL == "" {
			return datanfttypes.Pseudonym{}, fmt.Errorf("record %d was issued by %s, which registered no vault URL on chain: give its vault with --vault", recordID, hospital)
		}
	}
	header, err := PseudonymTicket(ctx, clientCtx, vaultURL, recordID, pseudonym)
	if err != nil {
		return datanfttypes.Pseudonym{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(vaultURL, "/")+PseudonymPath, bytes.NewReader(nil))
	if err != nil {
		return datanfttypes.Pseudonym{}, err
	}
	req.Header.Set(gate.Header, header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return datanfttypes.Pseudonym{}, fmt.Errorf("asking %s to vouch for %s: %w", vaultURL, pseudonym, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return datanfttypes.Pseudonym{}, fmt.Errorf("the vault %s would not vouch for %s: %s: %s", vaultURL, pseudonym, res.Status, strings.TrimSpace(string(body)))
	}
	var answer struct {
		TxHash string `json:"tx_hash"`
	}
	_ = json.Unmarshal(body, &answer)
	deadline := time.Now().Add(wait)
	for {
		p, ok, err := PseudonymOf(ctx, clientCtx, pseudonym)
		if err == nil && ok {
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("the vault sent the vouching for %s (transaction %s) but the chain does not show it after %s", pseudonym, answer.TxHash, wait)
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// PseudonymTicket signs, as the owner of record recordID, a ticket asking
// the vault at vaultURL to vouch for pseudonym.
func PseudonymTicket(ctx context.Context, clientCtx client.Context, vaultURL string, recordID uint64, pseudonym string) (string, error) {
	t, err := gate.NewTicket(gate.PurposePseudonym, recordID, "", clientCtx.FromAddress.String(), time.Minute)
	if err != nil {
		return "", err
	}
	t.Pseudonym = pseudonym
	return signFor(ctx, clientCtx, vaultURL, t)
}

// EnsureRegisteredKey registers the encryption key of the signer of
// clientCtx (derived from its key) unless it has one on chain already,
// and waits for the block.
func EnsureRegisteredKey(ctx context.Context, clientCtx client.Context, t *Tx, wait time.Duration) error {
	addr := clientCtx.FromAddress.String()
	if _, err := EncryptionKeyOf(ctx, clientCtx, addr); err == nil {
		return nil
	}
	kp, err := FromKeyPair(clientCtx)
	if err != nil {
		return err
	}
	_, err = t.BroadcastAndWait(ctx, wait, &accesstypes.MsgRegisterEncryptionKey{
		Owner: addr, Algorithm: accesstypes.KeyAlgorithmMLKEM768X25519, PublicKey: kp.PublicKey(),
	})
	if err != nil {
		return fmt.Errorf("registering the encryption key of %s: %w", addr, err)
	}
	return nil
}
