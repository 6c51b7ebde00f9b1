package envelope

import (
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	// WrapOverhead is what a wrap adds to the record key it seals: the
	// encapsulated key and the AEAD tag.
	WrapOverhead = EncapsulatedKeySize + TagSize
	// MaxRecordKeySize bounds the record key a wrap may seal; an age
	// post-quantum identity string is far smaller.
	MaxRecordKeySize = 256
)

// The HPKE info of a wrap starts with one of these.
const (
	wrapInfoPrefix   = "medchain/wrap/v1" // bound to the record id
	wrapInfoPrefixV2 = "medchain/wrap/v2" // bound to the epoch's CID
)

// Binding is what a wrap is bound to: the HPKE info is derived from it, so
// a wrap opens only for the chain, record key epoch and grantee it was made
// for.
//
// The record key epoch is named by its anchor: the CID of the version that
// opened it (the record's first version, or a rotation's re-encrypted
// payload; Record.epoch_cid on chain). A client knows that CID before it
// submits, unlike the record id the chain assigns on execution, so any
// number of clients seal wraps for new records at once and none has to seal
// again; and since a CID belongs to one record version for the chain's
// whole life, it names one record's epoch. Wraps made before anchors
// existed are bound to the record id (Anchor empty).
type Binding struct {
	ChainID string
	// Anchor is the CID that opened the key epoch; empty for a wrap bound
	// to RecordID.
	Anchor   string
	RecordID uint64
	KeyEpoch uint64
	// Grantee is the bech32 address whose encryption key the wrap is
	// sealed to (the organisation, for a grant to an organisation).
	Grantee string
}

// Info returns the HPKE info of b. With an anchor: "medchain/wrap/v2",
// then the chain id, the anchor and the grantee each as a uvarint length
// and its bytes and the key epoch as 8 big-endian bytes, in field order.
// Without one: "medchain/wrap/v1", the chain id, the record id and key
// epoch as 8 big-endian bytes each, and the grantee. Every field has a
// length, so two distinct bindings never share an info.
func (b Binding) Info() []byte {
	if b.Anchor != "" {
		info := lengthPrefixed(wrapInfoPrefixV2, b.ChainID, b.Anchor)
		info = binary.BigEndian.AppendUint64(info, b.KeyEpoch)
		info = binary.AppendUvarint(info, uint64(len(b.Grantee)))
		return append(info, b.Grantee...)
	}
	info := make([]byte, 0, len(wrapInfoPrefix)+2*binary.MaxVarintLen64+len(b.ChainID)+len(b.Grantee)+16)
	info = append(info, wrapInfoPrefix...)
	info = binary.AppendUvarint(info, uint64(len(b.ChainID)))
	info = append(info, b.ChainID...)
	info = binary.BigEndian.AppendUint64(info, b.RecordID)
	info = binary.BigEndian.AppendUint64(info, b.KeyEpoch)
	info = binary.AppendUvarint(info, uint64(len(b.Grantee)))
	info = append(info, b.Grantee...)
	return info
}

// Wrap seals recordKey to the grantee's encryption public key, bound to b.
// The result is the HPKE encapsulated key followed by the sealed record key,
// len(recordKey)+WrapOverhead bytes.
func Wrap(granteePublicKey []byte, recordKey []byte, b Binding) ([]byte, error) {
	if len(recordKey) == 0 || len(recordKey) > MaxRecordKeySize {
		return nil, fmt.Errorf("wrapping a record key of %d bytes: it must be 1 to %d bytes", len(recordKey), MaxRecordKeySize)
	}
	if b.ChainID == "" || b.Grantee == "" {
		return nil, errors.New("wrapping a record key: the binding needs a chain id and a grantee")
	}
	pk, err := ParsePublicKey(granteePublicKey)
	if err != nil {
		return nil, fmt.Errorf("wrapping a record key for %s: %w", b.Grantee, err)
	}
	w, err := hpke.Seal(pk, KDF(), AEAD(), b.Info(), recordKey)
	if err != nil {
		return nil, fmt.Errorf("wrapping a record key for %s: %w", b.Grantee, err)
	}
	return w, nil
}

// WrapInfo is a wrap as the chain stores it: the id of the key it is sealed
// to, its key epoch, and the ciphertext Wrap returned.
type WrapInfo struct {
	KeyID      string
	KeyEpoch   uint64
	Ciphertext []byte
}

// Unwrap opens w with kp and returns the record key. expected is the
// binding the reader expects: this chain, the record, the record's current
// key epoch and the reader's address (or its organisation's).
//
// It returns an error wrapping ErrWrongKey if w is sealed to another key,
// ErrWrongEpoch if w is for another key epoch, ErrUnknownAlgorithm if the
// ciphertext cannot be a wrap of this suite, and ErrTampered if decryption
// fails: the ciphertext was modified, or the wrap was made for another
// chain, record or grantee.
func Unwrap(kp *KeyPair, w WrapInfo, expected Binding) ([]byte, error) {
	if kp == nil {
		return nil, errors.New("unwrapping a record key: no encryption key pair")
	}
	kp, err := kp.ForKeyID(w.KeyID)
	if err != nil {
		return nil, err
	}
	if w.KeyEpoch != expected.KeyEpoch {
		return nil, fmt.Errorf("%w: the wrap is for key epoch %d, the record is at %d: ask the owner to grant again",
			ErrWrongEpoch, w.KeyEpoch, expected.KeyEpoch)
	}
	if n := len(w.Ciphertext); n <= WrapOverhead || n > WrapOverhead+MaxRecordKeySize {
		return nil, fmt.Errorf("%w: the wrap is %d bytes, an %s wrap is %d to %d bytes",
			ErrUnknownAlgorithm, n, AlgorithmName, WrapOverhead+1, WrapOverhead+MaxRecordKeySize)
	}
	recordKey, err := hpke.Open(kp.private, KDF(), AEAD(), expected.Info(), w.Ciphertext)
	if err != nil && expected.Anchor != "" && expected.RecordID != 0 {
		// A wrap sealed before anchors existed is bound to the record id.
		legacy := expected
		legacy.Anchor = ""
		recordKey, err = hpke.Open(kp.private, KDF(), AEAD(), legacy.Info(), w.Ciphertext)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the wrap does not open for record %d, key epoch %d, grantee %s on chain %s: it was modified or made for another record, grantee or chain",
			ErrTampered, expected.RecordID, expected.KeyEpoch, expected.Grantee, expected.ChainID)
	}
	return recordKey, nil
}
