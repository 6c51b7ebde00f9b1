package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/medchain/medchain/x/datanft/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

func TestClaimIdentity(t *testing.T) {
	f := newFixture(t)
	require.True(t, f.nft.HasClass(f.ctx, types.IdentityClassID))
	require.NoError(t, f.keeper.InitGenesis(f.ctx, types.DefaultGenesis()), "a class from x/nft's genesis is kept")

	q, err := f.query.Identity(f.ctx, &types.QueryIdentityRequest{Address: f.patient})
	require.NoError(t, err)
	require.False(t, q.Claimed)

	ctx := f.freshCtx()
	resp, err := f.msg.ClaimIdentity(ctx, &types.MsgClaimIdentity{Owner: f.patient})
	require.NoError(t, err)
	require.Equal(t, &types.MsgClaimIdentityResponse{ClassId: types.IdentityClassID, NftId: f.patient}, resp)
	require.Equal(t, []string{"cosmos.nft.v1beta1.EventMint", "medchain.datanft.v1.EventIdentityClaimed"}, eventTypes(ctx))
	q, err = f.query.Identity(f.ctx, &types.QueryIdentityRequest{Address: f.patient})
	require.NoError(t, err)
	require.True(t, q.Claimed)

	_, err = f.msg.ClaimIdentity(f.freshCtx(), &types.MsgClaimIdentity{Owner: f.patient})
	require.ErrorIs(t, err, types.ErrIdentityClaimed)
	_, err = f.msg.ClaimIdentity(f.freshCtx(), &types.MsgClaimIdentity{Owner: "cosmos1notours"})
	require.ErrorIs(t, err, types.ErrInvalidAddress)
	_, err = f.query.Identity(f.ctx, &types.QueryIdentityRequest{Address: "garbage"})
	require.ErrorIs(t, err, types.ErrInvalidAddress)

	// Nobody can send it, through the Msg service's guard: not its owner,
	// not anyone else.
	for name, who := range f.signers() {
		t.Run("send by "+name, func(t *testing.T) {
			f.requireRejected(t, types.ErrNotTransferable, "", func(ctx sdk.Context) error {
				_, err := f.nftMsg.Send(ctx, &nft.MsgSend{ClassId: types.IdentityClassID, Id: f.patient, Sender: who, Receiver: f.stranger})
				return err
			})
		})
	}
	q, err = f.query.Identity(f.ctx, &types.QueryIdentityRequest{Address: f.patient})
	require.NoError(t, err)
	require.True(t, q.Claimed)
}

func TestMintDataNFT(t *testing.T) {
	f := newFixture(t)
	ctx := f.freshCtx()
	resp, err := f.msg.MintDataNFT(ctx, f.mintMsg())
	require.NoError(t, err)
	require.Equal(t, &types.MsgMintDataNFTResponse{ClassId: "mri-brain", NftId: "record-2", Producer: f.doctor}, resp,
		"the producer is the doctor who wrote the original record 1, not the patient who made the copy")
	require.Equal(t, []string{"cosmos.nft.v1beta1.EventMint", "medchain.datanft.v1.EventDataNFTMinted"}, eventTypes(ctx))
	require.Equal(t, f.patient, f.owner(t))
	require.True(t, f.nft.HasClass(f.ctx, "mri-brain"))

	got, err := f.query.NFTByRecord(f.ctx, &types.QueryNFTByRecordRequest{RecordId: 2})
	require.NoError(t, err)
	require.Equal(t, f.patient, got.Nft.Owner)
	require.Equal(t, uint32(500), got.Nft.Nft.RoyaltyBps)
	require.Nil(t, got.Nft.Listing)

	// A patient's self-uploaded original makes the patient the producer.
	resp, err = f.msg.MintDataNFT(f.freshCtx(), &types.MsgMintDataNFT{
		Owner: f.otherPatient, RecordId: 5, ClassId: "mri-brain", LicencePrice: sdk.NewInt64Coin(denom, 0), LicenceDuration: time.Hour,
	})
	require.NoError(t, err)
	require.Equal(t, f.otherPatient, resp.Producer)
}

func TestMintDataNFTRefusals(t *testing.T) {
	f := newFixture(t)
	// Record 6: a de-identified copy of 1 that the patient then redacted.
	require.Equal(t, uint64(6), f.createRecord(t, f.patient, f.patient, 1))
	_, err := recordskeeper.NewMsgServerImpl(f.records).RedactRecord(f.ctx, &recordstypes.MsgRedactRecord{Owner: f.patient, RecordId: 6})
	require.NoError(t, err)

	with := func(edit func(m *types.MsgMintDataNFT)) *types.MsgMintDataNFT {
		m := f.mintMsg()
		edit(m)
		return m
	}
	cases := map[string]struct {
		msg  *types.MsgMintDataNFT
		want error
	}{
		"not de-identified":     {with(func(m *types.MsgMintDataNFT) { m.RecordId = 3 }), types.ErrNotMintable},
		"original record":       {with(func(m *types.MsgMintDataNFT) { m.RecordId = 1 }), types.ErrNotMintable},
		"redacted copy":         {with(func(m *types.MsgMintDataNFT) { m.RecordId = 6 }), types.ErrNotMintable},
		"no such record":        {with(func(m *types.MsgMintDataNFT) { m.RecordId = 99 }), types.ErrNotFound},
		"royalty above the cap": {with(func(m *types.MsgMintDataNFT) { m.RoyaltyBps = 1001 }), types.ErrInvalidTerms},
		"licence too long":      {with(func(m *types.MsgMintDataNFT) { m.LicenceDuration = 366 * 24 * time.Hour }), types.ErrInvalidTerms},
		"no licence duration":   {with(func(m *types.MsgMintDataNFT) { m.LicenceDuration = 0 }), types.ErrInvalidTerms},
		"bad licence price": {with(func(m *types.MsgMintDataNFT) {
			m.LicencePrice = sdk.Coin{Denom: "Bad Denom!", Amount: m.LicencePrice.Amount}
		}), types.ErrInvalidTerms},
		"bad class id":           {with(func(m *types.MsgMintDataNFT) { m.ClassId = "MRI Brain" }), types.ErrInvalidClass},
		"reserved class":         {with(func(m *types.MsgMintDataNFT) { m.ClassId = types.IdentityClassID }), types.ErrInvalidClass},
		"malformed owner":        {with(func(m *types.MsgMintDataNFT) { m.Owner = "med1garbage" }), types.ErrInvalidAddress},
		"other patient signs":    {with(func(m *types.MsgMintDataNFT) { m.Owner = f.otherPatient }), types.ErrNotRecordOwner},
		"issuer of the original": {with(func(m *types.MsgMintDataNFT) { m.Owner = f.doctor }), types.ErrNotRecordOwner},
		"suspended issuer":       {with(func(m *types.MsgMintDataNFT) { m.Owner = f.suspendedDoctor }), types.ErrNotRecordOwner},
		"researcher":             {with(func(m *types.MsgMintDataNFT) { m.Owner = f.researcher }), types.ErrNotRecordOwner},
		"stranger":               {with(func(m *types.MsgMintDataNFT) { m.Owner = f.stranger }), types.ErrNotRecordOwner},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := f.freshCtx()
			_, err := f.msg.MintDataNFT(ctx, c.msg)
			require.ErrorIs(t, err, c.want)
			require.Empty(t, eventTypes(ctx))
			has, err := f.keeper.Classes.Has(f.ctx, "mri-brain")
			require.NoError(t, err)
			require.False(t, has, "nothing is written")
			require.False(t, f.nft.HasClass(f.ctx, "mri-brain"))
		})
	}

	// One NFT per record, even in another class.
	f.mint(t)
	m := f.mintMsg()
	m.ClassId = "other-class"
	_, err = f.msg.MintDataNFT(f.freshCtx(), m)
	require.ErrorIs(t, err, types.ErrAlreadyMinted)
	require.ErrorContains(t, err, "mri-brain/record-2")
	require.False(t, f.nft.HasClass(f.ctx, "other-class"))
}

func TestListCancelAndSignerChecks(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	listAt := func(ctx sdk.Context, seller string, price int64) error {
		_, err := f.msg.ListNFT(ctx, &types.MsgListNFT{Seller: seller, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, price)})
		return err
	}
	list := func(seller string, price int64) error { return listAt(f.freshCtx(), seller, price) }
	for name, who := range f.signers() {
		if who == f.patient {
			continue
		}
		t.Run("list by "+name, func(t *testing.T) {
			f.requireRejected(t, types.ErrNotNFTOwner, "", func(ctx sdk.Context) error { return listAt(ctx, who, 100) })
		})
	}
	require.ErrorIs(t, list(f.patient, 0), types.ErrInvalidTerms)
	_, err := f.msg.ListNFT(f.freshCtx(), &types.MsgListNFT{Seller: f.patient, ClassId: "mri-brain", NftId: "record-9", Price: sdk.NewInt64Coin(denom, 1)})
	require.ErrorIs(t, err, types.ErrNotFound)
	listings, err := f.query.Listings(f.ctx, &types.QueryListingsRequest{})
	require.NoError(t, err)
	require.Empty(t, listings.Listings)

	require.NoError(t, list(f.patient, 100))
	require.NoError(t, list(f.patient, 200), "listing again changes the price")
	listings, err = f.query.Listings(f.ctx, &types.QueryListingsRequest{})
	require.NoError(t, err)
	require.Len(t, listings.Listings, 1)
	require.Equal(t, int64(200), listings.Listings[0].Price.Amount.Int64())

	for name, who := range f.signers() {
		if who == f.patient {
			continue
		}
		t.Run("cancel by "+name, func(t *testing.T) {
			f.requireRejected(t, types.ErrNotNFTOwner, "", func(ctx sdk.Context) error {
				_, err := f.msg.CancelListing(ctx, &types.MsgCancelListing{Seller: who, ClassId: "mri-brain", NftId: "record-2"})
				return err
			})
		})
	}
	ctx := f.freshCtx()
	_, err = f.msg.CancelListing(ctx, &types.MsgCancelListing{Seller: f.patient, ClassId: "mri-brain", NftId: "record-2"})
	require.NoError(t, err)
	require.Equal(t, []string{"medchain.datanft.v1.EventListingRemoved"}, eventTypes(ctx))
	_, err = f.msg.CancelListing(f.freshCtx(), &types.MsgCancelListing{Seller: f.patient, ClassId: "mri-brain", NftId: "record-2"})
	require.ErrorIs(t, err, types.ErrNotListed)
}

func TestBuyPaysSellerAndProducerAtomically(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	f.list(t, f.patient, 10_007) // 5 % of 10007 is 500.35: the producer gets 500, the seller 9507
	supply := f.supply()
	before := map[string]int64{f.patient: f.balance(t, f.patient), f.doctor: f.balance(t, f.doctor), f.researcher: f.balance(t, f.researcher)}

	buy := func(buyer string, price int64) error {
		_, err := f.msg.BuyNFT(f.freshCtx(), &types.MsgBuyNFT{Buyer: buyer, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, price)})
		return err
	}
	require.ErrorIs(t, buy(f.researcher, 10_000), types.ErrPriceMismatch, "a price other than the listing's is refused")
	require.ErrorIs(t, buy(f.patient, 10_007), types.ErrOwnPurchase)
	poor := f.stranger
	require.NoError(t, f.bank.SendCoins(f.ctx, f.addr(t, poor), f.addr(t, f.researcher2), sdk.NewCoins(sdk.NewInt64Coin(denom, 1_000_000-10))))
	err := buy(poor, 10_007)
	require.ErrorIs(t, err, types.ErrInsufficientFunds)
	require.ErrorContains(t, err, "10umed spendable")
	require.Equal(t, f.patient, f.owner(t), "nothing moved")

	ctx := f.freshCtx()
	resp, err := f.msg.BuyNFT(ctx, &types.MsgBuyNFT{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, 10_007)})
	require.NoError(t, err)
	require.Equal(t, int64(9507), resp.ToSeller.Amount.Int64())
	require.Equal(t, int64(500), resp.ToProducer.Amount.Int64())
	require.Contains(t, eventTypes(ctx), "medchain.datanft.v1.EventNFTSold")
	require.Equal(t, f.researcher, f.owner(t))
	require.Equal(t, before[f.patient]+9507, f.balance(t, f.patient))
	require.Equal(t, before[f.doctor]+500, f.balance(t, f.doctor))
	require.Equal(t, before[f.researcher]-10_007, f.balance(t, f.researcher))
	require.True(t, supply.Equal(f.supply()), "no coin made or destroyed")
	_, err = f.keeper.Listings.Get(f.ctx, collections.Join("mri-brain", "record-2"))
	require.ErrorIs(t, err, collections.ErrNotFound, "the sale removes the listing")

	// Resale: the producer is paid again.
	f.list(t, f.researcher, 20_000)
	doctor := f.balance(t, f.doctor)
	require.NoError(t, buy(f.researcher2, 20_000))
	require.Equal(t, doctor+1000, f.balance(t, f.doctor))
	require.Equal(t, f.researcher2, f.owner(t))
}

func TestSplitRoyaltyNeverMakesOrLosesCoins(t *testing.T) {
	for _, price := range []int64{0, 1, 2, 3, 7, 99, 10_001, 123_456_789, 9_223_372_036_854_775_807} {
		for _, bps := range []uint32{0, 1, 333, 500, 3333, 9999, 10_000} {
			toSeller, toProducer := types.SplitRoyalty(sdk.NewInt64Coin(denom, price), bps)
			require.Equal(t, price, toSeller.Amount.Add(toProducer.Amount).Int64(), "price %d bps %d", price, bps)
			require.False(t, toProducer.IsNegative())
			require.False(t, toSeller.IsNegative())
			// floor(price*bps/10000), computed without overflow in big ints
			want := sdk.NewInt64Coin(denom, price).Amount.MulRaw(int64(bps)).QuoRaw(10_000)
			require.True(t, want.Equal(toProducer.Amount), "price %d bps %d", price, bps)
		}
	}
}

// In one block, whichever message comes first wins and the other fails
// cleanly: a buy after a cancel, a buy after the NFT was sent away, a
// cancel after a buy.
func TestBuyRacingCancelOrTransferInOneBlock(t *testing.T) {
	buyMsg := func(f *fixture) *types.MsgBuyNFT {
		return &types.MsgBuyNFT{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, 5000)}
	}
	t.Run("cancel then buy", func(t *testing.T) {
		f := newFixture(t)
		f.mint(t)
		f.list(t, f.patient, 5000)
		supply, researcher := f.supply(), f.balance(t, f.researcher)
		_, err := f.msg.CancelListing(f.freshCtx(), &types.MsgCancelListing{Seller: f.patient, ClassId: "mri-brain", NftId: "record-2"})
		require.NoError(t, err)
		_, err = f.msg.BuyNFT(f.freshCtx(), buyMsg(f))
		require.ErrorIs(t, err, types.ErrNotListed)
		require.Equal(t, researcher, f.balance(t, f.researcher))
		require.Equal(t, f.patient, f.owner(t))
		require.True(t, supply.Equal(f.supply()))
	})
	t.Run("send then buy", func(t *testing.T) {
		f := newFixture(t)
		f.mint(t)
		f.list(t, f.patient, 5000)
		researcher := f.balance(t, f.researcher)
		ctx := f.freshCtx()
		_, err := f.nftMsg.Send(ctx, &nft.MsgSend{ClassId: "mri-brain", Id: "record-2", Sender: f.patient, Receiver: f.otherPatient})
		require.NoError(t, err)
		require.Contains(t, eventTypes(ctx), "medchain.datanft.v1.EventListingRemoved", "the move removes the listing")
		_, err = f.msg.BuyNFT(f.freshCtx(), buyMsg(f))
		require.ErrorIs(t, err, types.ErrNotListed)
		require.Equal(t, researcher, f.balance(t, f.researcher))
		require.Equal(t, f.otherPatient, f.owner(t))
		got, err := f.query.NFT(f.ctx, &types.QueryNFTRequest{ClassId: "mri-brain", NftId: "record-2"})
		require.NoError(t, err)
		require.Nil(t, got.Nft.Listing, "no stale listing")
	})
	t.Run("buy then cancel and send", func(t *testing.T) {
		f := newFixture(t)
		f.mint(t)
		f.list(t, f.patient, 5000)
		_, err := f.msg.BuyNFT(f.freshCtx(), buyMsg(f))
		require.NoError(t, err)
		_, err = f.msg.CancelListing(f.freshCtx(), &types.MsgCancelListing{Seller: f.patient, ClassId: "mri-brain", NftId: "record-2"})
		require.ErrorIs(t, err, types.ErrNotListed)
		_, err = f.nftMsg.Send(f.freshCtx(), &nft.MsgSend{ClassId: "mri-brain", Id: "record-2", Sender: f.patient, Receiver: f.otherPatient})
		require.ErrorIs(t, err, sdkerrors.ErrUnauthorized)
		require.Equal(t, f.researcher, f.owner(t))
	})
	t.Run("a send that keeps the owner keeps the listing", func(t *testing.T) {
		f := newFixture(t)
		f.mint(t)
		f.list(t, f.patient, 5000)
		_, err := f.nftMsg.Send(f.freshCtx(), &nft.MsgSend{ClassId: "mri-brain", Id: "record-2", Sender: f.patient, Receiver: f.patient})
		require.NoError(t, err)
		_, err = f.keeper.Listings.Get(f.ctx, collections.Join("mri-brain", "record-2"))
		require.NoError(t, err)
	})
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.MaxRoyaltyBps = 2000
	for name, who := range f.signers() {
		t.Run(name, func(t *testing.T) {
			f.requireRejected(t, types.ErrUnauthorized, "governance proposal", func(ctx sdk.Context) error {
				_, err := f.msg.UpdateParams(ctx, &types.MsgUpdateParams{Authority: who, Params: p})
				return err
			})
		})
	}
	bad := p
	bad.LicenceTimeoutBlocks = 0
	_, err := f.msg.UpdateParams(f.freshCtx(), &types.MsgUpdateParams{Authority: f.authority, Params: bad})
	require.ErrorIs(t, err, types.ErrInvalidParams)
	ctx := f.freshCtx()
	_, err = f.msg.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	require.Equal(t, []string{"medchain.datanft.v1.EventParamsUpdated"}, eventTypes(ctx), "a change of parameters is on the record")
	got, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, uint32(2000), got.Params.MaxRoyaltyBps)
}
