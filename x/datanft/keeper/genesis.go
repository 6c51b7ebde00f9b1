package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/x/nft"

	"github.com/medchain/medchain/x/datanft/types"
)

// InitGenesis loads the module state. x/nft's genesis (which runs first)
// brings the tokens and their owners; every data-NFT here must name a
// token x/nft holds, and every listing's seller must own its NFT. The
// identity class is created when x/nft's genesis does not have it.
func (k Keeper) InitGenesis(ctx context.Context, g *types.GenesisState) error {
	if err := k.ensureIdentityClass(ctx); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, g.Params); err != nil {
		return err
	}
	for _, c := range g.Classes {
		if !k.nft.HasClass(ctx, c.Id) {
			if err := k.nft.SaveClass(ctx, nft.Class{Id: c.Id, Name: c.Id}); err != nil {
				return err
			}
		}
		if err := k.Classes.Set(ctx, c.Id, c); err != nil {
			return err
		}
	}
	for i, n := range g.Nfts {
		if !k.nft.HasNFT(ctx, n.ClassId, n.Id) {
			return fmt.Errorf("nfts[%d]: x/nft's genesis has no token %s/%s", i, n.ClassId, n.Id)
		}
		if err := k.NFTs.Set(ctx, collections.Join(n.ClassId, n.Id), n); err != nil {
			return err
		}
	}
	for i, l := range g.Listings {
		if !sameAddr(k.addressCodec, l.Seller, k.nft.GetOwner(ctx, l.ClassId, l.NftId)) {
			return fmt.Errorf("listings[%d]: %s does not own %s/%s in x/nft's genesis", i, l.Seller, l.ClassId, l.NftId)
		}
		if err := k.Listings.Set(ctx, collections.Join(l.ClassId, l.NftId), l); err != nil {
			return err
		}
	}
	for _, l := range g.Licences {
		if err := k.setLicence(ctx, l); err != nil {
			return err
		}
	}
	for i, p := range g.Pseudonyms {
		addr, err := k.decode("address", p.Address)
		if err != nil {
			return fmt.Errorf("pseudonyms[%d]: %w", i, err)
		}
		if err := k.Pseudonyms.Set(ctx, addr, p); err != nil {
			return err
		}
	}
	return k.NextLicenceID.Set(ctx, g.NextLicenceId)
}

// ExportGenesis exports the module state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	g := &types.GenesisState{Params: p}
	if g.Classes, err = collect(ctx, k.Classes); err != nil {
		return nil, err
	}
	if g.Nfts, err = collect(ctx, k.NFTs); err != nil {
		return nil, err
	}
	if g.Listings, err = collect(ctx, k.Listings); err != nil {
		return nil, err
	}
	if g.Licences, err = collect(ctx, k.Licences); err != nil {
		return nil, err
	}
	if g.NextLicenceId, err = k.NextLicenceID.Peek(ctx); err != nil {
		return nil, err
	}
	if g.Pseudonyms, err = collect(ctx, k.Pseudonyms); err != nil {
		return nil, err
	}
	return g, nil
}

// collect returns every value of a collection, in key order.
func collect[K, V any](ctx context.Context, c interface {
	Walk(context.Context, collections.Ranger[K], func(K, V) (bool, error)) error
}) ([]V, error) {
	var out []V
	err := c.Walk(ctx, nil, func(_ K, v V) (bool, error) {
		out = append(out, v)
		return false, nil
	})
	return out, err
}
