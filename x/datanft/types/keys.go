package types

const (
	// ModuleName is the name of the datanft module.
	ModuleName = "datanft"

	// IdentityClassID is the x/nft class of identity NFTs. Each account's
	// identity NFT has its address as id, so there is at most one per
	// account, and it can never be sent (see the ante handler).
	IdentityClassID = "medchain-identity"
)
