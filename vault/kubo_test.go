package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"
)

// fakeKubo imitates the two RPC commands KuboClient uses, over a real
// vault store: dag/import (multipart CAR, pin-roots) and dag/export.
type fakeKubo struct {
	store     *Store
	pinErr    string
	exportMut func([]byte) []byte
	parts     int
}

func (f *fakeKubo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, `{"Message":"only POST","Code":0,"Type":"error"}`, http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/api/v0/dag/import":
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || r.URL.Query().Get("pin-roots") != "true" {
			http.Error(w, `{"Message":"bad request","Code":1,"Type":"error"}`, http.StatusBadRequest)
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "file" {
			http.Error(w, `{"Message":"no file part","Code":1,"Type":"error"}`, http.StatusBadRequest)
			return
		}
		f.parts++
		root, err := f.store.ImportCAR(r.Context(), part, 0)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]any{"Message": err.Error(), "Code": 0, "Type": "error"})
			return
		}
		fmt.Fprintf(w, `{"Root":{"Cid":{"/":%q},"PinErrorMsg":%q}}`+"\n", root.String(), f.pinErr)
		fmt.Fprintln(w, `{"Stats":{"BlockCount":3,"BlockBytesCount":100}}`)
	case "/api/v0/dag/export":
		c, err := cid.Decode(r.URL.Query().Get("arg"))
		if err != nil {
			http.Error(w, `{"Message":"invalid cid","Code":0,"Type":"error"}`, http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := f.store.WriteCAR(r.Context(), c, &buf); err != nil {
			http.Error(w, `{"Message":"block was not found locally (offline): ipld: could not find `+c.String()+`","Code":0,"Type":"error"}`, http.StatusInternalServerError)
			return
		}
		body := buf.Bytes()
		if f.exportMut != nil {
			body = f.exportMut(body)
		}
		w.Header().Set("Content-Type", "application/vnd.ipld.car")
		_, _ = w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func newFakeKubo(t *testing.T) (*fakeKubo, *KuboClient) {
	t.Helper()
	store, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	f := &fakeKubo{store: store}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, NewKuboClient(srv.URL+"/", srv.Client())
}

func TestKuboClientRoundTrip(t *testing.T) {
	ctx := context.Background()
	f, k := newFakeKubo(t)
	data := bytes.Repeat([]byte("kubo"), 700_000)
	var car bytes.Buffer
	root, err := BuildCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)

	got, err := k.Upload(ctx, &car)
	require.NoError(t, err)
	require.Equal(t, root.String(), got.CID)
	require.Equal(t, 1, f.parts)

	var out bytes.Buffer
	require.NoError(t, k.Fetch(ctx, root, &out))
	require.Equal(t, data, out.Bytes())
}

func TestKuboClientErrors(t *testing.T) {
	ctx := context.Background()
	f, k := newFakeKubo(t)
	data := bytes.Repeat([]byte{7}, 3<<20+1)
	var car bytes.Buffer
	root, err := BuildCAR(ctx, bytes.NewReader(data), &car)
	require.NoError(t, err)
	carBytes := car.Bytes()

	f.pinErr = "pin: out of disk"
	_, err = k.Upload(ctx, bytes.NewReader(carBytes))
	require.ErrorContains(t, err, "out of disk")
	f.pinErr = ""

	// Kubo's JSON error comes through with its message.
	_, err = k.Upload(ctx, bytes.NewReader(carBytes[:len(carBytes)/2]))
	require.ErrorContains(t, err, "kubo: dag import")
	require.ErrorContains(t, err, "HTTP 500")

	var other bytes.Buffer
	missing, err := BuildCAR(ctx, bytes.NewReader([]byte("never uploaded")), &other)
	require.NoError(t, err)
	err = k.Fetch(ctx, missing, io.Discard)
	require.ErrorIs(t, err, ErrNotFound)

	// A corrupted export is named and nothing reaches dst.
	f.exportMut = func(b []byte) []byte { b[len(b)-50] ^= 0xff; return b }
	var out bytes.Buffer
	err = k.Fetch(ctx, root, &out)
	require.ErrorIs(t, err, ErrBlockMismatch)
	require.Zero(t, out.Len())
}
