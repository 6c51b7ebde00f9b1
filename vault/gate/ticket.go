// Package gate is the vault's access gate: a read of a record's
// payload must carry a ticket signed by the reader's account key (record
// id, version, CID, expiry, nonce); the gate verifies the signature, asks the chain
// whether the reader may read the record (through a trusted local node or
// a light client that verifies every answer), serves only on allow, and
// appends every decision to a log the record's owner can read.
package gate

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/vault/gate/tickets"
)

// The ticket format lives in package tickets, which the browser portal
// also compiles; these names keep the gate's callers unchanged.
type (
	Ticket = tickets.Ticket
	Signed = tickets.Signed
	Signer = tickets.Signer
)

const (
	Header            = tickets.Header
	PurposeRead       = tickets.PurposeRead
	PurposeLog        = tickets.PurposeLog
	PurposeReplica    = tickets.PurposeReplica
	PurposeUpload     = tickets.PurposeUpload
	PurposePseudonym  = tickets.PurposePseudonym
	PurposeArchive    = tickets.PurposeArchive
	MaxTicketHeader   = tickets.MaxTicketHeader
	MaxTicketLifetime = tickets.MaxTicketLifetime
	NonceSize         = tickets.NonceSize
)

// NewTicket makes a ticket for reader, valid for lifetime.
func NewTicket(purpose string, recordID uint64, cid, reader string, lifetime time.Duration) (Ticket, error) {
	return tickets.New(purpose, recordID, cid, reader, lifetime)
}

// Sign signs t and returns the header value.
func Sign(t Ticket, sign Signer) (string, error) { return tickets.Sign(t, sign) }

// Errors of ticket verification.
var (
	ErrNoTicket  = errors.New("no ticket: reads from this vault must carry a signed ticket (" + Header + ")")
	ErrBadTicket = tickets.ErrBadTicket
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
	if t.Type != tickets.Type {
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
