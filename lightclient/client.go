// Package lightclient answers "may X read record R?" from any full node
// without trusting it. A CometBFT light client verifies headers from a
// trusted height and hash (skipping verification, checked against at least
// one witness, kept in a trusted store on disk so restarts resume), and
// every store value the answer depends on is fetched with prove=true and
// checked, ICS23 proof by proof (IAVL, then the multistore), against the
// app hash of a verified header. Absence is proven as well as presence, so
// "denied" is as verifiable as "allowed".
//
// A primary that lies (a forged value, a proof for another key, an answer
// at another height) is caught by the proof check; the same question is
// then put to the witnesses, and the error names the node that lied.
package lightclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/medchain/medchain/x/records/placement"
)

// TrustOptions is where trust starts: a header height and hash obtained
// from a source the user trusts (their own node, a hospital's published
// checkpoint), and the trusting period (shorter than the unbonding time).
type TrustOptions struct {
	Height int64
	Hash   []byte
	Period time.Duration
}

// DefaultTrustPeriod is two thirds of the SDK's default unbonding time (21
// days). It must stay below the chain's unbonding time: the localnet's is
// 600 s, so pass a shorter period there.
const DefaultTrustPeriod = 14 * 24 * time.Hour

// Config configures a Client.
type Config struct {
	ChainID string
	// Primary is the RPC address (http://host:port) of the node answering.
	Primary string
	// Witnesses are other nodes' RPC addresses; headers are compared with
	// theirs, and a lying primary is named against them. At least one.
	Witnesses []string
	// Trust starts trust. With a zero Height the client resumes from the
	// trusted store in Dir.
	Trust TrustOptions
	// Dir holds the trusted store (a LevelDB database).
	Dir string
	// MaxHeaderAge refuses answers from a verified header older than this
	// (0: DefaultMaxHeaderAge): a primary that stops reporting new headers
	// would otherwise keep the client answering from an old, validly
	// proven state (a revoked grant still allowed, expiry judged on old
	// time).
	MaxHeaderAge time.Duration
}

// DefaultMaxHeaderAge is how old the newest verified header may be.
const DefaultMaxHeaderAge = 30 * time.Second

// Client is a verifying client of one chain. It is safe for concurrent
// use: header syncs are serialised (and shared for syncReuse), proofs are
// fetched and checked concurrently.
type Client struct {
	cfg       Config
	lc        *light.Client
	db        dbm.DB
	primary   *rpchttp.HTTP
	witnesses map[string]*rpchttp.HTTP

	syncMu sync.Mutex
	last   *cmttypes.LightBlock // the last header synced and checked fresh
	lastAt time.Time

	// The last proven ReplicasAt, for the other checks at its height.
	replicasMu     sync.Mutex
	replicasHeight int64
	replicas       []placement.Replica
	replicaFactor  int
}

// syncReuse is how long a synced, fresh header serves checks before the
// next sync (a block takes about a second).
const syncReuse = 500 * time.Millisecond

// ErrNoTrust is returned when there is neither trust options nor a trusted
// store to resume from.
var ErrNoTrust = errors.New("no trusted header yet")

// New starts a light client: it verifies the trusted header (fetching it if
// the store does not have it) and is ready to sync to the latest block.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.ChainID == "" || cfg.Primary == "" {
		return nil, errors.New("lightclient: the chain id and a primary RPC address are required")
	}
	if len(cfg.Witnesses) == 0 {
		return nil, errors.New("lightclient: at least one witness (another node's RPC address) is required: " +
			"a lying primary can only be caught and named against another node")
	}
	if cfg.Trust.Period <= 0 {
		cfg.Trust.Period = DefaultTrustPeriod
	}
	if cfg.MaxHeaderAge <= 0 {
		cfg.MaxHeaderAge = DefaultMaxHeaderAge
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("lightclient: trusted store: %w", err)
	}
	db, err := dbm.NewDB("trusted-headers", dbm.GoLevelDBBackend, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("lightclient: opening the trusted store in %s: %w", cfg.Dir, err)
	}
	store := lightdb.New(db, cfg.ChainID)
	opts := []light.Option{light.Logger(cmtlog.NewNopLogger()), light.SkippingVerification(light.DefaultTrustLevel)}
	var lc *light.Client
	if cfg.Trust.Height > 0 {
		lc, err = light.NewHTTPClient(ctx, cfg.ChainID, light.TrustOptions{
			Period: cfg.Trust.Period, Height: cfg.Trust.Height, Hash: cfg.Trust.Hash,
		}, cfg.Primary, cfg.Witnesses, store, opts...)
	} else {
		if h, _ := store.LastLightBlockHeight(); h <= 0 {
			db.Close()
			return nil, fmt.Errorf("%w in %s: give a trusted height and its block hash (from a node you trust: "+
				"`medchaind query block --type=height H` shows .header and .block_id.hash)", ErrNoTrust, cfg.Dir)
		}
		lc, err = light.NewHTTPClientFromTrustedStore(cfg.ChainID, cfg.Trust.Period, cfg.Primary, cfg.Witnesses, store, opts...)
	}
	if err != nil {
		db.Close()
		return nil, explain(err, cfg)
	}
	c := &Client{cfg: cfg, lc: lc, db: db, witnesses: map[string]*rpchttp.HTTP{}}
	if c.primary, err = rpchttp.New(cfg.Primary, "/websocket"); err != nil {
		db.Close()
		return nil, err
	}
	for _, w := range cfg.Witnesses {
		if c.witnesses[w], err = rpchttp.New(w, "/websocket"); err != nil {
			db.Close()
			return nil, err
		}
	}
	return c, nil
}

// DefaultDir is the trusted store of a chain under a medchaind home.
func DefaultDir(home, chainID string) string { return filepath.Join(home, "light", chainID) }

// Close closes the trusted store.
func (c *Client) Close() error { return c.db.Close() }

// Sync verifies the chain's latest header (skipping, from the last trusted
// one) and returns it.
func (c *Client) Sync(ctx context.Context) (*cmttypes.LightBlock, error) {
	if _, err := c.lc.Update(ctx, time.Now()); err != nil {
		return nil, explain(err, c.cfg)
	}
	h, err := c.lc.LastTrustedHeight()
	if err != nil {
		return nil, err
	}
	return c.lc.TrustedLightBlock(h)
}

// ErrStaleHeader is returned instead of an answer from an old header.
var ErrStaleHeader = errors.New("stale header")

// Fresh syncs and returns the latest verified header, refusing one older
// than MaxHeaderAge, or one a witness has already gone past: a primary
// that stops reporting new headers (CometBFT's light client then keeps the
// last one without complaint) must not make old state look current.
func (c *Client) Fresh(ctx context.Context) (*cmttypes.LightBlock, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if c.last != nil && time.Since(c.lastAt) < syncReuse {
		return c.last, nil
	}
	lb, err := c.Sync(ctx)
	if err != nil {
		return nil, err
	}
	if age := time.Since(lb.Time); age > c.cfg.MaxHeaderAge {
		return nil, fmt.Errorf("%w: the newest header %s gives is height %d from %s, %s old, more than the %s allowed: "+
			"it may be stalled or withholding blocks, so its state is not answered from (ask another node with --node, or wait)",
			ErrStaleHeader, c.cfg.Primary, lb.Height, lb.Time.UTC().Format(time.RFC3339), age.Round(time.Second), c.cfg.MaxHeaderAge)
	}
	if err := c.crossCheck(ctx, lb.Height); err != nil {
		return nil, err
	}
	c.last, c.lastAt = lb, time.Now()
	return lb, nil
}

// crossCheck asks the witnesses for their latest height: one more than a
// couple of blocks ahead of the primary's newest header means the primary
// withholds newer ones. A witness that does not answer is not held against
// the primary (the age bound still applies).
func (c *Client) crossCheck(ctx context.Context, height int64) error {
	const slack = 2
	type answer struct {
		addr   string
		height int64
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	answers := make(chan answer, len(c.witnesses))
	for addr, w := range c.witnesses {
		go func() {
			st, err := w.Status(ctx)
			if err != nil {
				answers <- answer{addr, 0}
				return
			}
			answers <- answer{addr, st.SyncInfo.LatestBlockHeight}
		}()
	}
	for range c.witnesses {
		if a := <-answers; a.height > height+slack {
			return fmt.Errorf("%w: the primary %s reports height %d as its newest, but witness %s is at %d: the primary is "+
				"withholding newer headers (or lagging); not answering from its state", ErrStaleHeader, c.cfg.Primary, height, a.addr, a.height)
		}
	}
	return nil
}

// VerifyHeight verifies the header at height (from the trusted store when
// it is there).
func (c *Client) VerifyHeight(ctx context.Context, height int64) (*cmttypes.LightBlock, error) {
	lb, err := c.lc.VerifyLightBlockAtHeight(ctx, height, time.Now())
	if err != nil {
		return nil, explain(err, c.cfg)
	}
	return lb, nil
}

// explain turns the light client's errors into what the user should do.
func explain(err error, cfg Config) error {
	var expired light.ErrOldHeaderExpired
	switch {
	case errors.As(err, &expired):
		return fmt.Errorf("the trusted header expired at %s (trusting period %s): its validators may have unbonded since, "+
			"so it can no longer vouch for new headers. Get a recent height and block hash from a node you trust and run again "+
			"with --trust-height and --trust-hash (the store in %s will be updated): %w",
			expired.At.UTC().Format(time.RFC3339), cfg.Trust.Period, cfg.Dir, err)
	case errors.Is(err, light.ErrLightClientAttack):
		return fmt.Errorf("the primary %s and a witness gave conflicting headers: one of them is lying about the chain "+
			"(evidence was reported to the witnesses); do not trust either answer: %w", cfg.Primary, err)
	}
	return err
}

// abciQuery runs a proving ABCI query against one node.
func abciQuery(ctx context.Context, node *rpchttp.HTTP, path string, key []byte, height int64) (value []byte, resHeight int64, proof *cmtcrypto.ProofOps, err error) {
	res, err := node.ABCIQueryWithOptions(ctx, path, key, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		return nil, 0, nil, err
	}
	if !res.Response.IsOK() {
		return nil, 0, nil, fmt.Errorf("query %s failed: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return res.Response.Value, res.Response.Height, res.Response.ProofOps, nil
}

// HTTPAddress turns the SDK's tcp://host:port (or a bare host:port) into
// the http://host:port the light client's providers dial.
func HTTPAddress(addr string) string {
	if rest, ok := strings.CutPrefix(addr, "tcp://"); ok {
		return "http://" + rest
	}
	if !strings.Contains(addr, "://") {
		return "http://" + addr
	}
	return addr
}

// ChainID asks a node's RPC for its chain id.
func ChainID(ctx context.Context, rpcAddr string) (string, error) {
	c, err := rpchttp.New(HTTPAddress(rpcAddr), "/websocket")
	if err != nil {
		return "", err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("asking %s for its chain id: %w", rpcAddr, err)
	}
	return st.NodeInfo.Network, nil
}
