package datanft

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/nft"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/medchain/medchain/x/datanft/types"
)

// IdentityTransferDecorator refuses any x/nft MsgSend of an identity NFT,
// at the top of a transaction or inside authz MsgExec (nested to any
// depth), before the transaction is admitted to the mempool. The rule
// itself lives in NFTModule's Msg service guard, which also covers routes
// without an ante handler (governance proposals); this decorator makes the
// refusal early and free.
type IdentityTransferDecorator struct{}

// AnteHandle implements sdk.AnteDecorator.
func (IdentityTransferDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if err := refuseIdentitySends(tx.GetMsgs()); err != nil {
		return ctx, err
	}
	return next(ctx, tx, simulate)
}

func refuseIdentitySends(msgs []sdk.Msg) error {
	for _, m := range msgs {
		switch msg := m.(type) {
		case *nft.MsgSend:
			if msg.ClassId == types.IdentityClassID {
				return errorsmod.Wrapf(types.ErrNotTransferable, "%s's identity NFT stays with its account", msg.Id)
			}
		case *authz.MsgExec:
			inner, err := msg.GetMessages()
			if err != nil {
				return err
			}
			if err := refuseIdentitySends(inner); err != nil {
				return err
			}
		}
	}
	return nil
}
