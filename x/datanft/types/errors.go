package types

import errorsmod "cosmossdk.io/errors"

// Errors of the datanft module.
var (
	ErrInvalidAddress  = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrIdentityClaimed = errorsmod.Register(ModuleName, 3, "identity NFT already claimed")
	ErrNotTransferable = errorsmod.Register(ModuleName, 4, "identity NFTs cannot be transferred")
	ErrInvalidParams   = errorsmod.Register(ModuleName, 5, "invalid params")
	ErrInvalidGenesis  = errorsmod.Register(ModuleName, 6, "invalid genesis")
	ErrNotMintable     = errorsmod.Register(ModuleName, 7, "record cannot be minted")
	ErrAlreadyMinted   = errorsmod.Register(ModuleName, 8, "record already has a data-NFT")
	ErrInvalidTerms    = errorsmod.Register(ModuleName, 9, "invalid terms")
	ErrNotFound        = errorsmod.Register(ModuleName, 10, "not found")
	ErrNotNFTOwner     = errorsmod.Register(ModuleName, 11, "not the NFT's owner")
	ErrNotListed       = errorsmod.Register(ModuleName, 12, "not listed")
	ErrPriceMismatch   = errorsmod.Register(ModuleName, 13, "price does not match")
	ErrOwnPurchase     = errorsmod.Register(ModuleName, 14, "cannot buy from yourself")
	ErrRecordWithdrawn = errorsmod.Register(ModuleName, 15, "record withdrawn")
	ErrNoEncryptionKey = errorsmod.Register(ModuleName, 16, "no encryption key")
	ErrLicenceExists   = errorsmod.Register(ModuleName, 17, "licence already held or pending")
	ErrLicenceClosed   = errorsmod.Register(ModuleName, 18, "licence not pending")
	ErrNotRecordOwner  = errorsmod.Register(ModuleName, 19, "not the record's owner")
	ErrInvalidClass    = errorsmod.Register(ModuleName, 20, "invalid class")
	ErrUnauthorized    = errorsmod.Register(ModuleName, 21, "unauthorized")
)

// ErrInsufficientFunds says the payer cannot pay the price.
var ErrInsufficientFunds = errorsmod.Register(ModuleName, 22, "insufficient funds")
