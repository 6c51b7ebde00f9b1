package datanft

import (
	"context"

	"google.golang.org/grpc"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"
	nftkeeper "cosmossdk.io/x/nft/keeper"
	nftmodule "cosmossdk.io/x/nft/module"

	"github.com/medchain/medchain/x/datanft/keeper"
	"github.com/medchain/medchain/x/datanft/types"
)

// NFTModule is x/nft's module with its Msg service wrapped: x/nft has no
// send hook, so the wrapper is where MsgSend refuses identity NFTs and,
// after a data-NFT moved, removes a listing its seller no longer backs.
// Every route to MsgSend (a transaction, authz MsgExec, a governance
// proposal) goes through the Msg service router and so through it.
type NFTModule struct {
	nftmodule.AppModule
	nft     nftkeeper.Keeper
	datanft keeper.Keeper
}

// NewNFTModule wraps x/nft's module for the app's module manager.
func NewNFTModule(m nftmodule.AppModule, nftKeeper nftkeeper.Keeper, datanftKeeper keeper.Keeper) NFTModule {
	return NFTModule{AppModule: m, nft: nftKeeper, datanft: datanftKeeper}
}

// RegisterServices registers x/nft's query service as it is and its Msg
// service behind the guard.
func (m NFTModule) RegisterServices(registrar grpc.ServiceRegistrar) error {
	nft.RegisterMsgServer(registrar, NFTSendGuard(m.nft, m.datanft))
	nft.RegisterQueryServer(registrar, m.nft)
	return nil
}

// sendGuard is x/nft's Msg service with medchain's rules around Send.
type sendGuard struct {
	nft     nftkeeper.Keeper
	datanft keeper.Keeper
}

// Send refuses identity NFTs, lets x/nft move anything else, then drops a
// listing its seller no longer backs.
func (g sendGuard) Send(ctx context.Context, msg *nft.MsgSend) (*nft.MsgSendResponse, error) {
	if msg.ClassId == types.IdentityClassID {
		return nil, errorsmod.Wrapf(types.ErrNotTransferable, "%s's identity NFT stays with its account", msg.Id)
	}
	res, err := g.nft.Send(ctx, msg)
	if err != nil {
		return nil, err
	}
	if err := g.datanft.AfterNFTMoved(ctx, msg.ClassId, msg.Id); err != nil {
		return nil, err
	}
	return res, nil
}

// NFTSendGuard returns x/nft's Msg service behind datanft's guard, as
// NFTModule registers it (exported for tests of other packages).
func NFTSendGuard(nftKeeper nftkeeper.Keeper, datanftKeeper keeper.Keeper) nft.MsgServer {
	return sendGuard{nft: nftKeeper, datanft: datanftKeeper}
}
