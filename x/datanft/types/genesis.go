package types

import (
	"fmt"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis is the datanft genesis of a new chain.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextLicenceId: 1}
}

// Validate checks a genesis state without reading any store: params,
// addresses, class ids, one NFT per record with an id that names it and a
// class that exists, royalties within the params, listings of known NFTs,
// licences with ids below next_licence_id, positive prices, and refund
// heights after their request heights.
func (g GenesisState) Validate(ac address.Codec) error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	if g.NextLicenceId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_licence_id must be at least 1")
	}
	addr := func(what, s string) error {
		if bz, err := ac.StringToBytes(s); err != nil || len(bz) == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: address %q: %v", what, s, err)
		}
		return nil
	}
	classes := map[string]bool{}
	for i, c := range g.Classes {
		what := fmt.Sprintf("classes[%d]", i)
		if err := ValidateClassID(c.Id); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
		if classes[c.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: class %s is listed twice", what, c.Id)
		}
		classes[c.Id] = true
		if err := addr(what+".creator", c.Creator); err != nil {
			return err
		}
	}
	nfts := map[string]bool{}
	records := map[uint64]bool{}
	for i, n := range g.Nfts {
		what := fmt.Sprintf("nfts[%d]", i)
		if !classes[n.ClassId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: class %q is not in classes", what, n.ClassId)
		}
		if n.RecordId == 0 || n.Id != NFTID(n.RecordId) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %q must be %q", what, n.Id, NFTID(n.RecordId))
		}
		if records[n.RecordId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: record %d has a second data-NFT", what, n.RecordId)
		}
		records[n.RecordId] = true
		nfts[n.ClassId+"/"+n.Id] = true
		if err := addr(what+".producer", n.Producer); err != nil {
			return err
		}
		if err := addr(what+".minted_by", n.MintedBy); err != nil {
			return err
		}
		if err := ValidateTerms(n.RoyaltyBps, n.LicencePrice, n.LicenceDuration, g.Params); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s", what, err)
		}
	}
	listed := map[string]bool{}
	for i, l := range g.Listings {
		what := fmt.Sprintf("listings[%d]", i)
		k := l.ClassId + "/" + l.NftId
		if !nfts[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s is not a data-NFT in nfts", what, k)
		}
		if listed[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s is listed twice", what, k)
		}
		listed[k] = true
		if err := addr(what+".seller", l.Seller); err != nil {
			return err
		}
		if err := ValidatePrice(what+".price", l.Price, false); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
	}
	ids := map[uint64]bool{}
	for i, l := range g.Licences {
		what := fmt.Sprintf("licences[%d]", i)
		if l.Id == 0 || l.Id >= g.NextLicenceId || ids[l.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: id %d is 0, repeated, or not below next_licence_id %d", what, l.Id, g.NextLicenceId)
		}
		ids[l.Id] = true
		if !nfts[l.ClassId+"/"+l.NftId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s/%s is not a data-NFT in nfts", what, l.ClassId, l.NftId)
		}
		for _, a := range []struct{ field, v string }{{"buyer", l.Buyer}, {"payee", l.Payee}, {"record_owner", l.RecordOwner}, {"producer", l.Producer}} {
			if err := addr(what+"."+a.field, a.v); err != nil {
				return err
			}
		}
		if err := ValidatePrice(what+".price", l.Price, true); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
		if l.Status == LicenceStatusUnspecified || LicenceStatus_name[int32(l.Status)] == "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: status %d is not a licence status", what, l.Status)
		}
		if l.RefundHeight <= l.RequestedHeight {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: refund_height %d is not after requested_height %d", what, l.RefundHeight, l.RequestedHeight)
		}
		if l.RoyaltyBps > BpsDenominator {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: royalty_bps %d is above 10000", what, l.RoyaltyBps)
		}
	}
	pseudonyms := map[string]bool{}
	for i, p := range g.Pseudonyms {
		what := fmt.Sprintf("pseudonyms[%d]", i)
		for _, a := range []struct{ field, v string }{{"address", p.Address}, {"hospital", p.Hospital}, {"producer", p.Producer}} {
			if err := addr(what+"."+a.field, a.v); err != nil {
				return err
			}
		}
		if pseudonyms[p.Address] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "%s: %s is listed twice", what, p.Address)
		}
		pseudonyms[p.Address] = true
	}
	return nil
}
