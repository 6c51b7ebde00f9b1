package envelope

import "errors"

// Errors a caller can test with errors.Is. The errors returned by this
// package wrap them and add what was expected and what was found.
var (
	// ErrNoAccess means the reader has no grant or no wrap for the record.
	// Unwrap never returns it; callers that look the wrap up on chain do.
	ErrNoAccess = errors.New("no access to the record")

	// ErrWrongKey means a wrap is sealed to an encryption key other than
	// the reader's: the reader re-registered a key since the grant, or
	// derived it from another account.
	ErrWrongKey = errors.New("wrap sealed to another encryption key")

	// ErrWrongEpoch means a wrap belongs to an older or newer key epoch than
	// the record's: the record key was rotated since the wrap was made.
	ErrWrongEpoch = errors.New("wrap is for another key epoch")

	// ErrTampered means authenticated decryption failed although everything
	// else matched: the ciphertext was modified or truncated, or a wrap made
	// for another chain, record, epoch or grantee was presented.
	ErrTampered = errors.New("ciphertext modified or not bound to this record")

	// ErrUnknownAlgorithm means a key or ciphertext is not of the suite this
	// package implements (HPKE ML-KEM-768-X25519, HKDF-SHA256,
	// ChaCha20-Poly1305, and age post-quantum record keys).
	ErrUnknownAlgorithm = errors.New("not an ML-KEM-768-X25519 key or ciphertext")

	// ErrNotForThisKey means an encrypted payload was not encrypted to the
	// record key used to decrypt it (or its header was modified, which age
	// cannot tell apart).
	ErrNotForThisKey = errors.New("payload not encrypted to this record key")
)
