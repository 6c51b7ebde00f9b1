package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/datanft/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// MintDataNFT mints the data-NFT of one of the owner's ACTIVE de-identified
// records (derived_from set) into class, creating the class on first use.
// The producer, who earns the royalty, is the issuer of the original
// record. One NFT per record.
func (k msgServer) MintDataNFT(ctx context.Context, msg *types.MsgMintDataNFT) (*types.MsgMintDataNFTResponse, error) {
	owner, err := k.decode("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateClassID(msg.ClassId); err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateTerms(msg.RoyaltyBps, msg.LicencePrice, msg.LicenceDuration, params); err != nil {
		return nil, err
	}
	record, found, err := k.records.GetRecord(ctx, msg.RecordId)
	if err != nil {
		return nil, err
	}
	switch {
	case !found:
		return nil, errorsmod.Wrapf(types.ErrNotFound, "record %d does not exist", msg.RecordId)
	case !sameAddr(k.addressCodec, record.Owner, owner):
		return nil, errorsmod.Wrapf(types.ErrNotRecordOwner, "record %d belongs to another patient; only its owner may mint it", msg.RecordId)
	case record.Status != recordstypes.RecordStatusActive:
		return nil, errorsmod.Wrapf(types.ErrNotMintable, "record %d was redacted", msg.RecordId)
	case record.DerivedFrom == 0:
		return nil, errorsmod.Wrapf(types.ErrNotMintable,
			"record %d is not de-identified; make a de-identified copy with `medchaind tx records deidentify %d` and mint that", msg.RecordId, msg.RecordId)
	}
	original, found, err := k.records.GetRecord(ctx, record.DerivedFrom)
	if err != nil {
		return nil, err
	}
	if !found || !sameAddr(k.addressCodec, original.Owner, owner) {
		return nil, errorsmod.Wrapf(types.ErrNotMintable, "record %d is derived from record %d, which is not the owner's", msg.RecordId, record.DerivedFrom)
	}
	if existing, err := k.NFTs.Indexes.Record.MatchExact(ctx, msg.RecordId); err == nil {
		return nil, errorsmod.Wrapf(types.ErrAlreadyMinted, "record %d is already data-NFT %s/%s; there is one NFT per record", msg.RecordId, existing.K1(), existing.K2())
	} else if !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	newClass := false
	if has, err := k.Classes.Has(ctx, msg.ClassId); err != nil {
		return nil, err
	} else if !has {
		if k.nft.HasClass(ctx, msg.ClassId) {
			return nil, errorsmod.Wrapf(types.ErrInvalidClass, "x/nft class %q exists but is not a data-NFT class; choose another name", msg.ClassId)
		}
		newClass = true
	}

	// Everything is checked: write.
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if newClass {
		if err := k.nft.SaveClass(ctx, nft.Class{
			Id: msg.ClassId, Name: msg.ClassId,
			Description: "medchain data-NFTs: each stands for one de-identified record; licences are READ grants through x/access",
		}); err != nil {
			return nil, err
		}
		if err := k.Classes.Set(ctx, msg.ClassId, types.Class{Id: msg.ClassId, Creator: k.str(owner), CreatedAt: sdkCtx.BlockTime()}); err != nil {
			return nil, err
		}
	}
	n := types.DataNFT{
		ClassId:         msg.ClassId,
		Id:              types.NFTID(msg.RecordId),
		RecordId:        msg.RecordId,
		Producer:        original.Issuer,
		RoyaltyBps:      msg.RoyaltyBps,
		LicencePrice:    msg.LicencePrice,
		LicenceDuration: msg.LicenceDuration,
		MintedBy:        k.str(owner),
		CreatedAt:       sdkCtx.BlockTime(),
	}
	if err := k.nft.Mint(ctx, nft.NFT{ClassId: n.ClassId, Id: n.Id, Uri: "medchain:record/" + n.Id}, owner); err != nil {
		return nil, errorsmod.Wrap(err, "minting in x/nft")
	}
	if err := k.NFTs.Set(ctx, collections.Join(n.ClassId, n.Id), n); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventDataNFTMinted{Nft: n, Owner: n.MintedBy}); err != nil {
		return nil, err
	}
	return &types.MsgMintDataNFTResponse{ClassId: n.ClassId, NftId: n.Id, Producer: n.Producer}, nil
}
