// Package accessgate is the vault's access gate: a read of a record's
// payload must carry a ticket signed by the reader's account key (record
// id, version, CID, expiry, nonce); the gate verifies the signature, asks the chain
// whether the reader may read the record (through a trusted local node or
// a light client that verifies every answer), serves only on allow, and
// appends every decision to a log the record's owner can read.
package accessgate

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
)

// Header is the HTTP header a ticket travels in.
const Header = "X-Medchain-Ticket"

// Purposes of a ticket.
const (
	PurposeRead = "read" // fetch a record's payload
	PurposeLog  = "log"  // the owner reads the record's access log
	// PurposeReplica is a hospital's vault fetching a live payload placed
	// on it: the reader is the hospital, the ticket names the CID only.
	PurposeReplica = "replica"
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

const ticketType = "medchain-vault-ticket/v1"

// Signed is a ticket with the reader's public key and ADR-036 signature.
type Signed struct {
	Ticket    []byte `json:"ticket"` // the JSON that was signed
	PubKey    []byte `json:"pub_key"`
	Signature []byte `json:"signature"`
}

// NewTicket makes a ticket for reader, valid for lifetime.
func NewTicket(purpose string, recordID uint64, cid, reader string, lifetime time.Duration) (Ticket, error) {
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return Ticket{}, err
	}
	return Ticket{Type: ticketType, Purpose: purpose, RecordID: recordID, CID: cid, Reader: reader,
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

// Errors of ticket verification.
var (
	ErrNoTicket  = errors.New("no ticket: reads from this vault must carry a signed ticket (" + Header + ")")
	ErrBadTicket = errors.New("bad ticket")
)

// Verify parses a header value and checks the signature, that the key is
// the reader's, the type, and the expiry against now. It does not check
// replay (see Nonces) or permission.
func Verify(header string, now time.Time) (Ticket, error) {
	var t Ticket
	if header == "" {
		return t, ErrNoTicket
	}
	if len(header) > MaxTicketHeader {
		return t, fmt.Errorf("%w: %d bytes; a ticket is at most %d", ErrBadTicket, len(header), MaxTicketHeader)
	}
	raw, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return t, fmt.Errorf("%w: not base64: %v", ErrBadTicket, err)
	}
	var s Signed
	if err := json.Unmarshal(raw, &s); err != nil {
		return t, fmt.Errorf("%w: %v", ErrBadTicket, err)
	}
	if err := json.Unmarshal(s.Ticket, &t); err != nil {
		return t, fmt.Errorf("%w: %v", ErrBadTicket, err)
	}
	if t.Type != ticketType {
		return t, fmt.Errorf("%w: type %q", ErrBadTicket, t.Type)
	}
	if len(t.Nonce) != 2*NonceSize {
		return t, fmt.Errorf("%w: %v", ErrBadTicket, errBadNonceHex)
	}
	if len(s.PubKey) != secp256k1.PubKeySize {
		return t, fmt.Errorf("%w: the public key is not a compressed secp256k1 key", ErrBadTicket)
	}
	pub := &secp256k1.PubKey{Key: s.PubKey}
	reader, err := sdk.AccAddressFromBech32(t.Reader)
	if err != nil {
		return t, fmt.Errorf("%w: reader %q: %v", ErrBadTicket, t.Reader, err)
	}
	if !sdk.AccAddress(pub.Address()).Equals(reader) {
		return t, fmt.Errorf("%w: signed by another key than %s's", ErrBadTicket, t.Reader)
	}
	if !pub.VerifySignature(envelope.SignDataDoc(t.Reader, s.Ticket), s.Signature) {
		return t, fmt.Errorf("%w: the signature does not verify", ErrBadTicket)
	}
	exp := time.Unix(t.Expires, 0)
	switch {
	case !now.Before(exp):
		return t, fmt.Errorf("%w: expired at %s", ErrBadTicket, exp.UTC().Format(time.RFC3339))
	case exp.Sub(now) > MaxTicketLifetime:
		return t, fmt.Errorf("%w: expires more than %s ahead", ErrBadTicket, MaxTicketLifetime)
	}
	return t, nil
}
