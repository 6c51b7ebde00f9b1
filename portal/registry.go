package portal

import (
	"net/http"
	"strconv"
	"strings"
)

// The cosmos/chain-registry format (chain.json and assetlist.json, schema
// version 2), which Keplr, Cosmos Kit and explorers read: served at
// /portal/chain.json and /portal/assetlist.json with this node's chain id
// and endpoints, so that they are right for whichever network the node
// runs.

type registryChainFile struct {
	Schema       string           `json:"$schema"`
	ChainName    string           `json:"chain_name"`
	ChainType    string           `json:"chain_type"`
	ChainID      string           `json:"chain_id"`
	PrettyName   string           `json:"pretty_name"`
	Status       string           `json:"status"`
	NetworkType  string           `json:"network_type"`
	Bech32Prefix string           `json:"bech32_prefix"`
	DaemonName   string           `json:"daemon_name"`
	Slip44       int              `json:"slip44"`
	KeyAlgos     []string         `json:"key_algos"`
	Fees         registryFees     `json:"fees"`
	Staking      registryStaking  `json:"staking"`
	Codebase     registryCodebase `json:"codebase"`
	APIs         registryAPIs     `json:"apis"`
}

type registryFees struct {
	FeeTokens []registryFeeToken `json:"fee_tokens"`
}

type registryFeeToken struct {
	Denom            string  `json:"denom"`
	FixedMinGasPrice float64 `json:"fixed_min_gas_price"`
	LowGasPrice      float64 `json:"low_gas_price"`
	AverageGasPrice  float64 `json:"average_gas_price"`
	HighGasPrice     float64 `json:"high_gas_price"`
}

type registryStaking struct {
	StakingTokens []registryDenom `json:"staking_tokens"`
}

type registryDenom struct {
	Denom string `json:"denom"`
}

type registryCodebase struct {
	GitRepo            string `json:"git_repo"`
	RecommendedVersion string `json:"recommended_version,omitempty"`
}

type registryAPIs struct {
	RPC  []registryEndpoint `json:"rpc"`
	REST []registryEndpoint `json:"rest"`
}

type registryEndpoint struct {
	Address  string `json:"address"`
	Provider string `json:"provider"`
}

type registryAssetList struct {
	Schema    string          `json:"$schema"`
	ChainName string          `json:"chain_name"`
	Assets    []registryAsset `json:"assets"`
}

type registryAsset struct {
	Description string              `json:"description"`
	DenomUnits  []registryDenomUnit `json:"denom_units"`
	TypeAsset   string              `json:"type_asset"`
	Base        string              `json:"base"`
	Name        string              `json:"name"`
	Display     string              `json:"display"`
	Symbol      string              `json:"symbol"`
}

type registryDenomUnit struct {
	Denom    string `json:"denom"`
	Exponent int    `json:"exponent"`
}

// chainName is the registry's name of the network: "medchain", with the
// chain id's network part for anything but a mainnet.
func chainName(chainID string) string {
	name := "medchain"
	if rest, ok := strings.CutPrefix(chainID, "medchain-"); ok && rest != "" && !strings.HasPrefix(rest, "1") {
		name += strings.SplitN(rest, "-", 2)[0]
	}
	return name
}

// display is the denom a person reads and its exponent: "umed" is shown
// as "med" with 6 decimals.
func display(base string) (string, int) {
	if d, ok := strings.CutPrefix(base, "u"); ok && d != "" {
		return d, 6
	}
	return base, 0
}

func registryChain(cfg Config, r *http.Request) registryChainFile {
	chainID := ""
	if cfg.ChainID != nil {
		chainID = cfg.ChainID()
	}
	c := registryChainFile{
		Schema:       "../chain.schema.json",
		ChainName:    chainName(chainID),
		ChainType:    "cosmos",
		ChainID:      chainID,
		PrettyName:   "medchain",
		Status:       "live",
		NetworkType:  "devnet",
		Bech32Prefix: cfg.Bech32Prefix,
		DaemonName:   "medchaind",
		Slip44:       118,
		KeyAlgos:     []string{"secp256k1"},
		Fees: registryFees{FeeTokens: []registryFeeToken{{
			Denom: cfg.Denom, FixedMinGasPrice: gasPrice(cfg.GasPrice), LowGasPrice: gasPrice(cfg.GasPrice),
			AverageGasPrice: gasPrice(cfg.GasPrice), HighGasPrice: max(gasPrice(cfg.GasPrice), 0.025),
		}}},
		Staking:  registryStaking{StakingTokens: []registryDenom{{Denom: cfg.Denom}}},
		Codebase: registryCodebase{GitRepo: "https://github.com/medchain/medchain"},
		APIs:     registryAPIs{RPC: []registryEndpoint{}, REST: []registryEndpoint{}},
	}
	if rpc := publicAddress(cfg.RPC, r); rpc != "" {
		c.APIs.RPC = append(c.APIs.RPC, registryEndpoint{Address: rpc, Provider: "this hospital"})
	}
	if rest := publicAddress(cfg.REST, r); rest != "" {
		c.APIs.REST = append(c.APIs.REST, registryEndpoint{Address: rest, Provider: "this hospital"})
	}
	return c
}

func registryAssets(cfg Config) registryAssetList {
	chainID := ""
	if cfg.ChainID != nil {
		chainID = cfg.ChainID()
	}
	shown, exp := display(cfg.Denom)
	units := []registryDenomUnit{{Denom: cfg.Denom, Exponent: 0}}
	if exp > 0 {
		units = append(units, registryDenomUnit{Denom: shown, Exponent: exp})
	}
	return registryAssetList{
		Schema:    "../assetlist.schema.json",
		ChainName: chainName(chainID),
		Assets: []registryAsset{{
			Description: "The fee and staking token of the medchain hospital consortium.",
			DenomUnits:  units, TypeAsset: "sdk.coin", Base: cfg.Denom, Name: "medchain", Display: shown,
			Symbol: strings.ToUpper(shown),
		}},
	}
}

// gasPrice reads the amount of a gas price such as "0.025umed" (0 if
// there is none).
func gasPrice(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/:._-"), 64)
	return v
}
