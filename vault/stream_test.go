package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"testing"
	"time"

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
		up, err := NewClient(srv.URL, srv.Client()).UploadFile(ctx, bytes.NewReader(data))
		require.NoError(t, err)
		root := cid.MustParse(up.CID)
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
			_, _, err = store.importCARStream(ctx, bytes.NewReader(body), 0, true, cid.Undef)
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

// GC during a slow streamed upload neither waits for it nor takes its
// blocks; the upload then completes.
func TestGCDuringStreamedUpload(t *testing.T) {
	ctx := context.Background()
	store, err := Open(t.TempDir())
	require.NoError(t, err)
	defer store.Close()

	data := make([]byte, 20*ChunkSize+3)
	_, err = rand.Read(data)
	require.NoError(t, err)
	var car bytes.Buffer
	want, _, err := StreamCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)

	// The client sends 12 MiB (past one 8 MiB write batch) and stalls.
	pr, pw := io.Pipe()
	type result struct {
		root cid.Cid
		err  error
	}
	done := make(chan result, 1)
	go func() {
		root, _, err := store.importCARStream(ctx, pr, 0, true, cid.Undef)
		done <- result{root, err}
	}()
	_, err = pw.Write(car.Bytes()[:12<<20])
	require.NoError(t, err)
	require.Eventually(t, func() bool { n, _ := store.BlockCount(ctx); return n > 0 }, 5*time.Second, 10*time.Millisecond)

	gcDone := make(chan error, 1)
	go func() {
		_, err := store.GC(ctx, time.Now().Add(48*time.Hour), time.Hour)
		gcDone <- err
	}()
	select {
	case err := <-gcDone:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("GC waited for the stalled upload")
	}

	_, err = pw.Write(car.Bytes()[12<<20:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	res := <-done
	require.NoError(t, res.err)
	require.Equal(t, want, res.root)
	r, err := store.Cat(ctx, want)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	r.Close()
	require.Equal(t, data, got, "GC took blocks of the upload in progress")
}
