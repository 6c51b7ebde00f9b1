package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault/dagfile"
)

// Client talks to a vault, or to any IPFS trustless gateway for reads. It
// trusts nothing it receives: Fetch verifies every block and the DAG's
// completeness before writing a byte.
type Client struct {
	base string
	hc   *http.Client

	// MaxFetchBytes bounds the CAR Fetch accepts; zero means no bound.
	MaxFetchBytes int64
	// TempDir is where Fetch spools the CAR while verifying it (about the
	// file's size); empty means os.TempDir().
	TempDir string
	// Header is added to every read (a vault access gate's ticket).
	Header http.Header
	// UploadHeader, if set, is called before each upload for headers to
	// send with it (a fresh upload ticket).
	UploadHeader func() (http.Header, error)
}

// NewClient returns a client for the vault at baseURL (for example
// "http://127.0.0.1:8090"). A nil httpClient means http.DefaultClient.
func NewClient(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient}
}

// CARSizeBound bounds the CAR of a file of fileSize bytes as this
// package's importer builds it (the content, a CID and a length per block,
// the interior nodes): a client fetching a payload whose size the chain
// records reads no more than this, so a hostile gateway cannot stream it
// an endless CAR. Unknown (0): DefaultMaxUploadBytes.
func CARSizeBound(fileSize int64) int64 {
	if fileSize <= 0 {
		return DefaultMaxUploadBytes
	}
	return dagfile.CARSizeBound(fileSize)
}

// BaseURL is the vault's URL, as given to NewClient.
func (c *Client) BaseURL() string { return c.base }

// HTTPError is a vault's non-success answer. errors.Is matches it against
// ErrNotFound (404) and ErrTooLarge (413).
type HTTPError struct {
	Op         string
	StatusCode int
	Message    string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("vault: %s: %d %s: %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrTooLarge:
		return e.StatusCode == http.StatusRequestEntityTooLarge
	}
	return false
}

func httpError(op string, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return &HTTPError{Op: op, StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(msg))}
}

// Upload sends a CARv1 to the vault and returns its answer: the root CID
// it stored and, from a gated hospital vault, the upload receipt a record
// needs to claim that root. The vault answers only once every block is
// verified and on disk.
func (c *Client) Upload(ctx context.Context, carReader io.Reader) (UploadResponse, error) {
	return c.upload(ctx, carReader, "")
}

func (c *Client) upload(ctx context.Context, carReader io.Reader, query string) (UploadResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/upload"+query, carReader)
	if err != nil {
		return UploadResponse{}, err
	}
	req.Header.Set("Content-Type", MediaTypeCAR)
	if c.UploadHeader != nil {
		h, err := c.UploadHeader()
		if err != nil {
			return UploadResponse{}, fmt.Errorf("vault: upload: %w", err)
		}
		for k, v := range h {
			req.Header[k] = v
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return UploadResponse{}, fmt.Errorf("vault: upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return UploadResponse{}, httpError("upload", resp)
	}
	var out UploadResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return UploadResponse{}, fmt.Errorf("vault: upload: decode answer: %w", err)
	}
	if _, err := cid.Decode(out.CID); err != nil {
		return UploadResponse{}, fmt.Errorf("vault: upload: the vault answered with an invalid CID %q: %w", out.CID, err)
	}
	return out, nil
}

// FetchCAR asks for the CAR of the DAG under root. The stream is as the
// gateway sent it, unverified: use Fetch unless you verify it yourself.
func (c *Client) FetchCAR(ctx context.Context, root cid.Cid) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/ipfs/"+root.String()+"?format=car", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaTypeCAR+"; version=1; order=dfs; dups=n")
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("vault: fetch %s: %w", root, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, httpError("fetch "+root.String(), resp)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != MediaTypeCAR {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: fetch %s: the gateway answered with Content-Type %q", ErrBadCAR, root, resp.Header.Get("Content-Type"))
	}
	return resp.Body, nil
}

// Fetch downloads the file whose root is root and writes its content to
// dst. The CAR goes through the same checks as an upload (each block
// re-hashed against its CID, only sha2-256 CIDv1 raw/dag-pb, every block
// under root present, the root a UnixFS file) into a spool file on disk;
// only then is anything written to dst, so a corrupted or truncated answer
// leaves dst untouched. The CAR's header roots are ignored, as the trustless
// gateway specification asks of clients: root is what counts.
func (c *Client) Fetch(ctx context.Context, root cid.Cid, dst io.Writer) error {
	body, err := c.FetchCAR(ctx, root)
	if err != nil {
		return err
	}
	defer body.Close()
	return fetchVerified(ctx, body, root, c.MaxFetchBytes, c.TempDir, dst)
}

// fetchVerified is Fetch after the request: stage and verify the CAR, then
// write the file's content to dst. Client and KuboClient share it.
func fetchVerified(ctx context.Context, body io.Reader, root cid.Cid, maxBytes int64, tmpDir string, dst io.Writer) error {
	st, err := stageCAR(ctx, body, maxBytes, tmpDir, root)
	if err != nil {
		return fmt.Errorf("vault: fetch %s: %w", root, err)
	}
	defer st.discard()
	if _, err := st.plan(ctx, nil); err != nil {
		return fmt.Errorf("vault: fetch %s: %w", root, err)
	}
	if _, err := st.fileSize(ctx, nil); err != nil {
		return fmt.Errorf("vault: fetch %s: %w", root, err)
	}
	dag := spoolDAG{st.spool}
	nd, err := dag.Get(ctx, root)
	if err != nil {
		return err
	}
	r, err := uio.NewDagReader(ctx, nd, dag)
	if err != nil {
		return fmt.Errorf("vault: fetch %s: %w", root, err)
	}
	defer r.Close()
	if _, err := io.Copy(dst, r); err != nil {
		return fmt.Errorf("vault: fetch %s: write content: %w", root, err)
	}
	return nil
}

// BuildCAR chunks r exactly as a vault's Import does (so the CID is the one
// Kubo computes), writes the DAG as a CARv1 to w and returns the root. The
// blocks wait in a spool file in os.TempDir() until the root is known, so
// the file is never held in memory. It is how a client prepares an upload.
func BuildCAR(ctx context.Context, r io.Reader, w io.Writer) (cid.Cid, error) {
	sp, err := newSpool("")
	if err != nil {
		return cid.Undef, err
	}
	defer sp.discard()
	root, _, err := buildFile(ctx, r, spoolDAG{sp})
	if err != nil {
		return cid.Undef, err
	}
	if _, err := writeCAR(ctx, root, w, false, sp.block); err != nil {
		return cid.Undef, err
	}
	return root, nil
}

// Has asks whether the vault holds root: a HEAD of its raw block. A vault
// writes a root only once the DAG under it is complete, so yes means the
// whole payload. A gated vault answers only with a ticket in Header.
func (c *Client) Has(ctx context.Context, root cid.Cid) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.base+"/ipfs/"+root.String()+"?format=raw", nil)
	if err != nil {
		return false, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("vault: has %s: %w", root, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	default:
		return false, &HTTPError{Op: "has " + root.String(), StatusCode: resp.StatusCode}
	}
}

// ID asks the vault for its vault_id (GET /api/v1/status), which tickets
// name to bind themselves to it. A gateway that has none answers "".
func (c *Client) ID(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/status", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("the vault at %s does not answer: %w", c.base, err)
	}
	defer resp.Body.Close()
	var st struct {
		VaultID string `json:"vault_id"`
	}
	if resp.StatusCode == http.StatusOK {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&st)
	}
	return st.VaultID, nil
}
