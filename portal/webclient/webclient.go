// Package webclient is the payload pipeline of the browser portal, in plain
// Go so that it is tested here and compiled to WebAssembly there (package
// portal/wasm): it encrypts a file into the root-last CAR a vault takes as
// a streamed upload, and reads a vault's depth-first CAR back into the
// plaintext, verifying every block against its CID on the way. Both stream:
// memory stays at about one chunk whatever the file's size. It is the same
// code the CLI runs (package envelope for age and HPKE, vault/dagfile for
// the DAG), so a record uploaded in the browser downloads byte-identical
// with `medchaind query records download`, and the other way round.
package webclient

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/vault/dagfile"
)

// Encrypted is what EncryptToCAR built.
type Encrypted struct {
	// Root is the DAG's root: the record's CID.
	Root cid.Cid
	// Size is the encrypted payload's size: the record's size_bytes, a
	// size class.
	Size int64
}

// EncryptToCAR encrypts the size bytes of src under key (padded to a size
// class, as the CLI does) and writes the DAG of the ciphertext to car as a
// CARv1 whose last block is the root, for POST /api/v1/upload?root=last.
// Encryption and chunking run concurrently through a pipe.
func EncryptToCAR(ctx context.Context, src io.Reader, size int64, key envelope.RecordKey, car io.Writer) (Encrypted, error) {
	if size <= 0 {
		return Encrypted{}, errors.New("the file is empty: there is nothing to store")
	}
	want, err := envelope.EncryptedSize(size)
	if err != nil {
		return Encrypted{}, err
	}
	pr, pw := io.Pipe()
	encErr := make(chan error, 1)
	go func() {
		_, err := envelope.Encrypt(pw, src, size, key)
		pw.CloseWithError(err)
		encErr <- err
	}()
	root, n, err := dagfile.StreamCAR(ctx, pr, car)
	pr.CloseWithError(errors.Join(err, errors.New("the CAR writer stopped")))
	if eerr := <-encErr; eerr != nil {
		return Encrypted{}, fmt.Errorf("encrypting: %w", eerr)
	}
	if err != nil {
		return Encrypted{}, err
	}
	if n != want {
		return Encrypted{}, fmt.Errorf("the encrypted payload is %d bytes, %d expected", n, want)
	}
	return Encrypted{Root: root, Size: n}, nil
}

// DecryptCAR reads the depth-first CAR of root (a vault's GET
// /ipfs/{cid}?format=car answer), checks every block against its CID,
// decrypts the content with key and writes the plaintext to dst. It reads
// no more CAR than a payload of encryptedSize bytes needs (the record's
// size_bytes; 0 if unknown). Plaintext written before an error is not
// authenticated as a whole: the caller discards it, as the portal does by
// offering the file only once DecryptCAR returns nil. It returns the
// plaintext's size.
func DecryptCAR(ctx context.Context, car io.Reader, root cid.Cid, encryptedSize int64, key envelope.RecordKey, dst io.Writer) (int64, error) {
	ciphertext, done := verified(ctx, car, root, encryptedSize)
	n, err := decrypt(ciphertext, key, dst)
	rerr := done()
	if err != nil {
		return n, err // a failed read reaches decrypt through the pipe
	}
	return n, rerr // e.g. blocks after the end of the payload
}

// Reencrypt reads the CAR of root as DecryptCAR does, decrypts it with
// oldKey and writes it encrypted under newKey to out as EncryptToCAR does,
// all streamed: the data half of a key rotation, in the browser. A payload
// stored before padding existed (no length of its own) is padded now.
func Reencrypt(ctx context.Context, car io.Reader, root cid.Cid, encryptedSize int64, oldKey, newKey envelope.RecordKey, out io.Writer) (Encrypted, error) {
	ciphertext, done := verified(ctx, car, root, encryptedSize)
	pt, err := envelope.Decrypt(ciphertext, oldKey)
	if err != nil {
		_ = done()
		return Encrypted{}, fmt.Errorf("reading %s under the old key: %w", root, err)
	}
	size := pt.Size()
	if size < 0 {
		if size, err = envelope.LegacyPlaintextSize(encryptedSize); err != nil {
			_ = done()
			return Encrypted{}, fmt.Errorf("reading %s under the old key: %w", root, err)
		}
	}
	enc, err := EncryptToCAR(ctx, pt, size, newKey, out)
	rerr := done()
	if err != nil {
		return Encrypted{}, err
	}
	return enc, rerr
}

// verified streams the content of the CAR of root, every block checked,
// through a pipe. done stops the reading and returns its error.
func verified(ctx context.Context, car io.Reader, root cid.Cid, encryptedSize int64) (io.Reader, func() error) {
	pr, pw := io.Pipe()
	readErr := make(chan error, 1)
	go func() {
		_, err := dagfile.ReadOrdered(ctx, car, root, dagfile.CARSizeBound(encryptedSize), pw)
		if err != nil {
			err = fmt.Errorf("the vault's answer for %s: %w", root, err)
		}
		pw.CloseWithError(err)
		readErr <- err
	}()
	return pr, func() error {
		pr.CloseWithError(errors.New("the reader stopped"))
		return <-readErr
	}
}

func decrypt(src io.Reader, key envelope.RecordKey, dst io.Writer) (int64, error) {
	pt, err := envelope.Decrypt(src, key)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(dst, pt)
	if err != nil {
		return n, err
	}
	if size := pt.Size(); size >= 0 && n != size {
		return n, fmt.Errorf("the payload says it is %d bytes, %d were read", size, n)
	}
	return n, nil
}
