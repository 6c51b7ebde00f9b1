package node

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// Emergency release modes ([vault] emergency-release).
const (
	// ReleaseAuto releases this hospital's share to every open emergency
	// access of a patient whose custodian it is, within
	// EmergencyReleasePerPractitionerPerDay.
	ReleaseAuto = "auto"
	// ReleaseManual leaves releases to the operator
	// (`medchaind tx access release-share`); the node only logs what waits.
	ReleaseManual = "manual"
	// ReleaseOff does neither.
	ReleaseOff = "off"
)

// Custodian is a hospital node's emergency release service: it watches the
// open emergency accesses on chain and, for each patient whose policy
// names this hospital as a custodian and each practitioner x/issuers still
// authorises, opens the hospital's share with the
// hospital's encryption key (derived from its account key in the node's
// keyring) and releases it, re-sealed to the practitioner, in a
// transaction signed by the hospital. The chain checks who may break the
// glass and for how long, bounds each practitioner's open accesses and
// each organisation's break-glasses per day, and spends a policy once one
// access reaches its threshold (its other accesses close, so they leave
// the open list this service watches); the service adds a per-practitioner
// daily bound of its own, so one hospital's node stops helping a
// practitioner who breaks the glass too often even before governance acts.
type Custodian struct {
	clientCtx client.Context
	txf       tx.Factory
	self      string
	mode      string
	perDay    int
	interval  time.Duration
	log       Logger

	kpOnce sync.Once
	kp     *envelope.KeyPair
	kpErr  error

	// chain answers consider's questions and sends the release; the node
	// uses nodeChain, tests a fake.
	chain custodianChain

	mu       sync.Mutex
	released map[string][]time.Time // practitioner -> release times (24 h)
	sent     map[uint64]time.Time   // access id -> when a release was sent
	warned   map[uint64]bool
	failed   map[uint64]string // access id -> the last error logged for it

	// metrics count releases and failures (nil: not counted); the vault
	// that runs the custodian exports them.
	metrics *releaseMetrics
}

// NewCustodian builds the release service from the node's client context
// (codec, tx config, account retriever, in-process client) and [vault]:
// the hospital's key in the node's keyring signs the releases.
func NewCustodian(clientCtx client.Context, cfg Config, home string, log Logger) (*Custodian, error) {
	if cfg.HospitalKey == "" || cfg.Hospital == "" {
		return nil, fmt.Errorf("[vault] emergency-release %q needs hospital and hospital-key", cfg.EmergencyRelease)
	}
	clientCtx, txf, err := hospitalTx(clientCtx, cfg, home, log)
	if err != nil {
		return nil, err
	}
	self := cfg.Hospital
	interval := cfg.EmergencyReleaseInterval
	if interval <= 0 {
		interval = 3 * time.Second
	}
	return &Custodian{
		clientCtx: clientCtx, txf: txf, self: self, mode: cfg.EmergencyRelease, perDay: cfg.EmergencyReleasePerPractitionerPerDay,
		interval: interval, log: log, released: map[string][]time.Time{}, sent: map[uint64]time.Time{}, warned: map[uint64]bool{},
		failed: map[uint64]string{},
	}, nil
}

// custodianChain is what consider needs of the chain.
type custodianChain interface {
	// Policy returns patient's emergency policy, if any.
	Policy(ctx context.Context, patient string) (accesstypes.EmergencyPolicy, bool, error)
	// Authorised says whether x/issuers authorises practitioner now, and
	// why not.
	Authorised(ctx context.Context, practitioner string) (bool, string, error)
	// Release builds this hospital's release for a and sends it.
	Release(ctx context.Context, a accesstypes.EmergencyAccess) error
}

// nodeChain is custodianChain over the node's client context.
type nodeChain struct{ c *Custodian }

func (n nodeChain) Policy(ctx context.Context, patient string) (accesstypes.EmergencyPolicy, bool, error) {
	return medclient.EmergencyPolicyOf(ctx, n.c.clientCtx, patient)
}

func (n nodeChain) Authorised(ctx context.Context, practitioner string) (bool, string, error) {
	auth, err := issuerstypes.NewQueryClient(n.c.clientCtx).IsAuthorised(ctx, &issuerstypes.QueryIsAuthorisedRequest{Address: practitioner})
	if err != nil {
		return false, "", err
	}
	return auth.Authorised, auth.Reason, nil
}

func (n nodeChain) Release(ctx context.Context, a accesstypes.EmergencyAccess) error {
	kp, err := n.c.keyPair()
	if err != nil {
		return fmt.Errorf("deriving the hospital's encryption key: %w", err)
	}
	msg, err := medclient.BuildShareRelease(ctx, n.c.clientCtx, kp, n.c.self, a)
	if err != nil {
		return err
	}
	if err := n.c.send(ctx, msg); err != nil {
		return fmt.Errorf("sending the release: %w", err)
	}
	return nil
}

// Run polls the open emergency accesses until ctx ends. The chain id is
// read from the node once it answers.
func (c *Custodian) Run(ctx context.Context) error {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if c.txf.ChainID() == "" {
			cctx, err := medclient.EnsureChainID(ctx, c.clientCtx)
			if err != nil {
				continue // the node is still starting
			}
			c.clientCtx = cctx
			c.txf = c.txf.WithChainID(cctx.ChainID)
		}
		if err := c.pass(ctx); err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "not ready") {
			c.log.Error("emergency release: pass failed", "err", err)
		}
	}
}

// keyPair derives the hospital's encryption key pair once.
func (c *Custodian) keyPair() (*envelope.KeyPair, error) {
	c.kpOnce.Do(func() { c.kp, c.kpErr = medclient.DeriveKeyPair(c.clientCtx, c.clientCtx.FromName) })
	return c.kp, c.kpErr
}

// pass handles every open access once.
func (c *Custodian) pass(ctx context.Context) error {
	qc := accesstypes.NewQueryClient(c.clientCtx)
	var open []accesstypes.EmergencyAccess
	err := medclient.EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.OpenEmergencyAccesses(ctx, &accesstypes.QueryOpenEmergencyAccessesRequest{Pagination: page})
		if err != nil {
			return nil, err
		}
		open = append(open, resp.Accesses...)
		return resp.Pagination, nil
	})
	if err != nil {
		return err
	}
	c.considerAll(ctx, open)
	return nil
}

// considerAll considers every open access, logging each failure once (the
// same error for the same access again is only counted).
func (c *Custodian) considerAll(ctx context.Context, open []accesstypes.EmergencyAccess) {
	for _, a := range open {
		if err := c.consider(ctx, a); err != nil {
			if c.metrics != nil {
				c.metrics.failures.Inc()
			}
			c.mu.Lock()
			repeated := c.failed[a.Id] == err.Error()
			c.failed[a.Id] = err.Error()
			c.mu.Unlock()
			if !repeated {
				c.log.Error("emergency release", "access", a.Id, "patient", a.Patient, "practitioner", a.Practitioner, "err", err)
			}
		}
	}
}

// consider releases for access a when this hospital is a custodian that
// has not released yet and the mode and bounds allow it.
func (c *Custodian) consider(ctx context.Context, a accesstypes.EmergencyAccess) error {
	for _, r := range a.Releases {
		if r.Custodian == c.self {
			return nil
		}
	}
	if c.chain == nil {
		c.chain = nodeChain{c}
	}
	policy, found, err := c.chain.Policy(ctx, a.Patient)
	if err != nil || !found || policy.CustodianIndex(c.self) == 0 || policy.KeyId != a.EmergencyKeyId {
		return err
	}
	now := time.Now()
	c.mu.Lock()
	if at, ok := c.sent[a.Id]; ok && now.Sub(at) < 30*time.Second {
		c.mu.Unlock()
		return nil // sent; waiting for its block
	}
	over := !c.withinBound(a.Practitioner, now)
	first := !c.warned[a.Id]
	c.warned[a.Id] = true
	c.mu.Unlock()

	switch {
	case c.mode != ReleaseAuto:
		if first {
			c.log.Info("emergency release: waiting for the operator (`medchaind tx access release-share`)", "access", a.Id,
				"patient", a.Patient, "practitioner", a.Practitioner, "organisation", a.Organisation, "reason", a.Reason.Label())
		}
		return nil
	case over:
		if first {
			c.log.Info("emergency release: withheld, the practitioner reached this node's daily bound; the operator may release by hand",
				"access", a.Id, "practitioner", a.Practitioner, "per_day", c.perDay)
		}
		return nil
	}
	// Only for a practitioner x/issuers still authorises: one whose
	// hospital was suspended since the glass was broken gets nothing.
	authorised, why, err := c.chain.Authorised(ctx, a.Practitioner)
	if err != nil {
		return err
	}
	if !authorised {
		if first {
			c.log.Info("emergency release: withheld, the practitioner is no longer authorised", "access", a.Id,
				"practitioner", a.Practitioner, "reason", why)
		}
		return nil
	}
	if err := c.chain.Release(ctx, a); err != nil {
		return err
	}
	c.mu.Lock()
	c.sent[a.Id] = now
	c.released[a.Practitioner] = append(c.released[a.Practitioner], now)
	c.mu.Unlock()
	if c.metrics != nil {
		c.metrics.released.Inc()
	}
	c.log.Info("emergency release: share released", "access", a.Id, "patient", a.Patient, "practitioner", a.Practitioner,
		"organisation", a.Organisation, "reason", a.Reason.Label())
	return nil
}

// withinBound says whether this node may release once more to
// practitioner at now: fewer than perDay releases to it in the last 24
// hours (perDay 0: no bound). The caller holds c.mu.
func (c *Custodian) withinBound(practitioner string, now time.Time) bool {
	recent := c.released[practitioner][:0]
	for _, t := range c.released[practitioner] {
		if now.Sub(t) < 24*time.Hour {
			recent = append(recent, t)
		}
	}
	c.released[practitioner] = recent
	return c.perDay == 0 || len(recent) < c.perDay
}

// send signs msg as the hospital and broadcasts it.
func (c *Custodian) send(ctx context.Context, msg sdk.Msg) error {
	_, err := sendAsHospital(ctx, c.clientCtx, c.txf, msg, 0)
	return err
}

// hospitalTx is the node's client context and transaction factory signing
// as the hospital ([vault] hospital-key in the node's keyring), for the
// services that send transactions: emergency releases and pseudonym
// vouching.
func hospitalTx(clientCtx client.Context, cfg Config, home string, log Logger) (client.Context, tx.Factory, error) {
	kr, addr, err := hospitalKeyring(cfg, home, clientCtx.Codec, log)
	if err != nil {
		return clientCtx, tx.Factory{}, err
	}
	clientCtx = clientCtx.WithKeyring(kr).WithFromName(cfg.HospitalKey).WithFromAddress(addr).
		WithSkipConfirmation(true).WithBroadcastMode("sync").WithOutput(io.Discard)
	txf := tx.Factory{}.WithTxConfig(clientCtx.TxConfig).WithAccountRetriever(clientCtx.AccountRetriever).
		WithKeybase(kr).WithSimulateAndExecute(true).WithGasAdjustment(1.5).WithGasPrices(cfg.GasPrice).WithChainID(clientCtx.ChainID).WithFromName(cfg.HospitalKey)
	return clientCtx, txf, nil
}

// hospitalTxMu serialises the node's transactions as the hospital, which
// share one account sequence.
var hospitalTxMu sync.Mutex

// sendAsHospital signs msg as the hospital (gas from a simulation) and
// broadcasts it, waiting up to wait for its block when wait is not zero;
// a transaction the chain's simulation, CheckTx or block refuses is an
// error. It returns the transaction hash.
func sendAsHospital(ctx context.Context, clientCtx client.Context, txf tx.Factory, msg sdk.Msg, wait time.Duration) (string, error) {
	hospitalTxMu.Lock()
	defer hospitalTxMu.Unlock()
	t, err := medclient.NewTx(clientCtx, txf)
	if err != nil {
		return "", err
	}
	if err := t.Preflight(msg); err != nil {
		return "", err
	}
	var res *sdk.TxResponse
	if wait > 0 {
		res, err = t.BroadcastAndWait(ctx, wait, msg)
	} else {
		res, err = t.Broadcast(ctx, msg)
	}
	if res == nil {
		return "", err
	}
	return res.TxHash, err
}
