package types

import errorsmod "cosmossdk.io/errors"

// Errors of the datanft module.
var (
	ErrInvalidAddress  = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrIdentityClaimed = errorsmod.Register(ModuleName, 3, "identity NFT already claimed")
	ErrNotTransferable = errorsmod.Register(ModuleName, 4, "identity NFTs cannot be transferred")
)
