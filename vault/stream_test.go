package vault

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"
)

// A streamed (root-last) upload gives the same root as Import and Kubo,
// and the vault serves the same bytes back.
func TestUploadFileStreamsRootLast(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1, ChunkSize, 3*ChunkSize + 7, 180 * 1024 * 7} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i/4096)
		}
		ref, err := Open(t.TempDir())
		require.NoError(t, err)
		want, _, err := ref.Import(ctx, bytes.NewReader(data))
		require.NoError(t, err)
		ref.Close()

		store, err := Open(t.TempDir())
		require.NoError(t, err)
		srv := httptest.NewServer(NewServer(store, Config{}))
		root, err := NewClient(srv.URL, srv.Client()).UploadFile(ctx, bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, want, root, "size %d", size)
		r, err := store.Cat(ctx, root)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, data, got)
		r.Close()
		srv.Close()
		store.Close()
	}
}

// A root-last CAR cut short, or one whose last block is not a file root,
// is refused and leaves no block behind.
func TestStreamedUploadRejectedLeavesNothing(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 3*ChunkSize+5)
	var car bytes.Buffer
	_, _, err := StreamCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)

	for name, body := range map[string][]byte{
		"truncated":       car.Bytes()[:car.Len()-ChunkSize/2],
		"root block lost": car.Bytes()[:car.Len()-300], // the last section is the small root node
	} {
		t.Run(name, func(t *testing.T) {
			store, err := Open(t.TempDir())
			require.NoError(t, err)
			defer store.Close()
			_, _, err = store.importCARStream(ctx, bytes.NewReader(body), 0, true)
			require.Error(t, err)
			n := 0
			keys, err := store.raw.AllKeysChan(ctx)
			require.NoError(t, err)
			for range keys {
				n++
			}
			require.Zero(t, n, "a rejected upload left blocks behind")
		})
	}

	// The same CAR read as a standard one names a placeholder root the
	// vault refuses.
	store, err := Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()
	_, err = store.ImportCAR(ctx, bytes.NewReader(car.Bytes()), 0)
	require.ErrorIs(t, err, ErrUnsupportedCID)
}

func TestVerifyCAR(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 2*ChunkSize+9)
	var car bytes.Buffer
	root, err := BuildCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)

	v, err := VerifyCAR(ctx, bytes.NewReader(car.Bytes()), root, t.TempDir())
	require.NoError(t, err)
	// Root, one zero chunk shared by both full chunks, and the tail.
	require.Equal(t, Verified{Root: root, Blocks: 3, Size: int64(len(data))}, v)
	v, err = VerifyCAR(ctx, bytes.NewReader(car.Bytes()), cid.Undef, t.TempDir())
	require.NoError(t, err)
	require.Equal(t, root, v.Root)

	bad := bytes.Clone(car.Bytes())
	bad[len(bad)-10] ^= 1
	_, err = VerifyCAR(ctx, bytes.NewReader(bad), root, t.TempDir())
	require.ErrorIs(t, err, ErrBlockMismatch)
	_, err = VerifyCAR(ctx, bytes.NewReader(car.Bytes()[:car.Len()/2]), root, t.TempDir())
	require.Error(t, err)
}
