package medclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/vault"
)

// newVault starts a real vault (boxo blockstore on disk, HTTP server on
// loopback) and returns its store and a client.
func newVault(t *testing.T, wrap func(http.Handler) http.Handler) (*vault.Store, *vault.Client) {
	t.Helper()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	var h http.Handler = vault.NewServer(store, vault.Config{MaxUploadBytes: 64 << 20})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return store, vault.NewClient(srv.URL, srv.Client())
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func newKey(t testing.TB) envelope.RecordKey {
	t.Helper()
	k, err := envelope.NewRecordKey()
	require.NoError(t, err)
	return k
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, client := newVault(t, nil)
	for _, size := range []int{1, 64 << 10, 3<<20 + 17} {
		plain := randomBytes(t, size)
		key := newKey(t)
		up, err := medclient.Upload(ctx, client, bytes.NewReader(plain), int64(len(plain)), key)
		require.NoError(t, err)
		require.Greater(t, up.Size, int64(size), "ciphertext is larger than the plaintext")

		// The vault holds exactly the ciphertext under that CID, and it is
		// not the plaintext.
		stored, err := store.Stat(ctx, up.CID)
		require.NoError(t, err)
		require.Equal(t, up.Size, stored)
		r, err := store.Cat(ctx, up.CID)
		require.NoError(t, err)
		ct, err := io.ReadAll(r)
		require.NoError(t, err)
		r.Close()
		if size >= 64 { // a shorter string could occur in any ciphertext
			require.False(t, bytes.Contains(ct, plain[:64]), "the vault must never see plaintext")
		}

		path := filepath.Join(t.TempDir(), "out.bin")
		n, err := medclient.DownloadFile(ctx, client, up.CID, key, path)
		require.NoError(t, err)
		require.Equal(t, int64(size), n)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, plain, got, "download must be byte-identical")
	}
}

func TestDownloadWrongKeyWritesNothing(t *testing.T) {
	ctx := context.Background()
	_, client := newVault(t, nil)
	up, err := medclient.Upload(ctx, client, bytes.NewReader(randomBytes(t, 100<<10)), 100<<10, newKey(t))
	require.NoError(t, err)

	dir := t.TempDir()
	path := filepath.Join(dir, "scan.dcm")
	_, err = medclient.DownloadFile(ctx, client, up.CID, newKey(t), path)
	require.ErrorIs(t, err, envelope.ErrNotForThisKey)
	requireEmptyDir(t, dir)
}

// tamperedVault is a real vault whose GET answers pass through mutate once
// *on is set.
func tamperedVault(t *testing.T, on *bool, mutate func([]byte) []byte) *vault.Client {
	_, client := newVault(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !*on || r.Method != http.MethodGet {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
			w.WriteHeader(rec.Code)
			w.Write(mutate(rec.Body.Bytes()))
		})
	})
	return client
}

// A vault that serves a corrupted block, or cuts its answer short: the
// client names the problem and writes nothing, not even a temporary file.
func TestDownloadFromBadVaultWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
		want   []error
	}{
		{"corrupted block", func(b []byte) []byte { b[len(b)-100] ^= 0xff; return b }, []error{vault.ErrBlockMismatch}},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, []error{vault.ErrIncompleteDAG, vault.ErrBadCAR}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tamper := false
			client := tamperedVault(t, &tamper, tc.mutate)
			key := newKey(t)
			up, err := medclient.Upload(ctx, client, bytes.NewReader(randomBytes(t, 3<<20)), 3<<20, key)
			require.NoError(t, err)
			tamper = true

			dir := t.TempDir()
			_, err = medclient.DownloadFile(ctx, client, up.CID, key, filepath.Join(dir, "out"))
			require.Error(t, err)
			matched := false
			for _, w := range tc.want {
				matched = matched || errors.Is(err, w)
			}
			require.True(t, matched, "got %v", err)
			requireEmptyDir(t, dir)
		})
	}
}

// An upload the vault refuses is an error and leaves nothing pinned.
func TestUploadTooLargeIsRefused(t *testing.T) {
	ctx := context.Background()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	srv := httptest.NewServer(vault.NewServer(store, vault.Config{MaxUploadBytes: 1 << 20}))
	defer srv.Close()
	_, err = medclient.Upload(ctx, vault.NewClient(srv.URL, srv.Client()), bytes.NewReader(randomBytes(t, 3<<20)), 3<<20, newKey(t))
	require.ErrorIs(t, err, vault.ErrTooLarge)
	require.Zero(t, store.PinnedCount())
}

// A source that fails half-way (the file vanished, the disk failed): the
// upload is never acknowledged, so nothing can be registered.
func TestUploadSourceFailure(t *testing.T) {
	ctx := context.Background()
	store, client := newVault(t, nil)
	boom := errors.New("disk gone")
	src := io.MultiReader(bytes.NewReader(randomBytes(t, 2<<20)), errReader{boom})
	_, err := medclient.Upload(ctx, client, src, 4<<20, newKey(t))
	require.ErrorIs(t, err, boom)
	require.Zero(t, store.PinnedCount())
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReencrypt(t *testing.T) {
	ctx := context.Background()
	_, client := newVault(t, nil)
	plain := randomBytes(t, 1<<20+5)
	oldKey, newKey_ := newKey(t), newKey(t)
	up, err := medclient.Upload(ctx, client, bytes.NewReader(plain), int64(len(plain)), oldKey)
	require.NoError(t, err)

	rot, err := medclient.Reencrypt(ctx, client, up.CID, up.Size, oldKey, newKey_)
	require.NoError(t, err)
	require.NotEqual(t, up.CID, rot.CID)

	var buf bytes.Buffer
	_, err = medclient.Download(ctx, client, rot.CID, newKey_, &buf)
	require.NoError(t, err)
	require.Equal(t, plain, buf.Bytes())
	// The old key opens nothing the rotated record points at.
	_, err = medclient.Download(ctx, client, rot.CID, oldKey, io.Discard)
	require.ErrorIs(t, err, envelope.ErrNotForThisKey)

	// Re-encrypting with the wrong old key fails before anything is stored.
	_, err = medclient.Reencrypt(ctx, client, up.CID, up.Size, newKey_, newKey(t))
	require.ErrorIs(t, err, envelope.ErrNotForThisKey)
}

func TestDownloadUnknownCID(t *testing.T) {
	_, client := newVault(t, nil)
	c, err := cid.Decode("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = medclient.DownloadFile(context.Background(), client, c, newKey(t), filepath.Join(dir, "x"))
	require.ErrorIs(t, err, vault.ErrNotFound)
	requireEmptyDir(t, dir)
}

func TestEncryptedSizeBound(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1, 1 << 20, 5<<20 + 3} {
		var car bytes.Buffer
		pr, pw := io.Pipe()
		go func() {
			_, err := envelope.Encrypt(pw, bytes.NewReader(make([]byte, size)), int64(size), newKey(t))
			pw.CloseWithError(err)
		}()
		_, err := vault.BuildCAR(ctx, pr, &car)
		require.NoError(t, err)
		bound := medclient.EncryptedSizeBound(int64(size))
		require.GreaterOrEqual(t, bound, int64(car.Len()), "size %d", size)
		require.Less(t, bound-int64(car.Len()), int64(16<<10)+int64(size)/100, "the bound is tight enough to be useful")
	}
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "nothing may be left in %s: %s", dir, strings.Join(names, ", "))
}

// cancelAfter cancels the upload once n bytes of the file were read, as a
// client killed mid-upload would stop.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// A client that stops mid-upload gets no CID, so it can register nothing;
// and the vault keeps none of the blocks that had arrived.
func TestUploadInterruptedLeavesNoBlocks(t *testing.T) {
	store, client := newVault(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	// Past the vault's 8 MiB write batches, so blocks were on disk.
	src := &cancelAfter{r: bytes.NewReader(randomBytes(t, 24<<20)), n: 18 << 20, cancel: cancel}
	_, err := medclient.Upload(ctx, client, src, 24<<20, newKey(t))
	require.Error(t, err)

	// The server notices the broken request a moment later.
	require.Eventually(t, func() bool {
		n, err := store.BlockCount(context.Background())
		require.NoError(t, err)
		return n == 0
	}, 5*time.Second, 50*time.Millisecond, "blocks of an interrupted upload stayed in the vault")
	require.Zero(t, store.PinnedCount())
}

// plainRemote hides vault.Client's streamed upload, so Upload takes the
// path it takes with Kubo: build the whole CAR, then send it.
type plainRemote struct{ c *vault.Client }

func (p plainRemote) Upload(ctx context.Context, r io.Reader) (vault.UploadResponse, error) {
	return p.c.Upload(ctx, r)
}
func (p plainRemote) Fetch(ctx context.Context, c cid.Cid, w io.Writer) error {
	return p.c.Fetch(ctx, c, w)
}

func TestUploadThroughAStandardCAR(t *testing.T) {
	ctx := context.Background()
	_, client := newVault(t, nil)
	plain := randomBytes(t, 2<<20+3)
	key := newKey(t)
	up, err := medclient.Upload(ctx, plainRemote{client}, bytes.NewReader(plain), int64(len(plain)), key)
	require.NoError(t, err)
	streamed, err := medclient.Upload(ctx, client, bytes.NewReader(plain), int64(len(plain)), key)
	require.NoError(t, err)
	require.Equal(t, up.Size, streamed.Size)
	var out bytes.Buffer
	_, err = medclient.Download(ctx, plainRemote{client}, up.CID, key, &out)
	require.NoError(t, err)
	require.Equal(t, plain, out.Bytes())

	// A source failure is named on this path too.
	boom := errors.New("disk gone")
	_, err = medclient.Upload(ctx, plainRemote{client}, io.MultiReader(bytes.NewReader(plain), errReader{boom}), 2*int64(len(plain)), key)
	require.ErrorIs(t, err, boom)
}
