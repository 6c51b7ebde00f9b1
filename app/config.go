package app

import (
	"os"
	"path/filepath"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Fixed names of the chain. They appear in addresses, genesis files and
// documentation, so changing any of them is a breaking change.
const (
	// AppName is the name of the binary and of the ABCI application.
	AppName = "medchaind"
	// Bech32Prefix is the human-readable part of every medchain account address.
	Bech32Prefix = "med"
	// BondDenom is the staking and fee denomination.
	BondDenom = "umed"
	// DisplayDenom is the denomination shown to people: 1 med = 10^6 umed.
	DisplayDenom = "med"
	// LocalChainID is the chain id of the local hospital consortium.
	LocalChainID = "medchain-local-1"
)

// Bech32 prefixes derived from Bech32Prefix, following the SDK's scheme.
var (
	Bech32PrefixAccAddr  = Bech32Prefix
	Bech32PrefixAccPub   = Bech32Prefix + sdk.PrefixPublic
	Bech32PrefixValAddr  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator
	Bech32PrefixValPub   = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator + sdk.PrefixPublic
	Bech32PrefixConsAddr = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus
	Bech32PrefixConsPub  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus + sdk.PrefixPublic
)

// DefaultNodeHome is where medchaind keeps its configuration, keys and data
// unless --home says otherwise.
var DefaultNodeHome = defaultNodeHome()

func defaultNodeHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".medchain"
	}
	return filepath.Join(home, ".medchain")
}

var setPrefixesOnce sync.Once

// SetAddressPrefixes installs medchain's bech32 prefixes and bond denom in the
// SDK's process-wide configuration and seals it. The SDK still reads that
// global in places (AccAddress.String, the staking CLI), so every process that
// touches medchain addresses must call this before it formats one; calling it
// again is harmless.
func SetAddressPrefixes() {
	setPrefixesOnce.Do(func() {
		cfg := sdk.GetConfig()
		cfg.SetBech32PrefixForAccount(Bech32PrefixAccAddr, Bech32PrefixAccPub)
		cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
		cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
		cfg.Seal()
		sdk.DefaultBondDenom = BondDenom
	})
}
