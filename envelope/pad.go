package envelope

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"filippo.io/age"

	"github.com/medchain/medchain/envelope/sizeclass"
)

// # Padding
//
// A payload's size says a lot about it (a chest X-ray is not a knee MRI), so
// Encrypt pads the plaintext before encrypting it, and the encrypted size,
// the only size the chain and the vaults ever see, is a Padmé size class
// (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
// Communication with PURBs", PETS 2019): a length whose low bits are zero,
// with at most 12 % overhead and far fewer distinct sizes. The exact size
// travels inside the ciphertext, in a frame:
//
//	"medchain/pad/v1\n" (16 bytes) | exact length (8 bytes, big endian) | payload | zeros
//
// Decrypt strips the frame and checks that the padding is all zeros.
// Payloads encrypted before padding existed have no frame and are returned
// as they are.

const (
	padMagic = "medchain/pad/v1\n"
	// PadHeaderSize is the frame's header: magic and exact length.
	PadHeaderSize = 16 + 8

	ageChunkSize = 64 << 10
	ageTagSize   = 16
)

// ErrBadPadding means a payload's frame is inconsistent: its padding is
// not zeros, or the payload is shorter than its frame says.
var ErrBadPadding = errors.New("payload padding is malformed")

// ageBase is the size of an age file's header and stream nonce for one
// post-quantum recipient; it is the same for every record key.
var ageBase = sync.OnceValues(func() (int64, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: io.Discard}
	if _, err := age.Encrypt(cw, id.Recipient()); err != nil {
		return 0, err
	}
	return cw.n, nil
})

// ageStreamSize is the size of age's STREAM for p plaintext bytes: one
// 16-byte tag per 64 KiB chunk, and always at least one chunk.
func ageStreamSize(p int64) int64 {
	chunks := (p + ageChunkSize - 1) / ageChunkSize
	return p + max(chunks, 1)*ageTagSize
}

// paddedPlaintextSize returns the framed plaintext size for a payload of
// n bytes: the smallest size at least the frame's that age encrypts to a
// Padmé class. Not every class is reachable (each 64 KiB chunk adds a tag),
// so it moves to the next class when one is not.
func paddedPlaintextSize(n, base int64) int64 {
	minimum := int64(PadHeaderSize) + n
	target := int64(sizeclass.Padme(uint64(base + ageStreamSize(minimum))))
	for {
		if p, ok := plaintextFor(target-base, minimum); ok {
			return p
		}
		target = int64(sizeclass.Padme(uint64(target + 1)))
	}
}

// plaintextFor finds the plaintext size p >= lo whose age stream is exactly
// streamSize bytes, if there is one (the stream size grows with p).
func plaintextFor(streamSize, lo int64) (int64, bool) {
	hi := streamSize
	for lo < hi {
		mid := lo + (hi-lo)/2
		if ageStreamSize(mid) < streamSize {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, ageStreamSize(lo) == streamSize
}

// EncryptedSize is the size Encrypt produces for a payload of n bytes: a
// Padmé class, and what the chain records as the payload's size.
func EncryptedSize(n int64) (int64, error) {
	base, err := ageBase()
	if err != nil {
		return 0, err
	}
	return base + ageStreamSize(paddedPlaintextSize(n, base)), nil
}

// LegacyPlaintextSize is the plaintext size of an unpadded payload (one
// encrypted before padding existed) whose encrypted size is
// encryptedSize, so that rotating its key can pad it.
func LegacyPlaintextSize(encryptedSize int64) (int64, error) {
	base, err := ageBase()
	if err != nil {
		return 0, err
	}
	if p, ok := plaintextFor(encryptedSize-base, 0); ok && encryptedSize > base {
		return p, nil
	}
	return 0, fmt.Errorf("%d bytes is not the size of an age payload", encryptedSize)
}

// padFrame returns the frame header for a payload of n bytes.
func padFrame(n int64) []byte {
	h := make([]byte, 0, PadHeaderSize)
	h = append(h, padMagic...)
	return binary.BigEndian.AppendUint64(h, uint64(n))
}

// unpadReader yields a framed payload's bytes and then checks its padding.
type unpadReader struct {
	r         io.Reader // the decrypted stream after the frame header
	remaining int64
	done      bool
}

func (u *unpadReader) Read(p []byte) (int, error) {
	if u.remaining == 0 {
		if !u.done {
			u.done = true
			if err := checkZeros(u.r); err != nil {
				return 0, err
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > u.remaining {
		p = p[:u.remaining]
	}
	n, err := u.r.Read(p)
	u.remaining -= int64(n)
	if err == io.EOF && u.remaining > 0 {
		return n, fmt.Errorf("%w: the payload ends %d bytes before the length its frame gives", ErrBadPadding, u.remaining)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// checkZeros reads r to its end and fails unless every byte is zero.
func checkZeros(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return fmt.Errorf("%w: the padding holds non-zero bytes", ErrBadPadding)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// unframe reads the start of a decrypted stream: a framed payload gives a
// reader of exactly its bytes and their size; an unframed (legacy) one
// gives the stream as it is and -1.
func unframe(r io.Reader) (io.Reader, int64, error) {
	head := make([]byte, PadHeaderSize)
	n, err := io.ReadFull(r, head)
	switch {
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, 0, err
	case n == PadHeaderSize && bytes.Equal(head[:len(padMagic)], []byte(padMagic)):
		size := binary.BigEndian.Uint64(head[len(padMagic):])
		if size > 1<<62 {
			return nil, 0, fmt.Errorf("%w: the frame gives a length of %d bytes", ErrBadPadding, size)
		}
		return &unpadReader{r: r, remaining: int64(size)}, int64(size), nil
	default:
		return io.MultiReader(bytes.NewReader(head[:n]), r), -1, nil
	}
}
