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
// records into class, creating the class on first use. One NFT per record.
// See producerOf for what counts as de-identified and who earns the
// royalty.
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
	}
	producer, err := k.producerOf(ctx, owner, record)
	if err != nil {
		return nil, err
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
		Producer:        producer,
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

// producerOf says whether owner may mint record as de-identified data, and
// who earns its royalty:
//   - a copy with derived_from set, of one of the owner's own records: the
//     original's issuer (the copy is publicly linked to the original);
//   - a record a vouched pseudonym uploaded itself, with no derived_from:
//     the producer the hospital vouched with (nothing public links it to
//     the patient).
func (k Keeper) producerOf(ctx context.Context, owner sdk.AccAddress, record recordstypes.Record) (string, error) {
	if record.DerivedFrom == 0 {
		p, err := k.Pseudonyms.Get(ctx, owner)
		if errors.Is(err, collections.ErrNotFound) {
			return "", errorsmod.Wrapf(types.ErrNotMintable,
				"record %d is not de-identified; make a de-identified copy with `medchaind tx records deidentify %d` (or, from a pseudonym a hospital vouched for, with --to) and mint that",
				record.Id, record.Id)
		}
		if err != nil {
			return "", err
		}
		if !sameAddr(k.addressCodec, record.Issuer, owner) {
			return "", errorsmod.Wrapf(types.ErrNotMintable,
				"record %d was written by %s; a pseudonym mints only records it uploaded itself", record.Id, record.Issuer)
		}
		return p.Producer, nil
	}
	original, found, err := k.records.GetRecord(ctx, record.DerivedFrom)
	if err != nil {
		return "", err
	}
	if !found || !sameAddr(k.addressCodec, original.Owner, owner) {
		return "", errorsmod.Wrapf(types.ErrNotMintable, "record %d is derived from record %d, which is not the owner's", record.Id, record.DerivedFrom)
	}
	return original.Issuer, nil
}
