package bridge

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/medchain/medchain/medclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Chain is what the bridge needs of the chain and the vaults. NodeChain is
// the real one; handler tests use a fake.
type Chain interface {
	// Self is the hospital's address, which signs everything.
	Self() string
	ChainID() string
	Bech32Prefix() string
	// PubKey is addr's account public key (nil before its first tx).
	PubKey(ctx context.Context, addr string) (cryptotypes.PubKey, error)
	// WriteConsent says whether patient lets the hospital write records
	// of kind now (a live WRITE scope grant covering it), and if not why.
	WriteConsent(ctx context.Context, patient string, kind recordstypes.RecordKind) (bool, string, error)
	// Create stores size bytes of src as a new record of kind of patient.
	Create(ctx context.Context, patient string, kind recordstypes.RecordKind, label string, src io.Reader, size int64) (Stored, error)
	// AddVersion stores size bytes of src as the next version of recordID.
	AddVersion(ctx context.Context, recordID uint64, src io.Reader, size int64) (Stored, error)
	// Readable lists the live records of kind reader may read now, through
	// the hospital's wraps: reader is the hospital or one of its
	// practitioners (who must then also be allowed).
	Readable(ctx context.Context, reader string, kind recordstypes.RecordKind) ([]RecordRef, error)
	// Record is recordID at its current version, and whether reader may
	// read it now (as in Readable) and if not why.
	Record(ctx context.Context, recordID uint64, reader string) (RecordRef, bool, string, error)
	// Read writes the plaintext of recordID's current version to w,
	// fetched from a vault with the hospital's ticket (the vault logs the
	// read), verified block by block, and decrypted; reader must be
	// allowed, as in Readable.
	Read(ctx context.Context, recordID uint64, reader string, w io.Writer) error
}

// Stored is a record version the bridge wrote.
type Stored struct {
	RecordID uint64
	Version  uint64
	CID      string
	Height   int64
}

// RecordRef is a record the bridge may read, at its current version.
type RecordRef struct {
	RecordID uint64
	Owner    string
	Version  uint64
	CID      string
}

// NodeChain is Chain over a node (gRPC through clientCtx) and a vault.
type NodeChain struct {
	clientCtx client.Context
	txf       tx.Factory
	vault     string
	wait      time.Duration
	// writes are sent one at a time: they share the account's sequence.
	writes sync.Mutex
	// creates are new records whose payloads are stored, waiting for the
	// batcher to register them, as many as wait together in one
	// transaction (at most MaxBatch).
	creates chan createJob
	start   sync.Once
	// uploads bounds the payloads uploaded at once: a vault takes at most
	// a few uploads in progress per account ([vault]
	// upload-max-concurrent, 4 by default) and refuses more.
	uploads chan struct{}
}

// UploadsAtOnce is how many payloads the bridge uploads at once by default,
// the vault's default upload-max-concurrent.
const UploadsAtOnce = 4

// MaxBatch is the most records the bridge registers in one transaction.
const MaxBatch = 32

type createJob struct {
	rec  *medclient.PreparedRecord
	done chan createResult
}

type createResult struct {
	st  Stored
	err error
}

// NewNodeChain makes the Chain of the account clientCtx signs with
// (--from), storing into vaultURL.
func NewNodeChain(clientCtx client.Context, txf tx.Factory, vaultURL string) *NodeChain {
	clientCtx.SkipConfirm = true
	clientCtx.Output = io.Discard
	return &NodeChain{clientCtx: clientCtx, txf: txf, vault: vaultURL, wait: 60 * time.Second,
		creates: make(chan createJob, MaxBatch), uploads: make(chan struct{}, UploadsAtOnce)}
}

func (n *NodeChain) Self() string         { return n.clientCtx.FromAddress.String() }
func (n *NodeChain) ChainID() string      { return n.clientCtx.ChainID }
func (n *NodeChain) Bech32Prefix() string { return sdkPrefix() }

func (n *NodeChain) PubKey(ctx context.Context, addr string) (cryptotypes.PubKey, error) {
	resp, err := authtypes.NewQueryClient(n.clientCtx).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: addr})
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", addr, err)
	}
	if resp.Info == nil || resp.Info.PubKey == nil {
		return nil, nil
	}
	var pk cryptotypes.PubKey
	if err := n.clientCtx.InterfaceRegistry.UnpackAny(resp.Info.PubKey, &pk); err != nil {
		return nil, err
	}
	return pk, nil
}

func (n *NodeChain) WriteConsent(ctx context.Context, patient string, kind recordstypes.RecordKind) (bool, string, error) {
	now := medclient.ChainTime(ctx, n.clientCtx)
	found, expired := false, ""
	err := n.eachGrant(ctx, n.Self(), func(g accesstypes.Grant) {
		if g.Owner != patient || g.RecordId != 0 || g.Permission != accesstypes.PermissionWrite ||
			!accesstypes.CoversKind(g.Kinds, kind) {
			return
		}
		if g.ExpiresAt != nil && !g.ExpiresAt.After(now) {
			expired = fmt.Sprintf("the patient's WRITE grant %d to this hospital expired at %s", g.Id, g.ExpiresAt.UTC().Format(time.RFC3339))
			return
		}
		found = true
	})
	switch {
	case err != nil:
		return false, "", err
	case found:
		return true, "", nil
	case expired != "":
		return false, expired, nil
	}
	name := medclient.KindName(kind)
	return false, fmt.Sprintf("no consent: the patient has not granted this hospital WRITE for %s records (medchaind tx access grant all HOSPITAL --permission write --kinds %s)", name, name), nil
}

func (n *NodeChain) eachGrant(ctx context.Context, grantee string, fn func(accesstypes.Grant)) error {
	qc := accesstypes.NewQueryClient(n.clientCtx)
	return medclient.EachPage(func(p *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.GrantsByGrantee(ctx, &accesstypes.QueryGrantsByGranteeRequest{Grantee: grantee, Pagination: p})
		if err != nil {
			return nil, err
		}
		for _, g := range resp.Grants {
			fn(g)
		}
		return resp.Pagination, nil
	})
}

func (n *NodeChain) destination() (medclient.Destination, error) {
	remote, vaultURL, err := medclient.NewRemote(n.vault, "")
	if err != nil {
		return medclient.Destination{}, err
	}
	return medclient.Destination{Remote: remote, VaultURL: vaultURL, TxFactory: n.txf, Wait: n.wait}, nil
}

// Create encrypts and stores the payload at once, concurrently with other
// studies, then hands the record to the batcher, which registers the
// records that are ready together, one transaction per block: a backfill
// is bound by the chain, not by one transaction per record.
func (n *NodeChain) Create(ctx context.Context, patient string, kind recordstypes.RecordKind, label string, src io.Reader, size int64) (Stored, error) {
	dest, err := n.destination()
	if err != nil {
		return Stored{}, err
	}
	select {
	case n.uploads <- struct{}{}:
	case <-ctx.Done():
		return Stored{}, ctx.Err()
	}
	rec, err := medclient.PrepareRecord(ctx, n.clientCtx, dest, medclient.NewRecord{
		Creator: n.Self(), Owner: patient, Kind: kind, Label: label,
		Name: "a " + medclient.KindName(kind) + " record", Src: src, Size: size,
	})
	<-n.uploads
	if err != nil {
		return Stored{}, err
	}
	n.start.Do(func() { go n.batcher() })
	job := createJob{rec: rec, done: make(chan createResult, 1)}
	select {
	case n.creates <- job:
	case <-ctx.Done():
		return Stored{}, fmt.Errorf("the payload is in the vault as %s but the record was not registered (the vault collects it later): %w", rec.Msg.Cid, ctx.Err())
	}
	r := <-job.done
	return r.st, r.err
}

// batcher registers the records Create prepared: each transaction holds
// every record waiting when the one before it is in a block.
func (n *NodeChain) batcher() {
	for first := range n.creates {
		batch := []createJob{first}
	more:
		for len(batch) < MaxBatch {
			select {
			case j := <-n.creates:
				batch = append(batch, j)
			default:
				break more
			}
		}
		n.writes.Lock()
		n.register(batch)
		n.writes.Unlock()
	}
}

// register sends batch in one transaction; if the chain refuses it (one
// message refused sinks them all), each record is sent alone, so that
// only the refused one fails.
func (n *NodeChain) register(batch []createJob) {
	recs := make([]*medclient.PreparedRecord, len(batch))
	for i, j := range batch {
		recs[i] = j.rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*n.wait)
	defer cancel()
	res, err := medclient.BroadcastRecords(ctx, n.clientCtx, n.txf, n.wait, recs)
	if err != nil && len(batch) > 1 {
		for _, j := range batch {
			n.register([]createJob{j})
		}
		return
	}
	for i, j := range batch {
		if err != nil {
			j.done <- createResult{err: err}
			continue
		}
		j.done <- createResult{st: Stored{RecordID: res[i].RecordID, Version: res[i].Version, CID: res[i].CID, Height: res[i].Height}}
	}
}

func (n *NodeChain) AddVersion(ctx context.Context, recordID uint64, src io.Reader, size int64) (Stored, error) {
	n.writes.Lock()
	defer n.writes.Unlock()
	dest, err := n.destination()
	if err != nil {
		return Stored{}, err
	}
	n.uploads <- struct{}{}
	defer func() { <-n.uploads }()
	res, err := medclient.AddVersion(ctx, n.clientCtx, dest, recordID, fmt.Sprintf("a new version of record %d", recordID), src, size)
	if err != nil {
		return Stored{}, err
	}
	return Stored{RecordID: res.RecordID, Version: res.Version, CID: res.CID, Height: res.Height}, nil
}

func (n *NodeChain) Readable(ctx context.Context, reader string, kind recordstypes.RecordKind) ([]RecordRef, error) {
	rq := recordstypes.NewQueryClient(n.clientCtx)
	candidates := map[uint64]bool{}
	owners := map[string]bool{}
	now := medclient.ChainTime(ctx, n.clientCtx)
	err := n.eachGrant(ctx, n.Self(), func(g accesstypes.Grant) {
		if g.Permission != accesstypes.PermissionRead || (g.ExpiresAt != nil && !g.ExpiresAt.After(now)) {
			return
		}
		if g.RecordId != 0 {
			candidates[g.RecordId] = true
		} else if accesstypes.CoversKind(g.Kinds, kind) {
			owners[g.Owner] = true
		}
	})
	if err != nil {
		return nil, err
	}
	for owner := range owners {
		err := medclient.EachPage(func(p *query.PageRequest) (*query.PageResponse, error) {
			resp, err := rq.RecordsByOwner(ctx, &recordstypes.QueryRecordsByOwnerRequest{
				Owner: owner, Kind: kind, Status: recordstypes.RecordStatusActive, Pagination: p})
			if err != nil {
				return nil, err
			}
			for _, r := range resp.Records {
				candidates[r.Id] = true
			}
			return resp.Pagination, nil
		})
		if err != nil {
			return nil, err
		}
	}
	var refs []RecordRef
	for id := range candidates {
		resp, err := rq.Record(ctx, &recordstypes.QueryRecordRequest{Id: id})
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", id, err)
		}
		r := resp.Record
		if r.Kind != kind || r.Status != recordstypes.RecordStatusActive {
			continue
		}
		if ok, _, err := n.allowed(ctx, id, reader); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		refs = append(refs, RecordRef{RecordID: id, Owner: r.Owner, Version: r.Version, CID: r.Cid})
	}
	return refs, nil
}

func (n *NodeChain) Record(ctx context.Context, recordID uint64, reader string) (RecordRef, bool, string, error) {
	resp, err := recordstypes.NewQueryClient(n.clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return RecordRef{}, false, "", fmt.Errorf("record %d: %w", recordID, err)
	}
	r := resp.Record
	ref := RecordRef{RecordID: r.Id, Owner: r.Owner, Version: r.Version, CID: r.Cid}
	if r.Status != recordstypes.RecordStatusActive {
		return ref, false, fmt.Sprintf("record %d was redacted by its owner", recordID), nil
	}
	ok, why, err := n.allowed(ctx, recordID, reader)
	return ref, ok, why, err
}

// allowed asks the chain (CheckAccess) whether the hospital, and reader
// when it is one of its practitioners, may read recordID now.
func (n *NodeChain) allowed(ctx context.Context, recordID uint64, reader string) (bool, string, error) {
	qc := accesstypes.NewQueryClient(n.clientCtx)
	who := []string{n.Self()}
	if reader != "" && reader != n.Self() {
		who = append(who, reader)
	}
	for _, w := range who {
		resp, err := qc.CheckAccess(ctx, &accesstypes.QueryCheckAccessRequest{RecordId: recordID, Grantee: w, Permission: accesstypes.PermissionRead})
		if err != nil {
			return false, "", fmt.Errorf("record %d: %w", recordID, err)
		}
		if !resp.Allowed {
			return false, fmt.Sprintf("%s may not read record %d: %s", w, recordID, resp.Reason), nil
		}
	}
	return true, "", nil
}

func (n *NodeChain) Read(ctx context.Context, recordID uint64, reader string, w io.Writer) error {
	ok, why, err := n.allowed(ctx, recordID, reader)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoConsent, why)
	}
	if reader != "" && reader != n.Self() {
		// The vault checks the practitioner too, and its log names them.
		ctx = medclient.ForPractitioner(ctx, reader)
	}
	// A payload just registered may not have reached the vaults placement
	// names yet (they copy it within seconds): before any byte is
	// written, a read that found no vault holding it is tried again.
	cw := &countingWriter{w: w}
	wait := 2 * time.Second
	for attempt := 1; ; attempt++ {
		remote, base, err := medclient.NewRemote(n.vault, "")
		if err != nil {
			return err
		}
		// The hospital's vault first, then the vaults the record is placed on.
		remote = medclient.NewReadRemote(remote, base, n.clientCtx, io.Discard)
		_, err = medclient.StreamRecord(ctx, n.clientCtx, remote, recordID, 0, cw)
		if err == nil || cw.n > 0 || attempt == 5 || !strings.Contains(err.Error(), "no vault could serve") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// countingWriter counts what went through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func sdkPrefix() string { return sdk.GetConfig().GetBech32AccountAddrPrefix() }
