package vault

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type testVault struct {
	store  *Store
	srv    *httptest.Server
	client *Client
}

func newTestVault(t testing.TB, cfg Config) *testVault {
	t.Helper()
	s := openStore(t)
	srv := httptest.NewServer(NewServer(s, cfg))
	t.Cleanup(srv.Close)
	return &testVault{store: s, srv: srv, client: NewClient(srv.URL, srv.Client())}
}

func (v *testVault) do(t *testing.T, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	return v.send(t, method, path, header, nil)
}

// upload posts a body as a CAR upload, as a client other than ours would.
func (v *testVault) upload(t *testing.T, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	return v.send(t, http.MethodPost, "/api/v1/upload", map[string]string{"Content-Type": MediaTypeCAR}, body)
}

func (v *testVault) send(t *testing.T, method, path string, header map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, v.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	resp, err := v.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, answer
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d (%s), want %d", resp.Request.Method, resp.Request.URL.RequestURI(), resp.StatusCode, bytes.TrimSpace(body), status)
	}
}

func wantHeader(t *testing.T, resp *http.Response, name, want string) {
	t.Helper()
	if got := resp.Header.Get(name); got != want {
		t.Fatalf("%s: %q, want %q", name, got, want)
	}
}

func TestServeRawBlock(t *testing.T) {
	v := newTestVault(t, Config{})
	input := randomBytes(30, 1<<20+10)
	root := mustImport(t, v.store, input)
	rootBlock, err := v.store.Block(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}

	for name, req := range map[string]struct {
		path   string
		header map[string]string
	}{
		"format=raw":    {"/ipfs/" + root.String() + "?format=raw", nil},
		"Accept":        {"/ipfs/" + root.String(), map[string]string{"Accept": MediaTypeRaw}},
		"format wins":   {"/ipfs/" + root.String() + "?format=raw", map[string]string{"Accept": MediaTypeCAR}},
		"Accept with q": {"/ipfs/" + root.String(), map[string]string{"Accept": "text/html;q=0.9, application/vnd.ipld.raw, */*;q=0.1"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := v.do(t, http.MethodGet, req.path, req.header)
			wantStatus(t, resp, body, http.StatusOK)
			if !bytes.Equal(body, rootBlock) {
				t.Fatal("body is not the root block")
			}
			if sum, _ := root.Prefix().Sum(body); !sum.Equals(root) {
				t.Fatal("body does not hash to the requested CID")
			}
			wantHeader(t, resp, "Content-Type", MediaTypeRaw)
			wantHeader(t, resp, "X-Content-Type-Options", "nosniff")
			wantHeader(t, resp, "Etag", `"`+root.String()+`.raw"`)
			wantHeader(t, resp, "Cache-Control", "public, max-age=29030400, immutable")
			wantHeader(t, resp, "Content-Disposition", `attachment; filename="`+root.String()+`.bin"`)
		})
	}

	resp, body := v.do(t, http.MethodHead, "/ipfs/"+root.String()+"?format=raw", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if len(body) != 0 || resp.ContentLength != int64(len(rootBlock)) {
		t.Fatalf("HEAD: %d body bytes, Content-Length %d; want 0 and %d", len(body), resp.ContentLength, len(rootBlock))
	}

	resp, body = v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format=raw",
		map[string]string{"If-None-Match": `"` + root.String() + `.raw"`})
	wantStatus(t, resp, body, http.StatusNotModified)
}

func TestServeCAR(t *testing.T) {
	v := newTestVault(t, Config{})
	input := randomBytes(31, 3<<20+7)
	root := mustImport(t, v.store, input)

	for name, req := range map[string]struct {
		path   string
		header map[string]string
	}{
		"format=car":       {"/ipfs/" + root.String() + "?format=car", nil},
		"Accept":           {"/ipfs/" + root.String(), map[string]string{"Accept": MediaTypeCAR}},
		"Accept with dfs":  {"/ipfs/" + root.String(), map[string]string{"Accept": MediaTypeCAR + "; version=1; order=dfs; dups=n"}},
		"format wins":      {"/ipfs/" + root.String() + "?format=car", map[string]string{"Accept": MediaTypeRaw}},
		"dag-scope=entity": {"/ipfs/" + root.String() + "?format=car&dag-scope=entity", nil},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := v.do(t, http.MethodGet, req.path, req.header)
			wantStatus(t, resp, body, http.StatusOK)
			wantHeader(t, resp, "Content-Type", "application/vnd.ipld.car; version=1; order=dfs; dups=n")
			wantHeader(t, resp, "X-Content-Type-Options", "nosniff")
			wantHeader(t, resp, "Content-Disposition", `attachment; filename="`+root.String()+`.car"`)
			if !strings.HasPrefix(resp.Header.Get("Etag"), `"`+root.String()) {
				t.Fatalf("Etag %q does not start with the CID", resp.Header.Get("Etag"))
			}
			// The CAR verifies and is complete: a fresh store accepts it.
			dst := openStore(t)
			if _, err := dst.ImportCAR(t.Context(), bytes.NewReader(body), 0); err != nil {
				t.Fatalf("served CAR does not verify: %v", err)
			}
			if !bytes.Equal(cat(t, dst, root), input) {
				t.Fatal("served CAR holds other content")
			}
		})
	}

	resp, body := v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format=car&dag-scope=block", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if _, blocks := readCAR(t, body); len(blocks) != 1 || !blocks[0].c.Equals(root) {
		t.Fatalf("dag-scope=block CAR has %d blocks, want only the root", len(blocks))
	}

	resp, body = v.do(t, http.MethodHead, "/ipfs/"+root.String()+"?format=car", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if len(body) != 0 {
		t.Fatal("HEAD returned a body")
	}
	wantHeader(t, resp, "Content-Type", "application/vnd.ipld.car; version=1; order=dfs; dups=n")
}

func TestServeErrors(t *testing.T) {
	v := newTestVault(t, Config{})
	root := mustImport(t, v.store, []byte("stored"))
	absent := mustImport(t, openStore(t), []byte("not stored here"))
	path := "/ipfs/" + root.String()

	for name, tc := range map[string]struct {
		method, path string
		header       map[string]string
		status       int
		mentions     string
	}{
		"unknown CID raw":            {http.MethodGet, "/ipfs/" + absent.String() + "?format=raw", nil, http.StatusNotFound, absent.String()},
		"unknown CID car":            {http.MethodGet, "/ipfs/" + absent.String() + "?format=car", nil, http.StatusNotFound, absent.String()},
		"unknown CID HEAD":           {http.MethodHead, "/ipfs/" + absent.String() + "?format=raw", nil, http.StatusNotFound, ""},
		"only-if-cached":             {http.MethodGet, "/ipfs/" + absent.String() + "?format=raw", map[string]string{"Cache-Control": "only-if-cached"}, http.StatusPreconditionFailed, ""},
		"malformed CID":              {http.MethodGet, "/ipfs/not-a-cid?format=raw", nil, http.StatusBadRequest, "invalid CID"},
		"no format, no Accept":       {http.MethodGet, path, nil, http.StatusBadRequest, "format=raw"},
		"wildcard Accept":            {http.MethodGet, path, map[string]string{"Accept": "*/*"}, http.StatusBadRequest, "format=car"},
		"browser Accept":             {http.MethodGet, path, map[string]string{"Accept": "text/html,application/xhtml+xml"}, http.StatusNotAcceptable, "format=raw"},
		"CAR with duplicates":        {http.MethodGet, path, map[string]string{"Accept": MediaTypeCAR + "; dups=y"}, http.StatusNotAcceptable, ""},
		"unknown format":             {http.MethodGet, path + "?format=tar", nil, http.StatusBadRequest, `"tar"`},
		"bad dag-scope":              {http.MethodGet, path + "?format=car&dag-scope=everything", nil, http.StatusBadRequest, "dag-scope"},
		"entity-bytes":               {http.MethodGet, path + "?format=car&entity-bytes=0:10", nil, http.StatusBadRequest, "entity-bytes"},
		"content path":               {http.MethodGet, path + "/file.txt?format=car", nil, http.StatusBadRequest, "paths"},
		"POST to a CID":              {http.MethodPost, path, nil, http.StatusMethodNotAllowed, ""},
		"upload with wrong type":     {http.MethodPost, "/api/v1/upload", map[string]string{"Content-Type": "application/octet-stream"}, http.StatusUnsupportedMediaType, MediaTypeCAR},
		"upload without a body type": {http.MethodPost, "/api/v1/upload", nil, http.StatusUnsupportedMediaType, ""},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := v.do(t, tc.method, tc.path, tc.header)
			wantStatus(t, resp, body, tc.status)
			if !strings.Contains(string(body), tc.mentions) {
				t.Fatalf("body %q does not mention %q", body, tc.mentions)
			}
		})
	}
}

// GET /ipfs/bafkqaaa is the trustless gateway probe: the empty identity CID.
func TestServeProbe(t *testing.T) {
	v := newTestVault(t, Config{})
	resp, body := v.do(t, http.MethodGet, "/ipfs/bafkqaaa?format=raw", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if len(body) != 0 {
		t.Fatalf("probe raw body has %d bytes, want 0", len(body))
	}
	resp, body = v.do(t, http.MethodGet, "/ipfs/bafkqaaa?format=car", nil)
	wantStatus(t, resp, body, http.StatusOK)
	roots, blocks := readCAR(t, body)
	if len(roots) != 1 || roots[0].String() != "bafkqaaa" || len(blocks) != 0 {
		t.Fatalf("probe CAR roots %v with %d blocks, want [bafkqaaa] and none", roots, len(blocks))
	}
}

func TestUploadThenFetch(t *testing.T) {
	v := newTestVault(t, Config{})
	input := randomBytes(32, 3<<20+99)
	root, carBytes := buildCAR(t, input)

	got, err := v.client.Upload(t.Context(), bytes.NewReader(carBytes))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if got.CID != root.String() {
		t.Fatalf("Upload returned %s, BuildCAR %s", got.CID, root)
	}
	pins, err := v.store.Pins(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || !pins[0].Pinned() || pins[0].Reason != "upload" {
		t.Fatalf("pins after upload: %+v", pins)
	}

	var out bytes.Buffer
	if err := v.client.Fetch(t.Context(), root, &out); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !bytes.Equal(out.Bytes(), input) {
		t.Fatal("fetched content differs from the uploaded file")
	}

	// Uploading the same CAR again is harmless and answers the same CID.
	if again, err := v.client.Upload(t.Context(), bytes.NewReader(carBytes)); err != nil || again.CID != got.CID {
		t.Fatalf("second upload: %s, %v", again.CID, err)
	}
}

func TestUploadAnswer(t *testing.T) {
	v := newTestVault(t, Config{})
	root, carBytes := buildCAR(t, randomBytes(33, 1<<20+5))
	resp, body := v.upload(t, bytes.NewReader(carBytes))
	wantStatus(t, resp, body, http.StatusCreated)
	wantHeader(t, resp, "Content-Type", "application/json")
	want := `{"cid":"` + root.String() + `","size":1048581}`
	if strings.TrimSpace(string(body)) != want {
		t.Fatalf("upload answer %s, want %s", body, want)
	}
}

func TestUploadRejections(t *testing.T) {
	src := openStore(t)
	root := mustImport(t, src, randomBytes(34, 3<<20))
	good := mustCAR(t, src, root)
	roots, blocks := readCAR(t, good)
	tampered := append([]carBlock(nil), blocks...)
	tampered[1].data = bytes.Clone(tampered[1].data)
	tampered[1].data[0] ^= 0xff

	cases := map[string]struct {
		body     []byte
		limit    int64
		chunked  bool
		status   int
		mentions string
	}{
		"declared too large": {good, int64(len(good)) - 1, false, http.StatusRequestEntityTooLarge, "limit"},
		"streamed too large": {good, int64(len(good)) - 1, true, http.StatusRequestEntityTooLarge, ""},
		"tampered block":     {rawCAR(t, roots, tampered), 0, false, http.StatusBadRequest, blocks[1].c.String()},
		"missing leaf":       {rawCAR(t, roots, blocks[:3]), 0, false, http.StatusBadRequest, blocks[3].c.String()},
		"not a CAR":          {[]byte("hello"), 0, false, http.StatusBadRequest, "malformed CAR"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := newTestVault(t, Config{MaxUploadBytes: tc.limit})
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: chunked encoding
			}
			resp, msg := v.upload(t, body)
			wantStatus(t, resp, msg, tc.status)
			if !strings.Contains(string(msg), tc.mentions) {
				t.Fatalf("answer %q does not mention %q", msg, tc.mentions)
			}
			assertEmpty(t, v.store)

			_, err := v.client.Upload(t.Context(), bytes.NewReader(tc.body))
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.status {
				t.Fatalf("Client.Upload error %v, want HTTP %d", err, tc.status)
			}
			if tc.status == http.StatusRequestEntityTooLarge && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Client.Upload error %v does not match ErrTooLarge", err)
			}
		})
	}
}

// A gateway that serves a corrupted or truncated CAR must not get a single
// byte into the destination.
func TestFetchRejectsBadGateways(t *testing.T) {
	src := openStore(t)
	input := randomBytes(35, 3<<20)
	root := mustImport(t, src, input)
	good := mustCAR(t, src, root)
	roots, blocks := readCAR(t, good)
	tampered := append([]carBlock(nil), blocks...)
	tampered[2].data = bytes.Clone(tampered[2].data)
	tampered[2].data[7] ^= 0x10
	otherRoot := mustImport(t, src, []byte("another file"))
	otherData, err := src.Block(t.Context(), otherRoot)
	if err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		body []byte
		want error
	}{
		"corrupted block": {rawCAR(t, roots, tampered), ErrBlockMismatch},
		"missing block":   {rawCAR(t, roots, append(append([]carBlock(nil), blocks[:2]...), blocks[3])), ErrIncompleteDAG},
		"truncated":       {good[:len(good)/2], ErrBadCAR},
		"another DAG":     {mustCAR(t, src, otherRoot), ErrBadCAR}, // its blocks are not the root's
		"stray blocks":    {rawCAR(t, roots, append(append([]carBlock(nil), blocks...), carBlock{otherRoot, otherData})), ErrBadCAR},
	} {
		t.Run(name, func(t *testing.T) {
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", carContentType)
				_, _ = w.Write(tc.body)
			}))
			defer gw.Close()
			var out bytes.Buffer
			err := NewClient(gw.URL, gw.Client()).Fetch(t.Context(), root, &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Fetch error %v, want %v", err, tc.want)
			}
			if out.Len() != 0 {
				t.Fatalf("%d bytes written to the destination", out.Len())
			}
		})
	}

	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>"))
	}))
	defer gw.Close()
	if err := NewClient(gw.URL, nil).Fetch(t.Context(), root, io.Discard); !errors.Is(err, ErrBadCAR) {
		t.Fatalf("Fetch from a gateway answering HTML: %v, want ErrBadCAR", err)
	}
}

func TestFetchNotFound(t *testing.T) {
	v := newTestVault(t, Config{})
	absent := mustImport(t, openStore(t), []byte("elsewhere"))
	err := v.client.Fetch(t.Context(), absent, io.Discard)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Fetch of an absent CID: %v, want ErrNotFound", err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	v := newTestVault(t, Config{MaxUploadBytes: 10 << 20})
	resp, body := v.do(t, http.MethodGet, "/healthz", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if string(body) != "ok" {
		t.Fatalf("healthz body %q", body)
	}

	root, carBytes := buildCAR(t, randomBytes(36, 2<<20))
	if _, err := v.client.Upload(t.Context(), bytes.NewReader(carBytes)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.client.Upload(t.Context(), strings.NewReader("junk")); err == nil {
		t.Fatal("junk upload accepted")
	}
	if err := v.client.Fetch(t.Context(), root, io.Discard); err != nil {
		t.Fatal(err)
	}
	resp, body = v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format=raw", nil)
	wantStatus(t, resp, body, http.StatusOK)

	resp, body = v.do(t, http.MethodGet, "/metrics", nil)
	wantStatus(t, resp, body, http.StatusOK)
	text := string(body)
	for series, want := range map[string]float64{
		`vault_uploads_total{result="accepted"}`:          1,
		`vault_uploads_total{result="rejected"}`:          1,
		`vault_upload_rejections_total{reason="bad_car"}`: 1,
		`vault_stored_bytes_total`:                        float64(len(carBytes)),
		`vault_blocks_served_total{format="car"}`:         3,
		`vault_blocks_served_total{format="raw"}`:         1,
		`vault_pinned_roots`:                              1,
	} {
		if got, ok := metricValue(text, series); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if strings.Contains(text, "go_goroutines") {
		t.Error("metrics include the Go runtime collector: the vault must use a registry of its own")
	}
}

// metricValue finds one series in Prometheus text exposition.
func metricValue(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		name, value, ok := strings.Cut(line, " ")
		if ok && name == series {
			f, err := strconv.ParseFloat(value, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// A page of another origin (a hospital's portal reading a replica) may
// read and ask the status, with a ticket header; it may not upload.
func TestReadsAreOpenToOtherOrigins(t *testing.T) {
	store, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	h := NewServer(store, Config{})
	for _, path := range []string{"/ipfs/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "/api/v1/status"} {
		req := httptest.NewRequest(http.MethodOptions, path, nil)
		req.Header.Set("Origin", "http://127.0.0.1:27015")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "x-medchain-ticket")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code, path)
		require.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"), path)
		require.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "X-Medchain-Ticket", path)

		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"), path)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/api/v1/upload", nil))
	require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "uploads are not open to other origins")
}

// permitGate lets every upload in as account, on chainID.
type permitGate struct{ account, chainID string }

func (g permitGate) AllowUpload(*http.Request) (UploadPermit, error) {
	return UploadPermit{Account: g.account, ChainID: g.chainID}, nil
}

// A gated upload's answer carries the receipt the vault signs for the
// uploader the gate names, on the chain its ticket named, for the root it
// stored: what a record claiming that root must show the chain. If the
// vault cannot sign, it says so rather than hand out a root nobody could
// register.
func TestUploadAnswerCarriesTheReceipt(t *testing.T) {
	type signed struct{ chainID, uploader, root string }
	var got []signed
	v := newTestVault(t, Config{
		UploadGate: permitGate{"med1uploader", "medchain-test-1"},
		Receipts: func(chainID, uploader, root string) (*Receipt, error) {
			got = append(got, signed{chainID, uploader, root})
			return &Receipt{Hospital: "med1hospital", PubKey: []byte{2, 1}, Signature: []byte("sig of " + root)}, nil
		},
	})
	root, carBytes := buildCAR(t, randomBytes(35, 300<<10))
	up, err := v.client.Upload(t.Context(), bytes.NewReader(carBytes))
	if err != nil {
		t.Fatal(err)
	}
	if want := []signed{{"medchain-test-1", "med1uploader", root.String()}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the vault signed %+v, want %+v", got, want)
	}
	if up.Receipt == nil || up.Receipt.Hospital != "med1hospital" || string(up.Receipt.Signature) != "sig of "+root.String() {
		t.Fatalf("the answer's receipt is %+v", up.Receipt)
	}

	failing := newTestVault(t, Config{
		UploadGate: permitGate{"med1uploader", "medchain-test-1"},
		Receipts:   func(string, string, string) (*Receipt, error) { return nil, errors.New("keyring locked") },
	})
	resp, body := failing.upload(t, bytes.NewReader(carBytes))
	wantStatus(t, resp, body, http.StatusInternalServerError)
	if !strings.Contains(string(body), "could not sign its receipt") {
		t.Fatalf("the refusal says %q", body)
	}

	// Without a gate nobody is named, so there is no receipt to sign.
	open := newTestVault(t, Config{Receipts: func(string, string, string) (*Receipt, error) {
		t.Fatal("signed a receipt for an upload no gate named")
		return nil, nil
	}})
	up, err = open.client.Upload(t.Context(), bytes.NewReader(carBytes))
	if err != nil || up.Receipt != nil {
		t.Fatalf("an ungated upload: %+v, %v", up, err)
	}
}
