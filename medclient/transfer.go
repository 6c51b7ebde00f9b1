package medclient

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/vault"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Remote is where payloads go and come from: a medchain vault
// (vault.Client) or a Kubo node's RPC API (vault.KuboClient). Neither is
// trusted for reads: Fetch verifies every block against its CID before it
// writes anything to dst.
type Remote interface {
	Upload(ctx context.Context, car io.Reader) (vault.UploadResponse, error)
	Fetch(ctx context.Context, root cid.Cid, dst io.Writer) error
}

// Uploaded is what Upload stored.
type Uploaded struct {
	// CID is the root of the encrypted DAG, as x/records stores it.
	CID cid.Cid
	// Size is the encrypted payload's size in bytes (the record's
	// size_bytes).
	Size int64
	// Receipt is the vault's upload receipt, which the message that
	// registers CID must carry (nil from a remote that signs none, such as
	// Kubo: see RequireReceipt).
	Receipt *recordstypes.UploadReceipt
}

// RequireReceipt returns the receipt a message claiming up.CID must
// carry, or an error saying why there is none.
func (up Uploaded) RequireReceipt() (*recordstypes.UploadReceipt, error) {
	if up.Receipt == nil {
		return nil, fmt.Errorf("the store kept %s but signed no upload receipt, and the chain registers a CID only with the receipt of "+
			"a hospital vault that received it from the signer: upload through a hospital's vault (--vault) with upload tickets on, "+
			"not --ipfs-api; the payload stays unregistered", up.CID)
	}
	return up.Receipt, nil
}

// receiptOf is a vault's receipt as the chain takes it.
func receiptOf(r *vault.Receipt) *recordstypes.UploadReceipt {
	if r == nil {
		return nil
	}
	return &recordstypes.UploadReceipt{Hospital: r.Hospital, PubKey: r.PubKey, Signature: r.Signature}
}

// Upload encrypts the size bytes of src under key (padded, so the
// encrypted size is a size class: envelope.EncryptedSize), chunks the ciphertext into the UnixFS DAG
// Kubo would build (CIDv1, raw leaves, 1 MiB chunks) and uploads it to
// remote as a CAR. The three stages run concurrently through pipes; the
// only copy of the data at rest is the chunker's spool file in
// os.TempDir(), so memory stays flat whatever the size. If any stage fails
// the others stop and the upload is never acknowledged, so nothing is
// registered; a vault collects blocks of unregistered uploads later.
func Upload(ctx context.Context, remote Remote, src io.Reader, size int64, key envelope.RecordKey) (Uploaded, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	encR, encW := io.Pipe()
	type encResult struct {
		n   int64
		err error
	}
	encDone := make(chan encResult, 1)
	source := &recordingReader{r: src}
	go func() {
		n, err := envelope.Encrypt(encW, source, size, key)
		encW.CloseWithError(err)
		encDone <- encResult{n, err}
	}()

	var root cid.Cid
	var receipt *vault.Receipt
	var upErr, buildErr error
	if s, ok := remote.(streamUploader); ok {
		// A vault takes the DAG as it is built: encrypting, chunking,
		// sending and the vault's storing all overlap.
		var got vault.UploadResponse
		got, upErr = s.UploadFile(ctx, encR)
		encR.CloseWithError(errOr(upErr, errStageStopped))
		if upErr == nil {
			root, upErr = cid.Decode(got.CID)
			receipt = got.Receipt
		}
	} else {
		root, receipt, buildErr, upErr = uploadBuiltCAR(ctx, remote, encR)
	}
	if upErr != nil || buildErr != nil {
		cancel()
	}
	enc := <-encDone
	// Report the cause, not its echoes down and up the pipes: a failing
	// source first, then the remote's answer, then the other stages.
	switch {
	case source.err != nil:
		return Uploaded{}, fmt.Errorf("reading the file: %w", source.err)
	case upErr != nil:
		return Uploaded{}, upErr
	case buildErr != nil:
		return Uploaded{}, fmt.Errorf("building the DAG: %w", buildErr)
	case enc.err != nil:
		return Uploaded{}, enc.err
	}
	return Uploaded{CID: root, Size: enc.n, Receipt: receiptOf(receipt)}, nil
}

// streamUploader is a remote that chunks and sends a file itself, as it
// is read (vault.Client).
type streamUploader interface {
	UploadFile(ctx context.Context, r io.Reader) (vault.UploadResponse, error)
}

// uploadBuiltCAR builds the CAR of r (spooling its blocks until the root
// is known, as a standard CAR names its root first) and uploads it.
func uploadBuiltCAR(ctx context.Context, remote Remote, r *io.PipeReader) (root cid.Cid, receipt *vault.Receipt, buildErr, upErr error) {
	carR, carW := io.Pipe()
	type carResult struct {
		root cid.Cid
		err  error
	}
	carDone := make(chan carResult, 1)
	go func() {
		root, err := vault.BuildCAR(ctx, r, carW)
		r.CloseWithError(errOr(err, errStageStopped))
		carW.CloseWithError(err)
		carDone <- carResult{root, err}
	}()
	got, upErr := remote.Upload(ctx, carR)
	carR.CloseWithError(errOr(upErr, errStageStopped))
	car := <-carDone
	if upErr != nil {
		return cid.Undef, nil, nil, upErr
	}
	if car.err != nil {
		return cid.Undef, nil, car.err, nil
	}
	if got.CID != car.root.String() {
		return cid.Undef, nil, nil, fmt.Errorf("the remote stored %s but the upload's root is %s: refusing to register it", got.CID, car.root)
	}
	return car.root, got.Receipt, nil, nil
}

// recordingReader keeps the first error of its source other than EOF.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// errStageStopped is what a pipeline stage sees when a later one stopped.
var errStageStopped = errors.New("a later stage stopped")

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// DownloadFile fetches the DAG under root from remote, verifies it,
// decrypts it with key and writes the plaintext to path. The plaintext
// goes to a temporary file beside path that is synced and renamed to path
// only once everything has been verified and decrypted: on any error path
// is left as it was and the temporary file is removed.
func DownloadFile(ctx context.Context, remote Remote, root cid.Cid, key envelope.RecordKey, path string) (n int64, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".part-*")
	if err != nil {
		return 0, fmt.Errorf("cannot write beside %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if n, err = Download(ctx, remote, root, key, tmp); err != nil {
		return 0, err
	}
	if err = tmp.Sync(); err != nil {
		return 0, err
	}
	if err = tmp.Close(); err != nil {
		return 0, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	return n, nil
}

// Download fetches, verifies and decrypts the DAG under root into dst and
// returns the plaintext size. The vault's answer is verified in full
// before decryption starts; decryption then authenticates every chunk, so
// an error can still come after some plaintext was written: callers that
// must not leave partial output write to a temporary file (DownloadFile).
func Download(ctx context.Context, remote Remote, root cid.Cid, key envelope.RecordKey, dst io.Writer) (int64, error) {
	return download(ctx, remote, root, key, dst, nil)
}

// download is Download, calling sized with the plaintext's exact size (-1
// for an unpadded payload) before the first byte is written.
func download(ctx context.Context, remote Remote, root cid.Cid, key envelope.RecordKey, dst io.Writer, sized func(int64)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	fetchDone := make(chan error, 1)
	go func() {
		err := remote.Fetch(ctx, root, pw)
		pw.CloseWithError(err)
		fetchDone <- err
	}()
	n, err := decryptTo(dst, pr, key, sized)
	pr.CloseWithError(errOr(err, errStageStopped))
	cancel()
	fetchErr := <-fetchDone
	switch {
	case err != nil && fetchErr != nil && errors.Is(fetchErr, err):
		return 0, err // the fetch only saw decryption stop
	case fetchErr != nil && !errors.Is(fetchErr, errStageStopped) && !errors.Is(fetchErr, context.Canceled):
		return 0, fetchErr
	}
	return n, err
}

func decryptTo(dst io.Writer, src io.Reader, key envelope.RecordKey, sized func(int64)) (int64, error) {
	r, err := envelope.Decrypt(src, key)
	if err != nil {
		return 0, err
	}
	if sized != nil {
		sized(r.Size())
	}
	return io.Copy(dst, r)
}

// Reencrypt fetches and verifies the payload under root, decrypts it with
// oldKey and uploads it encrypted under newKey, all streamed: the plaintext
// only ever passes through a pipe. It is the data half of a key rotation.
// encryptedSize is the payload's recorded size: a payload stored before
// padding existed carries no length of its own, and gets padded now.
func Reencrypt(ctx context.Context, remote Remote, root cid.Cid, encryptedSize int64, oldKey, newKey envelope.RecordKey) (Uploaded, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	downDone := make(chan error, 1)
	sizes := make(chan int64, 1)
	go func() {
		_, err := download(ctx, remote, root, oldKey, pw, func(n int64) { sizes <- n })
		pw.CloseWithError(err)
		downDone <- err
	}()
	var size int64
	select {
	case size = <-sizes:
	case err := <-downDone:
		return Uploaded{}, fmt.Errorf("reading %s under the old key: %w", root, err)
	}
	if size < 0 {
		var err error
		if size, err = envelope.LegacyPlaintextSize(encryptedSize); err != nil {
			return Uploaded{}, fmt.Errorf("reading %s under the old key: %w", root, err)
		}
	}
	up, err := Upload(ctx, remote, pr, size, newKey)
	pr.CloseWithError(errOr(err, errStageStopped))
	cancel()
	if downErr := <-downDone; downErr != nil && !errors.Is(downErr, errStageStopped) && !errors.Is(downErr, context.Canceled) {
		return Uploaded{}, fmt.Errorf("reading %s under the old key: %w", root, downErr)
	}
	return up, err
}

// PlaceholderCID is a well-formed CID (CIDv1, raw, sha2-256) other than
// avoid and as long as any payload's, to stand in for a payload's CID while
// the chain is asked, in simulation, whether it would accept a message:
// the real CID is known only after the upload. It is random: a fixed
// placeholder could be registered by anyone as a record of their own, and
// since a CID belongs to one record version, every client's preflight
// would then be refused.
func PlaceholderCID(avoid string) string {
	for {
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		mh, err := multihash.Sum(seed, multihash.SHA2_256, -1)
		if err != nil {
			panic(err) // sha2-256 is always available
		}
		if c := cid.NewCidV1(cid.Raw, mh).String(); c != avoid {
			return c
		}
	}
}
