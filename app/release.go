package app

import (
	"github.com/cosmos/cosmos-sdk/version"

	"github.com/medchain/medchain/app/upgrades"
)

// The release this tree is, as `medchaind version` and the node's ABCI
// info report it, unless the build set version.Version itself. The commit
// comes from the build (`make build` sets it; `medchaind version --long`
// prints it).
func init() {
	if version.Version == "" {
		version.Version = upgrades.Current().Version
	}
}
