package node

import (
	"context"
	"errors"
	"fmt"
	"io"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/ipfs/go-cid"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/vault/archive"
	"github.com/medchain/medchain/x/records/placement"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// ArchivePlan is what a hospital's archive run takes from chain state: the
// live record versions it may archive, and the vaults that hold each.
type ArchivePlan struct {
	Height int64
	Policy recordstypes.ArchivePolicy
	Items  []archive.Item
	// Sources lists, per CID, the vaults to fetch it from: the hospital's
	// own first, then the other placed replicas.
	Sources map[cid.Cid][]string
	// NotAllowed counts the live versions the plan leaves out because the
	// archive policy or the owner's choice keeps them out of archives.
	NotAllowed int
}

// PlanArchive lists what self's archive takes: every live CID placed on
// self (all: every live CID), as far as the records module's archive
// policy and each record's owner allow (anyway: whatever they say, which
// is what a restored vault must hold).
func PlanArchive(ctx context.Context, c rpcclient.Client, self sdk.AccAddress, all, anyway bool) (*ArchivePlan, error) {
	chain := rpcChain{c}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var params recordstypes.QueryParamsResponse
	if err := chain.query(ctx, "/medchain.records.v1.Query/Params", &recordstypes.QueryParamsRequest{}, &params); err != nil {
		return nil, err
	}
	replicas, factor, err := chain.Vaults(ctx)
	if err != nil {
		return nil, err
	}
	own := ""
	for _, r := range replicas {
		if self.Equals(sdk.AccAddress(r.Address)) {
			own = r.VaultURL
		}
	}
	if own == "" && !all {
		return nil, fmt.Errorf("%s has no vault on chain: only a hospital with a registered vault holds replicas to archive", self)
	}
	plan := &ArchivePlan{Height: st.SyncInfo.LatestBlockHeight, Policy: params.Params.ArchivePolicy, Sources: map[cid.Cid][]string{}}
	allowed := map[uint64]bool{}
	err = chain.LiveCIDs(ctx, func(page []recordstypes.LiveCid) error {
		for _, l := range page {
			c, err := cid.Decode(l.Cid)
			if err != nil {
				return fmt.Errorf("live CID %q: %w", l.Cid, err)
			}
			placed := placement.Place(c, replicas, factor)
			mine := false
			for _, r := range placed {
				mine = mine || self.Equals(sdk.AccAddress(r.Address))
			}
			if !mine && !all {
				continue
			}
			ok, seen := allowed[l.RecordId]
			if anyway {
				ok, seen = true, true
			}
			if !seen {
				if ok, err = chain.archiveAllowed(ctx, params.Params, l.RecordId); err != nil {
					return err
				}
				allowed[l.RecordId] = ok
			}
			if !ok {
				plan.NotAllowed++
				continue
			}
			plan.Items = append(plan.Items, archive.Item{RecordID: l.RecordId, Version: l.Version, CID: c})
			var srcs []string
			if own != "" && mine {
				srcs = append(srcs, own)
			}
			for _, r := range placed {
				if r.VaultURL != own {
					srcs = append(srcs, r.VaultURL)
				}
			}
			plan.Sources[c] = srcs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// archiveAllowed says whether record id may be archived under params
// (x/records' own rule, recordstypes.ArchiveRefusal).
func (s rpcChain) archiveAllowed(ctx context.Context, params recordstypes.Params, id uint64) (bool, error) {
	var resp recordstypes.QueryRecordResponse
	if err := s.query(ctx, "/medchain.records.v1.Query/Record", &recordstypes.QueryRecordRequest{Id: id}, &resp); err != nil {
		return false, fmt.Errorf("record %d: %w", id, err)
	}
	return recordstypes.ArchiveRefusal(params, resp.Record) == "", nil
}

// Fetch fetches a planned CID from the first of its sources that serves
// it, through fetch (one vault URL).
func (p *ArchivePlan) Fetch(fetch func(ctx context.Context, vaultURL string, c cid.Cid) (io.ReadCloser, error)) archive.Fetch {
	return func(ctx context.Context, c cid.Cid) (io.ReadCloser, error) {
		var errs []error
		for _, url := range p.Sources[c] {
			body, err := fetch(ctx, url, c)
			if err == nil {
				return body, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", url, err))
		}
		if len(errs) == 0 {
			return nil, fmt.Errorf("no vault holds %s", c)
		}
		return nil, errors.Join(errs...)
	}
}

// ChainLiveness asks the chain whether a CID is still a live payload.
func ChainLiveness(c rpcclient.Client) archive.Liveness {
	chain := rpcChain{c}
	return func(ctx context.Context, id cid.Cid) (uint64, uint64, bool, error) {
		st, found, err := chain.CIDStatus(ctx, id)
		if err != nil || !found {
			return 0, 0, false, err
		}
		return st.RecordId, st.Version, st.Live, nil
	}
}
