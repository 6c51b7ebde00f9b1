// Package tickets is the format of a vault ticket: what a reader signs
// (ADR-036 arbitrary data, with the account key) to read, upload or
// replicate through a vault's access gate. It has no chain dependency, so
// the browser portal (Go compiled to WebAssembly) makes tickets with the
// same code as the CLI; package gate (vault/gate) verifies them.
package tickets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/medchain/medchain/envelope"
)

// NonceSize is the size of a ticket nonce: 16 random bytes, 32 hex digits.
const NonceSize = 16

// ErrBadTicket is the error every malformed, misbound or forged ticket
// wraps.
var ErrBadTicket = errors.New("bad ticket")

// Header is the HTTP header a ticket travels in.
const Header = "X-Medchain-Ticket"

// Purposes of a ticket.
const (
	PurposeRead = "read" // fetch a record's payload
	PurposeLog  = "log"  // the owner reads the record's access log
	// PurposeReplica is a hospital's vault fetching a live payload placed
	// on it: the reader is the hospital, the ticket names the CID only.
	PurposeReplica = "replica"
	// PurposePseudonym is a record's owner asking the vault of the
	// hospital that issued it to vouch for a pseudonym (Ticket.Pseudonym).
	PurposePseudonym = "pseudonym"
	// PurposeArchive is a hospital copying a live payload into its
	// Filecoin archive: the ticket names the CID only, and the records
	// module's archive policy (and the owner's choice) must allow the
	// record to leave the vaults.
	PurposeArchive = "archive"
)

// MaxTicketHeader bounds the header a ticket travels in (a real one is
// about 600 bytes): anything larger is refused before it is decoded.
const MaxTicketHeader = 4096

// MaxTicketLifetime bounds how far ahead a ticket may expire.
const MaxTicketLifetime = 10 * time.Minute

// Ticket is what the reader signs.
type Ticket struct {
	Type     string `json:"type"` // always "medchain-vault-ticket/v1": never a key-derivation document
	Purpose  string `json:"purpose"`
	RecordID uint64 `json:"record_id"`
	Version  uint64 `json:"version,omitempty"` // the record version whose payload is read; 0: the current one
	CID      string `json:"cid,omitempty"`
	Reader   string `json:"reader"`
	Expires  int64  `json:"expires"` // unix seconds
	Nonce    string `json:"nonce"`   // NonceSize random bytes, hex
	// ChainID and Vault bind the ticket to one chain and one vault (its
	// vault_id, from GET /api/v1/status): a ticket is useless elsewhere.
	ChainID string `json:"chain_id,omitempty"`
	Vault   string `json:"vault,omitempty"`
	// Size is, for an upload, the most CAR bytes it will send.
	Size int64 `json:"size,omitempty"`
	// Practitioner, on a read ticket an organisation signs (a hospital's
	// DICOMweb bridge), names the practitioner it reads for. The gate
	// serves it only if the chain lets that practitioner read the record
	// through the signer's grant, and the owner's log names both.
	Practitioner string `json:"practitioner,omitempty"`
	// Pseudonym, on a pseudonym ticket, is the address the owner asks the
	// hospital to vouch for.
	Pseudonym string `json:"pseudonym,omitempty"`
}

// PurposeUpload is an account storing a payload in the vault.
const PurposeUpload = "upload"

// CheckBinding refuses a ticket made for another chain or another vault.
func (t Ticket) CheckBinding(chainID, vaultID string) error {
	switch {
	case chainID != "" && t.ChainID != chainID:
		return fmt.Errorf("%w: made for chain %q; this vault serves %q", ErrBadTicket, t.ChainID, chainID)
	case vaultID != "" && t.Vault != vaultID:
		return fmt.Errorf("%w: made for vault %q, not this one (%s); sign one for this vault", ErrBadTicket, t.Vault, vaultID)
	}
	return nil
}

// Type is every ticket's type: never a key-derivation document.
const Type = "medchain-vault-ticket/v1"

// Signed is a ticket with the reader's public key and ADR-036 signature.
type Signed struct {
	Ticket    []byte `json:"ticket"` // the JSON that was signed
	PubKey    []byte `json:"pub_key"`
	Signature []byte `json:"signature"`
}

// New makes a ticket for reader, valid for lifetime.
func New(purpose string, recordID uint64, cid, reader string, lifetime time.Duration) (Ticket, error) {
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return Ticket{}, err
	}
	return Ticket{Type: Type, Purpose: purpose, RecordID: recordID, CID: cid, Reader: reader,
		Expires: time.Now().Add(lifetime).Unix(), Nonce: hex.EncodeToString(nonce)}, nil
}

// Signer signs bytes with an account key: the keyring in the CLI.
type Signer func(doc []byte) (sig []byte, pubKey []byte, err error)

// Sign signs t (as ADR-036 arbitrary data, like every medchain off-chain
// signature) and returns the header value.
func Sign(t Ticket, sign Signer) (string, error) {
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	sig, pub, err := sign(envelope.SignDataDoc(t.Reader, body))
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(Signed{Ticket: body, PubKey: pub, Signature: sig})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
