package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

// InitGenesis validates gs and writes it to the store. Timestamps left out
// of the file take the genesis block time; addresses are stored in their
// canonical (lower-case bech32) form. Member counts are derived.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if gs == nil {
		return fmt.Errorf("%s genesis state is missing", types.ModuleName)
	}
	if err := gs.Validate(k.addressCodec); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("setting %s params: %w", types.ModuleName, err)
	}

	genesisTime := sdk.UnwrapSDKContext(ctx).BlockTime()
	for _, issuer := range gs.Issuers {
		addr, err := k.addressCodec.StringToBytes(issuer.Address)
		if err != nil {
			return fmt.Errorf("issuer %q: %w", issuer.Address, err)
		}
		if issuer.Address, err = k.addressCodec.BytesToString(addr); err != nil {
			return fmt.Errorf("issuer %q: %w", issuer.Address, err)
		}
		if issuer.AddedAt.IsZero() {
			issuer.AddedAt = genesisTime
		}
		if issuer.UpdatedAt.IsZero() {
			issuer.UpdatedAt = issuer.AddedAt
		}
		if err := k.Issuers.Set(ctx, addr, issuer); err != nil {
			return fmt.Errorf("storing issuer %s: %w", issuer.Address, err)
		}
	}

	for _, p := range gs.Practitioners {
		addr, err := k.addressCodec.StringToBytes(p.Address)
		if err != nil {
			return fmt.Errorf("practitioner %q: %w", p.Address, err)
		}
		orgAddr, err := k.addressCodec.StringToBytes(p.Organisation)
		if err != nil {
			return fmt.Errorf("organisation %q of practitioner %s: %w", p.Organisation, p.Address, err)
		}
		if p.Address, err = k.addressCodec.BytesToString(addr); err != nil {
			return err
		}
		if p.Organisation, err = k.addressCodec.BytesToString(orgAddr); err != nil {
			return err
		}
		if p.AddedAt.IsZero() {
			p.AddedAt = genesisTime
		}
		if err := k.Practitioners.Set(ctx, addr, p); err != nil {
			return fmt.Errorf("storing practitioner %s: %w", p.Address, err)
		}
		members, err := k.memberCount(ctx, orgAddr)
		if err != nil {
			return err
		}
		if err := k.MemberCount.Set(ctx, orgAddr, members+1); err != nil {
			return fmt.Errorf("storing member count of %s: %w", p.Organisation, err)
		}
	}
	return nil
}

// ExportGenesis reads the module state back into a genesis state, issuers
// and practitioners in address order. Practitioner status is derived state
// and is left out.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s params: %w", types.ModuleName, err)
	}

	var issuers []types.Issuer
	if err := k.Issuers.Walk(ctx, nil, func(_ sdk.AccAddress, issuer types.Issuer) (bool, error) {
		issuers = append(issuers, issuer)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s issuers: %w", types.ModuleName, err)
	}

	var practitioners []types.Practitioner
	if err := k.Practitioners.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Practitioner) (bool, error) {
		p.Status = types.PractitionerStatusUnspecified
		practitioners = append(practitioners, p)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("reading %s practitioners: %w", types.ModuleName, err)
	}

	return types.NewGenesisState(params, issuers, practitioners), nil
}
