package medclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Replicas is a Remote that reads a payload from Primary first and then
// from the vaults placement names for it, in order, moving on to the next
// on an error, a timeout or a 404; it writes to Primary. Every vault's answer
// is verified block by block (vault.Client.Fetch), so a vault that lies is
// just one more that failed.
type Replicas struct {
	// Primary takes uploads and is the last place reads are tried.
	Primary    Remote
	PrimaryURL string
	// Placed returns the vault URLs placement names for root, in order.
	Placed func(ctx context.Context, root cid.Cid) ([]string, error)
	// HTTP reaches the placed vaults.
	HTTP *http.Client
	// Ticket, if set, signs a fresh access-gate ticket for root for each
	// vault tried (tickets are bound to one vault, which burns its nonce).
	Ticket func(vaultURL string, root cid.Cid) (string, error)
	// Log, if set, hears which vault failed and which is tried next.
	Log io.Writer
	// MaxFetchBytes bounds each vault's CAR (0: no bound).
	MaxFetchBytes int64
}

// Upload implements Remote: uploads go to Primary.
func (r *Replicas) Upload(ctx context.Context, car io.Reader) (vault.UploadResponse, error) {
	return r.Primary.Upload(ctx, car)
}

// Fetch implements Remote.
func (r *Replicas) Fetch(ctx context.Context, root cid.Cid, dst io.Writer) error {
	urls, err := r.Placed(ctx, root)
	if err != nil && r.Log != nil {
		fmt.Fprintf(r.Log, "could not ask the chain where %s is placed (%v); trying %s\n", root, err, r.PrimaryURL)
	}
	if err != nil {
		urls = nil
	}
	tried := map[string]bool{}
	var errs []string
	for _, u := range append([]string{r.PrimaryURL}, urls...) {
		u = strings.TrimRight(u, "/")
		if u == "" || tried[u] {
			continue
		}
		tried[u] = true
		vc := vault.NewClient(u, r.HTTP)
		if pc, ok := r.Primary.(*vault.Client); ok && u == strings.TrimRight(r.PrimaryURL, "/") {
			vc = pc
		}
		if r.MaxFetchBytes > 0 {
			vc.MaxFetchBytes = r.MaxFetchBytes
		}
		if r.Ticket != nil {
			t, err := r.Ticket(u, root)
			if err != nil { // the vault does not answer its status: the next one
				errs = append(errs, fmt.Sprintf("%s: %v", u, err))
				if r.Log != nil {
					fmt.Fprintf(r.Log, "vault %s: %v; trying the next\n", u, err)
				}
				continue
			}
			vc.Header = http.Header{"X-Medchain-Ticket": {t}}
		}
		w := &countingWriter{w: dst}
		err := vc.Fetch(ctx, root, w)
		if err == nil {
			return nil
		}
		if w.n > 0 || ctx.Err() != nil {
			return err // the payload was being written: not a vault's failure
		}
		errs = append(errs, fmt.Sprintf("%s: %v", u, err))
		if r.Log != nil {
			fmt.Fprintf(r.Log, "vault %s could not serve %s (%v); trying the next\n", u, root, err)
		}
	}
	return fmt.Errorf("no vault could serve %s: %s: %w", root, strings.Join(errs, "; "), errNoReplica)
}

var errNoReplica = errors.New("every placed vault failed")

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// PlacedVaults asks the chain which vaults hold root, in order.
func PlacedVaults(ctx context.Context, clientCtx client.Context, root cid.Cid) ([]string, error) {
	resp, err := recordstypes.NewQueryClient(clientCtx).Placement(ctx, &recordstypes.QueryPlacementRequest{Cid: root.String()})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(resp.Replicas))
	for _, r := range resp.Replicas {
		out = append(out, r.VaultUrl)
	}
	return out, nil
}

// ReplicaHTTPClient reaches vaults with timeouts short enough to fail over
// from one that is down or hangs: 5 s to connect, 30 s for the answer's
// headers (the body may take as long as the payload needs).
func ReplicaHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       90 * time.Second,
	}}
}

// NewReadRemote returns where a client that reads payloads reads from:
// remote (the vault at base) first, then the vaults placement names for
// each payload, in order, failing over from one that is down, slow or
// lacks it; log hears of each failover. A Kubo remote (base empty) is
// returned as it is. Uploads go to remote.
func NewReadRemote(remote Remote, base string, clientCtx client.Context, log io.Writer) Remote {
	if base == "" {
		return remote
	}
	return &Replicas{
		Primary: remote, PrimaryURL: base, HTTP: ReplicaHTTPClient(), Log: log,
		Placed: func(ctx context.Context, root cid.Cid) ([]string, error) {
			return PlacedVaults(ctx, clientCtx, root)
		},
	}
}

// BoundFetch makes every read through remote stop after the CAR of a
// payload of size encrypted bytes (as the chain records it) could have
// ended: a vault that streams more is refused, and nothing it sent is kept.
func BoundFetch(remote Remote, size uint64) {
	bound := vault.CARSizeBound(int64(size))
	switch r := remote.(type) {
	case *vault.Client:
		r.MaxFetchBytes = bound
	case *Replicas:
		r.MaxFetchBytes = bound
		if pc, ok := r.Primary.(*vault.Client); ok {
			pc.MaxFetchBytes = bound
		}
	}
}
