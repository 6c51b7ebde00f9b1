package vault

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/ipfs/go-cid"
)

// KuboClient stores and fetches through a Kubo node's RPC API
// (`ipfs daemon`, usually http://127.0.0.1:5001) instead of a medchain
// vault: `medchaind --ipfs-api`. Uploads are CAR imports with their root
// pinned (`ipfs dag import --pin-roots`); downloads are CAR exports (`ipfs
// dag export`). Kubo is trusted no more than a gateway: Fetch verifies
// every block against its CID, and the DAG's completeness, before it
// writes anything.
type KuboClient struct {
	api string
	hc  *http.Client

	// MaxFetchBytes and TempDir are as in Client.
	MaxFetchBytes int64
	TempDir       string
}

// NewKuboClient returns a client of the Kubo RPC API at apiURL. A nil
// httpClient means http.DefaultClient.
func NewKuboClient(apiURL string, httpClient *http.Client) *KuboClient {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &KuboClient{api: strings.TrimRight(apiURL, "/"), hc: httpClient}
}

// kuboImport is one line of `dag import`'s newline-delimited answer.
type kuboImport struct {
	Root *struct {
		Cid struct {
			Slash string `json:"/"`
		} `json:"Cid"`
		PinErrorMsg string `json:"PinErrorMsg"`
	} `json:"Root"`
}

// Upload imports a CARv1 (its header must name the root) and pins the
// root, returning the root Kubo reports. The CAR is streamed as a
// multipart body, never held in memory. Kubo signs no receipt, so what it
// stores cannot be claimed by a record: records are registered through a
// hospital's vault.
func (k *KuboClient) Upload(ctx context.Context, car io.Reader) (UploadResponse, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", "upload.car")
		if err == nil {
			_, err = io.Copy(part, car)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	resp, err := k.post(ctx, "dag/import", url.Values{"pin-roots": {"true"}}, pr, mw.FormDataContentType())
	pr.CloseWithError(errors.Join(err, errUploadEnded))
	if err != nil {
		return UploadResponse{}, fmt.Errorf("kubo: dag import: %w", err)
	}
	defer resp.Body.Close()
	var root string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line kuboImport
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return UploadResponse{}, fmt.Errorf("kubo: dag import: unexpected answer %q: %w", sc.Text(), err)
		}
		if line.Root == nil {
			continue // statistics
		}
		if line.Root.PinErrorMsg != "" {
			return UploadResponse{}, fmt.Errorf("kubo: dag import: pinning %s failed: %s", line.Root.Cid.Slash, line.Root.PinErrorMsg)
		}
		root = line.Root.Cid.Slash
	}
	if err := sc.Err(); err != nil {
		return UploadResponse{}, fmt.Errorf("kubo: dag import: %w", err)
	}
	if _, err := cid.Decode(root); err != nil {
		return UploadResponse{}, fmt.Errorf("kubo: dag import named no valid root (%q): %w", root, err)
	}
	return UploadResponse{CID: root}, nil
}

// Fetch exports the DAG under root as a CAR and writes the file's content
// to dst once every block is verified, as Client.Fetch does.
func (k *KuboClient) Fetch(ctx context.Context, root cid.Cid, dst io.Writer) error {
	resp, err := k.post(ctx, "dag/export", url.Values{"arg": {root.String()}}, nil, "")
	if err != nil {
		return fmt.Errorf("kubo: dag export %s: %w", root, err)
	}
	defer resp.Body.Close()
	return fetchVerified(ctx, resp.Body, root, k.MaxFetchBytes, k.TempDir, dst)
}

// post calls one RPC command. Kubo answers errors as JSON
// {"Message", "Code", "Type": "error"}, which becomes the error's text.
func (k *KuboClient) post(ctx context.Context, command string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.api+"/api/v0/"+command+"?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := k.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var kerr struct{ Message string }
	if json.Unmarshal(raw, &kerr) == nil && kerr.Message != "" {
		if strings.Contains(kerr.Message, "not found") || resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, kerr.Message)
		}
		return nil, fmt.Errorf("%s (HTTP %d)", kerr.Message, resp.StatusCode)
	}
	return nil, &HTTPError{Op: command, StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
}
