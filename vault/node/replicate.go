package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
	"github.com/medchain/medchain/x/records/placement"
)

// repairBytes counts the CAR bytes fetched from peers by every Repair
// (vault_repair_bytes_total).
type byteCounter struct {
	r io.Reader
	n *atomic.Int64
}

func (c byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// RepairBytes is how many CAR bytes repairs have fetched from peers.
func (r *Reconciler) RepairBytes() int64 { return r.repairBytes.Load() }

// Repair fetches each missing CID from its sources in turn, verifying
// every block (vault.Store.ImportReplica), and pins it for its record. A
// source that fails, times out or lacks the CID is skipped for the next.
// It returns how many CIDs it repaired; what it could not get stays
// missing until the next pass.
func (r *Reconciler) Repair(ctx context.Context, missing []Repair, maxBytes int64) int {
	repaired := 0
	for _, m := range missing {
		if ctx.Err() != nil {
			break
		}
		var errs []error
		for _, src := range m.Sources {
			if err := r.fetchFrom(ctx, src.VaultURL, m, maxBytes); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", src.VaultURL, err))
				continue
			}
			r.repaired(m.CID)
			repaired++
			r.log.Info("vault: replica fetched", "cid", m.CID.String(), "record", m.RecordID, "from", src.VaultURL)
			errs = nil
			break
		}
		if len(errs) > 0 || len(m.Sources) == 0 {
			r.log.Error("vault: could not fetch a replica placed on this vault", "cid", m.CID.String(),
				"record", m.RecordID, "sources", len(m.Sources), "errors", fmt.Sprint(errs))
		}
	}
	return repaired
}

func (r *Reconciler) fetchFrom(ctx context.Context, vaultURL string, m Repair, maxBytes int64) error {
	if r.peers == nil {
		return fmt.Errorf("no peers configured")
	}
	body, err := r.peers.FetchCAR(ctx, vaultURL, m.CID)
	if err != nil {
		return err
	}
	defer body.Close()
	if _, err := r.store.ImportReplica(ctx, byteCounter{body, &r.repairBytes}, maxBytes, m.CID); err != nil {
		return err
	}
	return r.store.PinRecord(ctx, m.CID, m.RecordID, m.Version)
}

// HTTPPeers reaches other vaults over HTTP (the trustless-gateway reads),
// with a ticket from Ticket on every request when it is set, so that gated
// vaults serve replica reads to this hospital.
type HTTPPeers struct {
	Client *http.Client
	// Ticket, if set, signs a replica ticket for c as this vault's
	// hospital, bound to the chain and the peer's vault_id.
	Ticket func(chainID, vaultID string, c cid.Cid) (string, error)
	// ChainID is the chain tickets name ("" until the node said).
	ChainID func() string
	// FetchTimeout bounds one fetch (default 30 minutes).
	FetchTimeout time.Duration

	ids *sync.Map // vault URL -> vault_id
}

func (p HTTPPeers) client(ctx context.Context, vaultURL string, c cid.Cid) (*vault.Client, error) {
	vc := vault.NewClient(vaultURL, p.Client)
	if p.Ticket != nil {
		id, err := p.vaultID(ctx, vaultURL)
		if err != nil {
			return nil, err
		}
		chainID := ""
		if p.ChainID != nil {
			chainID = p.ChainID()
		}
		t, err := p.Ticket(chainID, id, c)
		if err != nil {
			return nil, fmt.Errorf("signing a replica ticket: %w", err)
		}
		vc.Header = http.Header{"X-Medchain-Ticket": {t}}
	}
	return vc, nil
}

// vaultID asks a peer for its vault_id, once.
func (p HTTPPeers) vaultID(ctx context.Context, vaultURL string) (string, error) {
	if p.ids != nil {
		if id, ok := p.ids.Load(vaultURL); ok {
			return id.(string), nil
		}
	}
	id, err := vault.NewClient(vaultURL, p.Client).ID(ctx)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%s did not say its vault id", vaultURL)
	}
	if p.ids != nil {
		p.ids.Store(vaultURL, id)
	}
	return id, nil
}

// NewHTTPPeers returns peers reached with c.
func NewHTTPPeers(c *http.Client) HTTPPeers { return HTTPPeers{Client: c, ids: &sync.Map{}} }

// Has implements Peers.
func (p HTTPPeers) Has(ctx context.Context, vaultURL string, c cid.Cid) (bool, error) {
	vc, err := p.client(ctx, vaultURL, c)
	if err != nil {
		return false, err
	}
	return vc.Has(ctx, c)
}

// FetchCAR implements Peers.
func (p HTTPPeers) FetchCAR(ctx context.Context, vaultURL string, c cid.Cid) (io.ReadCloser, error) {
	vc, err := p.client(ctx, vaultURL, c)
	if err != nil {
		return nil, err
	}
	timeout := p.FetchTimeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	body, err := vc.FetchCAR(ctx, c)
	if err != nil {
		cancel()
		return nil, err
	}
	return cancelOnClose{body, cancel}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// Enqueue asks for c (a version of record recordID that a new event pins
// and this vault lacks) to be fetched now if it is placed here, using the
// hospitals' vaults of the last pass; the next pass catches up whatever
// this misses (a full queue, no pass yet).
func (r *Reconciler) Enqueue(c cid.Cid, recordID, version uint64) {
	r.placeMu.Lock()
	replicas, factor := r.replicas, r.factor
	r.placeMu.Unlock()
	if replicas == nil && !r.passed.Load() {
		return
	}
	placed := placement.Place(c, replicas, factor)
	if len(replicas) > 0 && !containsReplica(placed, r.Self) {
		return
	}
	select {
	case r.queue <- Repair{CID: c, RecordID: recordID, Version: version, Sources: sources(placed, replicas, r.Self)}:
	default:
	}
}

// Queue is where Enqueue puts the CIDs to fetch now.
func (r *Reconciler) Queue() <-chan Repair { return r.queue }
