// Package envelope is medchain's client-side cryptography: it derives an
// account's encryption key pair, wraps record keys to encryption keys, and
// encrypts medical payloads. The CLI and the vault use it; no chain code
// does, because the chain never sees a key or a plaintext.
//
// # Encryption keys
//
// An account's encryption key pair is derived from its own account key, so
// the mnemonic that restores the account restores the encryption key. The
// account signs DerivationText(chainID) as an ADR-036 "arbitrary data"
// document (SignDataDoc: a zero-fee amino sign/MsgSignData, the document
// Keplr's signArbitrary and Ledger sign). The text names the chain and says
// what the signature is for, so the key of one chain opens nothing on
// another and the wallet shows the user what they approve. secp256k1
// signing is deterministic (RFC 6979), so the signature is always the same;
// HKDF-SHA256 with info "medchain/encryption-key/v2" turns it into 64 bytes
// of input keying material for the DeriveKeyPair of the HPKE KEM
// ML-KEM-768-X25519.
//
// Releases up to v0.4.0 derived the key from DerivationMessage, which
// names no chain (info "medchain/encryption-key/v1"); DeriveLegacyKeyPair
// derives that key, and KeyPair.WithEarlier lets a pair open what is still
// sealed to it. An account moves to its chain-bound key by registering it
// again (medchaind tx access register-key); nothing sealed to the legacy
// key is lost. A public
// key is PublicKeySize (1216) bytes; its id, KeyID, is the lower-case hex of
// the first 8 bytes of its SHA-256, and the chain computes the same id.
//
// # Wraps
//
// Wrap seals a record key with HPKE (RFC 9180; ML-KEM-768-X25519,
// HKDF-SHA256, ChaCha20-Poly1305, base mode) to a grantee's public key. The
// HPKE info is derived from a Binding (chain id, the CID that opened the
// record's key epoch, the key epoch, grantee address, each
// length-prefixed), so a wrap opens only for the record epoch, grantee and
// chain it was made for. The epoch is named by a CID the client knows
// before it submits, never by the record id the chain assigns on
// execution, so uncoordinated clients never collide; wraps made before
// that are bound to the record id and still open. A wrap is the
// encapsulated key followed by the sealed record key: WrapOverhead (1136)
// bytes more than the record key.
//
// Unwrap checks the wrap's on-chain metadata before decrypting and says
// what is wrong:
//
//   - ErrWrongKey: the wrap is sealed to another encryption key than the
//     reader's (the reader registered a new key, or uses another account).
//   - ErrWrongEpoch: the wrap is for another key epoch than the record's
//     (the record key was rotated).
//   - ErrTampered: decryption failed although key and epoch match: the
//     ciphertext was modified, or the wrap was made for another record,
//     grantee or chain and replayed.
//   - ErrUnknownAlgorithm: the key or ciphertext is not of this suite.
//
// ErrNoAccess is for callers that find no grant or no wrap at all.
//
// # Payloads
//
// Every record (and every key epoch of a record) has a fresh RecordKey, an
// age post-quantum (ML-KEM-768 + X25519) identity; what gets wrapped is its
// canonical string. Encrypt and Decrypt stream the payload through age,
// 64 KiB at a time, so a DICOM study of any size never sits in memory.
// Decrypt returns an error wrapping ErrNotForThisKey when the payload was
// encrypted to another record key, and its reader returns an error wrapping
// ErrTampered at the first modified, truncated or extended chunk.
package envelope
