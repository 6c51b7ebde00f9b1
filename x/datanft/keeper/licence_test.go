package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	accesskeeper "github.com/medchain/medchain/x/access/keeper"
	accesstypes "github.com/medchain/medchain/x/access/types"
	"github.com/medchain/medchain/x/datanft/types"
	recordskeeper "github.com/medchain/medchain/x/records/keeper"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

func (f *fixture) buyLicenceMsg(buyer string) *types.MsgBuyLicence {
	return &types.MsgBuyLicence{Buyer: buyer, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, 1000)}
}

func (f *fixture) buyLicence(t testing.TB, buyer string) *types.MsgBuyLicenceResponse {
	t.Helper()
	resp, err := f.msg.BuyLicence(f.freshCtx(), f.buyLicenceMsg(buyer))
	require.NoError(t, err)
	return resp
}

func (f *fixture) fulfilMsg(t testing.TB, signer string, id uint64, grantee string) *types.MsgFulfilLicence {
	return &types.MsgFulfilLicence{Owner: signer, LicenceId: id, Wrap: f.seal(t, 2, 0, grantee)}
}

func (f *fixture) licence(t testing.TB, id uint64) types.Licence {
	t.Helper()
	l, err := f.query.Licence(f.ctx, &types.QueryLicenceRequest{Id: id})
	require.NoError(t, err)
	return l.Licence
}

func TestBuyLicenceEscrowsAndRefusesWhatCannotBeFulfilled(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	supply := f.supply()
	researcher := f.balance(t, f.researcher)

	cases := map[string]struct {
		msg  *types.MsgBuyLicence
		want error
	}{
		"record owner":        {f.buyLicenceMsg(f.patient), types.ErrOwnPurchase},
		"stranger has no key": {f.buyLicenceMsg(f.stranger), types.ErrNoEncryptionKey},
		"wrong price": {&types.MsgBuyLicence{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-2",
			Price: sdk.NewInt64Coin(denom, 999)}, types.ErrPriceMismatch},
		"no price given": {&types.MsgBuyLicence{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-2"}, types.ErrPriceMismatch},
		"no such NFT": {&types.MsgBuyLicence{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-3",
			Price: sdk.NewInt64Coin(denom, 1000)}, types.ErrNotFound},
	}
	for name, c := range cases {
		ctx := f.freshCtx()
		_, err := f.msg.BuyLicence(ctx, c.msg)
		require.ErrorIs(t, err, c.want, name)
		require.Empty(t, eventTypes(ctx), name)
		require.Zero(t, f.escrow(), name)
	}

	ctx := f.freshCtx()
	resp, err := f.msg.BuyLicence(ctx, f.buyLicenceMsg(f.researcher))
	require.NoError(t, err)
	require.Equal(t, int64(10+types.DefaultLicenceTimeoutBlocks), resp.RefundHeight)
	require.Contains(t, eventTypes(ctx), "medchain.datanft.v1.EventLicenceRequested")
	require.Equal(t, int64(1000), f.escrow(), "the price is held by the module")
	require.Equal(t, researcher-1000, f.balance(t, f.researcher))
	require.True(t, supply.Equal(f.supply()))
	l := f.licence(t, resp.LicenceId)
	require.Equal(t, types.LicenceStatusPending, l.Status)
	require.Equal(t, f.patient, l.Payee)
	require.Equal(t, f.patient, l.RecordOwner)
	require.Equal(t, f.doctor, l.Producer)

	_, err = f.msg.BuyLicence(f.freshCtx(), f.buyLicenceMsg(f.researcher))
	require.ErrorIs(t, err, types.ErrLicenceExists, "one pending licence per buyer and NFT")

	// The other researcher may buy one too; the owner's to-do list holds both.
	f.buyLicence(t, f.researcher2)
	pending, err := f.query.PendingLicences(f.ctx, &types.QueryPendingLicencesRequest{Owner: f.patient})
	require.NoError(t, err)
	require.Len(t, pending.Licences, 2)
	byBuyer, err := f.query.LicencesByBuyer(f.ctx, &types.QueryLicencesByBuyerRequest{Buyer: f.researcher})
	require.NoError(t, err)
	require.Len(t, byBuyer.Licences, 1)
	byNFT, err := f.query.LicencesByNFT(f.ctx, &types.QueryLicencesByNFTRequest{ClassId: "mri-brain", NftId: "record-2"})
	require.NoError(t, err)
	require.Len(t, byNFT.Licences, 2)

	// Once the record is redacted, nothing more is sold.
	_, err = recordskeeper.NewMsgServerImpl(f.records).RedactRecord(f.ctx, &recordstypes.MsgRedactRecord{Owner: f.patient, RecordId: 2})
	require.NoError(t, err)
	_, err = f.msg.BuyLicence(f.freshCtx(), f.buyLicenceMsg(f.doctor))
	require.ErrorIs(t, err, types.ErrRecordWithdrawn)
	_, err = f.msg.ListNFT(f.freshCtx(), &types.MsgListNFT{Seller: f.patient, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, 5)})
	require.ErrorIs(t, err, types.ErrRecordWithdrawn)
}

func TestFulfilLicenceMakesAResearchGrantAndPaysOut(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	supply := f.supply()
	id := f.buyLicence(t, f.researcher).LicenceId
	patient, doctor := f.balance(t, f.patient), f.balance(t, f.doctor)

	// Only the record owner may fulfil; every other signer is refused and
	// nothing changes.
	for name, who := range f.signers() {
		if who == f.patient {
			continue
		}
		t.Run(name, func(t *testing.T) {
			msg := f.fulfilMsg(t, who, id, f.researcher)
			f.requireRejected(t, types.ErrNotRecordOwner, "", func(ctx sdk.Context) error {
				_, err := f.msg.FulfilLicence(ctx, msg)
				return err
			})
		})
	}
	_, err := f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, id, f.researcher2))
	require.ErrorIs(t, err, accesstypes.ErrInvalidWraps, "a wrap for someone else")
	bad := f.fulfilMsg(t, f.patient, id, f.researcher)
	bad.Wrap.KeyEpoch = 1
	_, err = f.msg.FulfilLicence(f.freshCtx(), bad)
	require.Error(t, err, "x/access checks the wrap like any grant's")
	require.Equal(t, int64(1000), f.escrow())
	require.Equal(t, types.LicenceStatusPending, f.licence(t, id).Status)

	ctx := f.freshCtx()
	resp, err := f.msg.FulfilLicence(ctx, f.fulfilMsg(t, f.patient, id, f.researcher))
	require.NoError(t, err)
	require.Equal(t, int64(950), resp.ToPayee.Amount.Int64())
	require.Equal(t, int64(50), resp.ToProducer.Amount.Int64())
	require.Contains(t, eventTypes(ctx), "medchain.datanft.v1.EventLicenceFulfilled")
	require.Contains(t, eventTypes(ctx), "medchain.access.v1.EventAccessGranted")
	require.Equal(t, patient+950, f.balance(t, f.patient))
	require.Equal(t, doctor+50, f.balance(t, f.doctor))
	require.Zero(t, f.escrow())
	require.True(t, supply.Equal(f.supply()))

	// The licence is an ordinary x/access grant: READ, RESEARCH, ending
	// after the licence duration, with the wrap to open.
	check, err := accesskeeper.NewQuerier(f.access).CheckAccess(f.ctx, &accesstypes.QueryCheckAccessRequest{
		RecordId: 2, Grantee: f.researcher, Permission: accesstypes.PermissionRead,
	})
	require.NoError(t, err)
	require.True(t, check.Allowed)
	require.Equal(t, resp.GrantId, check.Grant.Id)
	g, err := f.access.Grants.Get(f.ctx, resp.GrantId)
	require.NoError(t, err)
	require.Equal(t, accesstypes.PurposeResearch, g.Purpose)
	require.Equal(t, genesisTime.Add(30*24*time.Hour), *g.ExpiresAt)
	require.NotNil(t, check.Wrap)

	l := f.licence(t, id)
	require.Equal(t, types.LicenceStatusFulfilled, l.Status)
	require.Equal(t, resp.GrantId, l.GrantId)
	_, err = f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, id, f.researcher))
	require.ErrorIs(t, err, types.ErrLicenceClosed)
	pending, err := f.query.PendingLicences(f.ctx, &types.QueryPendingLicencesRequest{Owner: f.patient})
	require.NoError(t, err)
	require.Empty(t, pending.Licences)

	// While the grant runs, a second licence is refused rather than sold
	// and never fulfillable.
	_, err = f.msg.BuyLicence(f.freshCtx(), f.buyLicenceMsg(f.researcher))
	require.ErrorIs(t, err, types.ErrLicenceExists)
}

func TestLicenceAfterResalePaysTheNewOwner(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	f.list(t, f.patient, 5000)
	_, err := f.msg.BuyNFT(f.freshCtx(), &types.MsgBuyNFT{Buyer: f.researcher, ClassId: "mri-brain", NftId: "record-2", Price: sdk.NewInt64Coin(denom, 5000)})
	require.NoError(t, err)
	id := f.buyLicence(t, f.researcher2).LicenceId
	require.Equal(t, f.researcher, f.licence(t, id).Payee)
	researcher := f.balance(t, f.researcher)

	// The NFT's new owner holds no key to the record: the patient fulfils.
	_, err = f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.researcher, id, f.researcher2))
	require.ErrorIs(t, err, types.ErrNotRecordOwner)
	_, err = f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, id, f.researcher2))
	require.NoError(t, err)
	require.Equal(t, researcher+950, f.balance(t, f.researcher))
}

func TestLicenceRefundAtTheExactTimeoutHeight(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.LicenceTimeoutBlocks = 5
	require.NoError(t, f.keeper.Params.Set(f.ctx, p))
	f.mint(t)
	supply := f.supply()
	researcher := f.balance(t, f.researcher)
	resp := f.buyLicence(t, f.researcher) // at height 10
	require.Equal(t, int64(15), resp.RefundHeight)

	// Height 14: still fulfillable (tried on a throw-away branch), and
	// EndBlock refunds nothing.
	f.ctx = f.ctx.WithBlockHeight(14)
	branch, _ := f.ctx.CacheContext()
	_, err := f.msg.FulfilLicence(branch, f.fulfilMsg(t, f.patient, resp.LicenceId, f.researcher))
	require.NoError(t, err)
	require.NoError(t, f.keeper.EndBlocker(f.ctx))
	require.Equal(t, types.LicenceStatusPending, f.licence(t, resp.LicenceId).Status)
	require.Equal(t, int64(1000), f.escrow())

	// Height 15: the fulfilment is refused, and EndBlock refunds.
	f.ctx = f.ctx.WithBlockHeight(15)
	_, err = f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, resp.LicenceId, f.researcher))
	require.ErrorIs(t, err, types.ErrLicenceClosed)
	require.ErrorContains(t, err, "timed out at height 15")
	ctx := f.freshCtx()
	require.NoError(t, f.keeper.EndBlocker(ctx))
	require.Contains(t, eventTypes(ctx), "medchain.datanft.v1.EventLicenceRefunded")
	require.Equal(t, types.LicenceStatusRefunded, f.licence(t, resp.LicenceId).Status)
	require.Equal(t, researcher, f.balance(t, f.researcher))
	require.Zero(t, f.escrow())
	require.True(t, supply.Equal(f.supply()))
	has, err := f.keeper.RefundQueue.Has(f.ctx, collections.Join(int64(15), resp.LicenceId))
	require.NoError(t, err)
	require.False(t, has)
	// ...and the researcher may buy again.
	f.buyLicence(t, f.researcher)
}

func TestRefundsAreBoundedPerBlock(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.LicenceTimeoutBlocks, p.MaxRefundsPerBlock = 1, 1
	require.NoError(t, f.keeper.Params.Set(f.ctx, p))
	f.mint(t)
	a := f.buyLicence(t, f.researcher).LicenceId
	b := f.buyLicence(t, f.researcher2).LicenceId
	f.ctx = f.ctx.WithBlockHeight(11)
	require.NoError(t, f.keeper.EndBlocker(f.ctx))
	require.Equal(t, types.LicenceStatusRefunded, f.licence(t, a).Status)
	require.Equal(t, types.LicenceStatusPending, f.licence(t, b).Status)
	_, err := f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, b, f.researcher2))
	require.ErrorIs(t, err, types.ErrLicenceClosed, "waiting for its refund, it cannot be fulfilled late")
	f.ctx = f.ctx.WithBlockHeight(12)
	require.NoError(t, f.keeper.EndBlocker(f.ctx))
	require.Equal(t, types.LicenceStatusRefunded, f.licence(t, b).Status)
	require.Zero(t, f.escrow())
}

func TestQueries(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	_, err := f.msg.ClaimIdentity(f.freshCtx(), &types.MsgClaimIdentity{Owner: f.patient})
	require.NoError(t, err)
	_, err = f.msg.MintDataNFT(f.freshCtx(), &types.MsgMintDataNFT{
		Owner: f.otherPatient, RecordId: 5, ClassId: "ct-chest", LicencePrice: sdk.NewInt64Coin(denom, 0), LicenceDuration: time.Hour,
	})
	require.NoError(t, err)

	byOwner, err := f.query.NFTsByOwner(f.ctx, &types.QueryNFTsByOwnerRequest{Owner: f.patient})
	require.NoError(t, err)
	require.Len(t, byOwner.Nfts, 1, "the identity NFT is not a data-NFT")
	require.Equal(t, "record-2", byOwner.Nfts[0].Nft.Id)
	byClass, err := f.query.NFTsByClass(f.ctx, &types.QueryNFTsByClassRequest{ClassId: "ct-chest"})
	require.NoError(t, err)
	require.Len(t, byClass.Nfts, 1)
	require.Equal(t, uint64(5), byClass.Nfts[0].Nft.RecordId)
	_, err = f.query.NFTsByClass(f.ctx, &types.QueryNFTsByClassRequest{ClassId: types.IdentityClassID})
	require.ErrorContains(t, err, "no data-NFT class")
	byProducer, err := f.query.NFTsByProducer(f.ctx, &types.QueryNFTsByProducerRequest{Producer: f.doctor})
	require.NoError(t, err)
	require.Len(t, byProducer.Nfts, 1)
	require.Equal(t, f.patient, byProducer.Nfts[0].Owner)
	classes, err := f.query.Classes(f.ctx, &types.QueryClassesRequest{})
	require.NoError(t, err)
	require.Len(t, classes.Classes, 2)
	_, err = f.query.NFTByRecord(f.ctx, &types.QueryNFTByRecordRequest{RecordId: 3})
	require.ErrorContains(t, err, "record 3 has no data-NFT")
	_, err = f.query.NFTsByOwner(f.ctx, &types.QueryNFTsByOwnerRequest{Owner: "nope"})
	require.ErrorContains(t, err, "owner")
}

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	f.list(t, f.patient, 5000)
	f.buyLicence(t, f.researcher)
	id := f.buyLicence(t, f.researcher2).LicenceId
	_, err := f.msg.FulfilLicence(f.freshCtx(), f.fulfilMsg(t, f.patient, id, f.researcher2))
	require.NoError(t, err)

	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.ac))
	require.Len(t, exported.Licences, 2)
	nftGenesis := f.nft.ExportGenesis(f.ctx)
	// The new fixture made its identity class already; bring the rest.
	classes := nftGenesis.Classes[:0]
	for _, c := range nftGenesis.Classes {
		if c.Id != types.IdentityClassID {
			classes = append(classes, c)
		}
	}
	nftGenesis.Classes = classes

	g := newFixture(t)
	g.nft.InitGenesis(g.ctx, nftGenesis)
	require.NoError(t, g.keeper.InitGenesis(g.ctx, exported))
	again, err := g.keeper.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	pending, err := g.query.PendingLicences(g.ctx, &types.QueryPendingLicencesRequest{Owner: g.patient})
	require.NoError(t, err)
	require.Len(t, pending.Licences, 1, "the pending sets are rebuilt")

	// A listing whose seller does not own the NFT is refused.
	bad := *exported
	bad.Listings = []types.Listing{exported.Listings[0]}
	bad.Listings[0].Seller = f.stranger
	h := newFixture(t)
	h.nft.InitGenesis(h.ctx, nftGenesis)
	require.ErrorContains(t, h.keeper.InitGenesis(h.ctx, &bad), "does not own")
}

func TestGenesisValidation(t *testing.T) {
	f := newFixture(t)
	f.mint(t)
	f.list(t, f.patient, 5000)
	f.buyLicence(t, f.researcher)
	good, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, good.Validate(f.ac))
	cases := map[string]func(g *types.GenesisState){
		"next licence id 0":      func(g *types.GenesisState) { g.NextLicenceId = 0 },
		"licence id not below":   func(g *types.GenesisState) { g.Licences[0].Id = g.NextLicenceId },
		"nft of unknown class":   func(g *types.GenesisState) { g.Classes = nil },
		"nft id not its record":  func(g *types.GenesisState) { g.Nfts[0].Id = "record-9" },
		"two nfts for a record":  func(g *types.GenesisState) { g.Nfts = append(g.Nfts, g.Nfts[0]) },
		"royalty above the cap":  func(g *types.GenesisState) { g.Nfts[0].RoyaltyBps = 5000 },
		"listing of unknown nft": func(g *types.GenesisState) { g.Listings[0].NftId = "record-3" },
		"zero listing price":     func(g *types.GenesisState) { g.Listings[0].Price = sdk.NewInt64Coin(denom, 0) },
		"bad buyer":              func(g *types.GenesisState) { g.Licences[0].Buyer = "x" },
		"refund before request":  func(g *types.GenesisState) { g.Licences[0].RefundHeight = g.Licences[0].RequestedHeight },
		"no status":              func(g *types.GenesisState) { g.Licences[0].Status = types.LicenceStatusUnspecified },
		"bad params":             func(g *types.GenesisState) { g.Params.MaxRefundsPerBlock = 0 },
		"reserved class":         func(g *types.GenesisState) { g.Classes[0].Id = types.IdentityClassID },
	}
	for name, edit := range cases {
		g := cloneGenesis(t, f, good)
		edit(g)
		require.Error(t, g.Validate(f.ac), name)
	}
}

func cloneGenesis(t *testing.T, f *fixture, g *types.GenesisState) *types.GenesisState {
	t.Helper()
	bz, err := g.Marshal()
	require.NoError(t, err)
	var out types.GenesisState
	require.NoError(t, out.Unmarshal(bz))
	return &out
}
