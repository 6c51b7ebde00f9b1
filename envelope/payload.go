package envelope

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// RecordKey is the key a record's payload is encrypted to: a fresh age
// post-quantum (ML-KEM-768 + X25519) identity per record and key epoch.
type RecordKey struct {
	identity *age.HybridIdentity
}

// NewRecordKey generates a fresh record key.
func NewRecordKey() (RecordKey, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return RecordKey{}, fmt.Errorf("generating a record key: %w", err)
	}
	return RecordKey{identity: id}, nil
}

// ParseRecordKey parses what RecordKey.Bytes returned, typically a record
// key just unwrapped. Anything else gives ErrUnknownAlgorithm.
func ParseRecordKey(b []byte) (RecordKey, error) {
	id, err := age.ParseHybridIdentity(string(b))
	if err != nil {
		// age's error never contains the key itself.
		return RecordKey{}, fmt.Errorf("%w: the record key is not an age post-quantum identity (%v)", ErrUnknownAlgorithm, err)
	}
	return RecordKey{identity: id}, nil
}

// Bytes returns the record key's canonical encoding (the age identity
// string, AGE-SECRET-KEY-PQ-1...), which is what gets wrapped. It is
// secret.
func (k RecordKey) Bytes() []byte {
	if k.identity == nil {
		return nil
	}
	return []byte(k.identity.String())
}

// Recipient returns the public age recipient (age1pq1...) of the record key.
func (k RecordKey) Recipient() string {
	if k.identity == nil {
		return ""
	}
	return k.identity.Recipient().String()
}

var errNoRecordKey = errors.New("no record key: use NewRecordKey or ParseRecordKey")

// Encrypt streams the size bytes of src, padded and encrypted with age to
// key, into dst, and returns the number of bytes written to dst: the
// encrypted payload's size, a Padmé size class (EncryptedSize), which is
// what the chain records. It holds one 64 KiB chunk in memory at a time.
// src must hold exactly size bytes: a file that grows or shrinks while it
// is read is an error, never a silently different payload.
func Encrypt(dst io.Writer, src io.Reader, size int64, key RecordKey) (int64, error) {
	if key.identity == nil {
		return 0, errNoRecordKey
	}
	if size < 0 {
		return 0, fmt.Errorf("encrypting the payload: a size of %d bytes", size)
	}
	cw := &countingWriter{w: dst}
	w, err := age.Encrypt(cw, key.identity.Recipient())
	if err != nil {
		return cw.n, fmt.Errorf("encrypting the payload: %w", err)
	}
	padded := paddedPlaintextSize(size, cw.n)
	if _, err := w.Write(padFrame(size)); err != nil {
		return cw.n, fmt.Errorf("encrypting the payload: %w", err)
	}
	n, err := io.Copy(w, io.LimitReader(src, size+1))
	switch {
	case err != nil:
		return cw.n, fmt.Errorf("encrypting the payload: %w", err)
	case n < size:
		return cw.n, fmt.Errorf("encrypting the payload: it was to be %d bytes and the source ended after %d: did the file change while it was read?", size, n)
	case n > size:
		return cw.n, fmt.Errorf("encrypting the payload: the source holds more than the %d bytes it was to be: did the file change while it was read?", size)
	}
	if _, err := io.CopyN(w, zeroReader{}, padded-PadHeaderSize-size); err != nil {
		return cw.n, fmt.Errorf("encrypting the payload: %w", err)
	}
	if err := w.Close(); err != nil {
		return cw.n, fmt.Errorf("encrypting the payload: %w", err)
	}
	return cw.n, nil
}

// zeroReader reads zeros, the padding.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Plaintext reads a decrypted payload.
type Plaintext struct {
	io.Reader
	size int64
}

// Size is the payload's exact size from its padding frame, or -1 for a
// payload encrypted before padding existed.
func (p *Plaintext) Size() int64 { return p.size }

// Decrypt returns a reader of the plaintext of the age payload read from
// src, padding removed. It reads the header and the first chunk at once: a
// payload encrypted to another key gives an error wrapping
// ErrNotForThisKey. The payload is authenticated chunk by chunk while it is
// read, so the reader returns an error wrapping ErrTampered on the first
// modified, truncated or extended chunk, and one wrapping ErrBadPadding if
// the padding is not zeros. Plaintext read before such an error is not
// authenticated as a whole: discard it. Errors of src itself are returned
// as they are, not as ErrTampered.
func Decrypt(src io.Reader, key RecordKey) (*Plaintext, error) {
	if key.identity == nil {
		return nil, errNoRecordKey
	}
	es := &errRecordingReader{r: src}
	r, err := age.Decrypt(es, key.identity)
	if err != nil {
		return nil, decryptError(err, es.err)
	}
	dr := &decryptReader{r: r, src: es}
	body, size, err := unframe(dr)
	if err != nil {
		return nil, err
	}
	return &Plaintext{Reader: body, size: size}, nil
}

// decryptError classifies an error of age.Decrypt or its reader.
func decryptError(err, srcErr error) error {
	if srcErr != nil {
		return fmt.Errorf("reading the encrypted payload: %w", srcErr)
	}
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return fmt.Errorf("%w: it is encrypted to another record key, or its header was modified (%v)", ErrNotForThisKey, err)
	}
	return fmt.Errorf("%w: the encrypted payload is modified or truncated (%v)", ErrTampered, err)
}

// decryptReader turns the errors of age's reader into this package's.
type decryptReader struct {
	r   io.Reader
	src *errRecordingReader
}

func (d *decryptReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = decryptError(err, d.src.err)
	}
	return n, err
}

// errRecordingReader remembers the first error other than io.EOF that the
// underlying reader returned, so an I/O failure is not mistaken for
// tampering.
type errRecordingReader struct {
	r   io.Reader
	err error
}

func (e *errRecordingReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
