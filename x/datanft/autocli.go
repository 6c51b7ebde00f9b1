package datanft

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/medchain/medchain/x/datanft/types"
)

func pos(fields ...string) []*autocliv1.PositionalArgDescriptor {
	out := make([]*autocliv1.PositionalArgDescriptor, len(fields))
	for i, f := range fields {
		out[i] = &autocliv1.PositionalArgDescriptor{ProtoField: f}
	}
	return out
}

// AutoCLIOptions generates the CLI from the services. `tx datanft
// fulfil-licences` is hand-written (client/cli): it needs the record key.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Identity", Use: "identity ADDRESS",
					Short:          "Say whether ADDRESS holds its identity NFT",
					Example:        "medchaind query datanft identity med1...",
					PositionalArgs: pos("address"),
				},
				{RpcMethod: "Params", Use: "params", Short: "Show the datanft parameters (royalty cap, licence timeout, ...)", Example: "medchaind query datanft params"},
				{
					RpcMethod: "NFT", Use: "nft CLASS NFT_ID", Short: "Show a data-NFT with its owner, terms and listing",
					Example: "medchaind query datanft nft mri-brain record-7", PositionalArgs: pos("class_id", "nft_id"),
				},
				{RpcMethod: "NFTByRecord", Use: "nft-of-record RECORD_ID", Short: "Show the data-NFT minted for a record", Example: "medchaind query datanft nft-of-record 7", PositionalArgs: pos("record_id")},
				{RpcMethod: "NFTsByOwner", Use: "nfts-by-owner ADDRESS", Short: "List the data-NFTs an account holds", Example: "medchaind query datanft nfts-by-owner med1...", PositionalArgs: pos("owner")},
				{RpcMethod: "NFTsByClass", Use: "nfts-by-class CLASS", Short: "List the data-NFTs of a class", Example: "medchaind query datanft nfts-by-class mri-brain", PositionalArgs: pos("class_id")},
				{RpcMethod: "NFTsByProducer", Use: "nfts-by-producer ADDRESS", Short: "List the data-NFTs an issuer produced (earns royalties on)", Example: "medchaind query datanft nfts-by-producer med1...", PositionalArgs: pos("producer")},
				{RpcMethod: "Classes", Use: "classes", Short: "List the data-NFT classes", Example: "medchaind query datanft classes"},
				{RpcMethod: "Listings", Use: "listings", Short: "List the data-NFTs for sale", Example: "medchaind query datanft listings"},
				{RpcMethod: "Licence", Use: "licence ID", Short: "Show a licence", Example: "medchaind query datanft licence 3", PositionalArgs: pos("id")},
				{RpcMethod: "LicencesByBuyer", Use: "licences-by-buyer ADDRESS", Short: "List the licences an account bought", Example: "medchaind query datanft licences-by-buyer med1...", PositionalArgs: pos("buyer")},
				{RpcMethod: "LicencesByNFT", Use: "licences-by-nft CLASS NFT_ID", Short: "List the licences sold for a data-NFT", Example: "medchaind query datanft licences-by-nft mri-brain record-7", PositionalArgs: pos("class_id", "nft_id")},
				{RpcMethod: "PendingLicences", Use: "pending-licences OWNER", Short: "List the licences a record owner has to fulfil", Example: "medchaind query datanft pending-licences med1...", PositionalArgs: pos("owner")},
				{RpcMethod: "Pseudonym", Use: "pseudonym ADDRESS", Short: "Show whether a hospital vouched for an account as a patient's pseudonym, and for which producer", Example: "medchaind query datanft pseudonym med1...", PositionalArgs: pos("address")},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "ClaimIdentity", Use: "claim-identity",
					Short: "Mint your identity NFT (one per account; it can never be sent)",
					Long: "Mints the x/nft token medchain-identity/<your address> to the signer. It carries no personal data; " +
						"it is the account's on-chain ID card, and x/nft send refuses it.",
					Example: "medchaind tx datanft claim-identity --from alice",
				},
				{
					RpcMethod: "MintDataNFT", Use: "mint RECORD_ID CLASS",
					Short: "Mint a data-NFT for one of your de-identified records",
					Long: "Mints the data-NFT record-<RECORD_ID> into CLASS (created on first use) to you. The record must be yours, ACTIVE " +
						"and de-identified (made by `tx records deidentify`). The issuer of the original record is its producer and earns " +
						"--royalty-bps of every sale and licence. Researchers buy licences at --licence-price; each is a READ grant for --licence-duration. " +
						"CLASS is public and shared: name a collection (mri-brain), never a patient.",
					Example:        "medchaind tx datanft mint 7 mri-brain --royalty-bps 500 --licence-price 1000umed --licence-duration 720h --from alice",
					PositionalArgs: pos("record_id", "class_id"),
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"royalty_bps":      {Name: "royalty-bps", Usage: "the producer's share in basis points (500 = 5 %), at most the max_royalty_bps param"},
						"licence_price":    {Name: "licence-price", Usage: "price of one licence, e.g. 1000umed (0umed: free)"},
						"licence_duration": {Name: "licence-duration", Usage: "how long a licence's READ grant runs, e.g. 720h"},
					},
				},
				{
					RpcMethod: "ListNFT", Use: "list CLASS NFT_ID PRICE", Short: "Offer a data-NFT you own for sale (again to change the price)",
					Example: "medchaind tx datanft list mri-brain record-7 50000umed --from alice", PositionalArgs: pos("class_id", "nft_id", "price"),
				},
				{
					RpcMethod: "CancelListing", Use: "cancel-listing CLASS NFT_ID", Short: "Withdraw your listing",
					Example: "medchaind tx datanft cancel-listing mri-brain record-7 --from alice", PositionalArgs: pos("class_id", "nft_id"),
				},
				{
					RpcMethod: "BuyNFT", Use: "buy CLASS NFT_ID PRICE",
					Short:   "Buy a listed data-NFT at its listed price (the producer's royalty is paid from it)",
					Example: "medchaind tx datanft buy mri-brain record-7 50000umed --from lab", PositionalArgs: pos("class_id", "nft_id", "price"),
				},
				{
					RpcMethod: "BuyLicence", Use: "buy-licence CLASS NFT_ID PRICE",
					Short: "Pay for a licence into escrow; the record owner fulfils it with a READ grant or you are refunded",
					Long: "Escrows PRICE (the NFT's licence price) and opens a pending licence. The record owner's `tx datanft fulfil-licences` " +
						"makes a READ grant (purpose RESEARCH) for the licence duration and releases the payment; if it does not within " +
						"licence_timeout_blocks, you are refunded. You need an encryption key (`tx access register-key`).",
					Example: "medchaind tx datanft buy-licence mri-brain record-7 1000umed --from lab", PositionalArgs: pos("class_id", "nft_id", "price"),
				},
				{RpcMethod: "FulfilLicence", Skip: true}, // needs the record key: tx datanft fulfil-licences
				{
					RpcMethod: "VouchPseudonym", Use: "vouch-pseudonym PSEUDONYM PRODUCER",
					Short: "As a hospital, vouch that a fresh address is a patient's pseudonym for selling de-identified data PRODUCER (the hospital or its practitioner) produced",
					Long: "Creates the pseudonym's account and lets it mint data-NFTs of records it uploads itself, with PRODUCER earning the royalty. " +
						"The hospital's vault does this for a patient who proves, with a ticket, that they own a record the hospital issued " +
						"(`medchaind tx records deidentify ID --to KEY`); only the hospital learns whose pseudonym it is.",
					Example:        "medchaind tx datanft vouch-pseudonym med1pseudo... med1doctor... --from st-mary",
					PositionalArgs: pos("pseudonym", "producer"),
				},
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
			},
		},
	}
}
