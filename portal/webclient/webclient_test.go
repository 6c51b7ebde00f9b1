package webclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/portal/webclient"
	"github.com/medchain/medchain/vault"
)

// newVault starts a real vault (boxo blockstore, HTTP on loopback).
func newVault(t *testing.T) (*httptest.Server, *vault.Client) {
	t.Helper()
	store, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(vault.NewServer(store, vault.Config{MaxUploadBytes: 64 << 20}))
	t.Cleanup(srv.Close)
	return srv, vault.NewClient(srv.URL, srv.Client())
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func newKey(t *testing.T) envelope.RecordKey {
	t.Helper()
	k, err := envelope.NewRecordKey()
	require.NoError(t, err)
	return k
}

// postRootLast uploads a root-last CAR as the portal does.
func postRootLast(t *testing.T, srv *httptest.Server, car []byte) (int, string) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/api/v1/upload?root=last", vault.MediaTypeCAR, bytes.NewReader(car))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		CID string `json:"cid"`
	}
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out.CID
}

// fetchCAR reads the vault's depth-first CAR of root, as the portal does.
func fetchCAR(t *testing.T, c *vault.Client, root cid.Cid) []byte {
	t.Helper()
	body, err := c.FetchCAR(context.Background(), root)
	require.NoError(t, err)
	defer body.Close()
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	return b
}

// A file the browser uploads downloads byte-identical through the CLI's
// code, and a file the CLI uploads downloads byte-identical in the browser.
func TestBrowserAndCLIInteroperate(t *testing.T) {
	ctx := context.Background()
	srv, client := newVault(t)
	for _, size := range []int{1, 100 << 10, 3<<20 + 17} {
		plain := random(t, size)
		key := newKey(t)

		var car bytes.Buffer
		enc, err := webclient.EncryptToCAR(ctx, bytes.NewReader(plain), int64(size), key, &car)
		require.NoError(t, err)
		want, err := envelope.EncryptedSize(int64(size))
		require.NoError(t, err)
		require.Equal(t, want, enc.Size, "the record's size_bytes is the padded size class")
		status, stored := postRootLast(t, srv, car.Bytes())
		require.Equal(t, http.StatusCreated, status)
		require.Equal(t, enc.Root.String(), stored, "the vault computes the same root as the browser")

		var viaCLI bytes.Buffer
		_, err = medclient.Download(ctx, client, enc.Root, key, &viaCLI)
		require.NoError(t, err)
		require.Equal(t, plain, viaCLI.Bytes(), "browser upload, CLI download")

		up, err := medclient.Upload(ctx, client, bytes.NewReader(plain), int64(size), key)
		require.NoError(t, err)
		var inBrowser bytes.Buffer
		n, err := webclient.DecryptCAR(ctx, bytes.NewReader(fetchCAR(t, client, up.CID)), up.CID, up.Size, key, &inBrowser)
		require.NoError(t, err)
		require.Equal(t, int64(size), n)
		require.Equal(t, plain, inBrowser.Bytes(), "CLI upload, browser download")
	}
}

// A hostile or broken vault's answer never decrypts to anything accepted.
func TestDecryptRefusesBadAnswers(t *testing.T) {
	ctx := context.Background()
	srv, client := newVault(t)
	plain := random(t, 2<<20+3)
	key := newKey(t)
	var car bytes.Buffer
	enc, err := webclient.EncryptToCAR(ctx, bytes.NewReader(plain), int64(len(plain)), key, &car)
	require.NoError(t, err)
	status, _ := postRootLast(t, srv, car.Bytes())
	require.Equal(t, http.StatusCreated, status)
	good := fetchCAR(t, client, enc.Root)

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	_, err = webclient.DecryptCAR(ctx, bytes.NewReader(flipped), enc.Root, enc.Size, key, io.Discard)
	require.Error(t, err, "a flipped bit in a block")

	_, err = webclient.DecryptCAR(ctx, bytes.NewReader(good[:len(good)-100]), enc.Root, enc.Size, key, io.Discard)
	require.Error(t, err, "a truncated answer")

	_, err = webclient.DecryptCAR(ctx, bytes.NewReader(good), enc.Root, enc.Size, newKey(t), io.Discard)
	require.ErrorIs(t, err, envelope.ErrNotForThisKey, "another record's key")

	other, err := medclient.Upload(ctx, client, bytes.NewReader(random(t, 1000)), 1000, key)
	require.NoError(t, err)
	_, err = webclient.DecryptCAR(ctx, bytes.NewReader(fetchCAR(t, client, other.CID)), enc.Root, enc.Size, key, io.Discard)
	require.Error(t, err, "another payload's CAR for this root")

	_, err = webclient.DecryptCAR(ctx, bytes.NewReader(good), enc.Root, 1000, key, io.Discard)
	require.Error(t, err, "more CAR than the record's size allows")
}

func TestEncryptRefusesEmpty(t *testing.T) {
	_, err := webclient.EncryptToCAR(context.Background(), bytes.NewReader(nil), 0, newKey(t), io.Discard)
	require.ErrorContains(t, err, "empty")
}

// A rotation in the browser: the payload re-encrypted under a new key
// downloads byte-identical through the CLI with the new key only.
func TestReencryptInTheBrowser(t *testing.T) {
	ctx := context.Background()
	srv, client := newVault(t)
	plain := random(t, 1<<20+99)
	oldKey, newKey_ := newKey(t), newKey(t)
	up, err := medclient.Upload(ctx, client, bytes.NewReader(plain), int64(len(plain)), oldKey)
	require.NoError(t, err)

	var car bytes.Buffer
	rot, err := webclient.Reencrypt(ctx, bytes.NewReader(fetchCAR(t, client, up.CID)), up.CID, up.Size, oldKey, newKey_, &car)
	require.NoError(t, err)
	require.NotEqual(t, up.CID, rot.Root)
	require.Equal(t, up.Size, rot.Size, "a rotation keeps the size class")
	status, stored := postRootLast(t, srv, car.Bytes())
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, rot.Root.String(), stored)

	var got bytes.Buffer
	_, err = medclient.Download(ctx, client, rot.Root, newKey_, &got)
	require.NoError(t, err)
	require.Equal(t, plain, got.Bytes())
	_, err = medclient.Download(ctx, client, rot.Root, oldKey, io.Discard)
	require.ErrorIs(t, err, envelope.ErrNotForThisKey, "the old key opens nothing the rotated record points at")

	_, err = webclient.Reencrypt(ctx, bytes.NewReader(fetchCAR(t, client, up.CID)), up.CID, up.Size, newKey(t), newKey_, io.Discard)
	require.ErrorIs(t, err, envelope.ErrNotForThisKey, "the wrong old key")
}
