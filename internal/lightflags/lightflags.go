// Package lightflags is the command-line face of the light client: the
// flags every `--prove` command takes, and the light client they describe.
package lightflags

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/medchain/medchain/lightclient"
	"github.com/medchain/medchain/medclient"
)

// The flags Add registers.
const (
	Prove        = "prove"
	TrustHeight  = "trust-height"
	TrustHash    = "trust-hash"
	TrustPeriod  = "trust-period"
	MaxHeaderAge = "max-header-age"
	Witness      = "witness"
	LightDir     = "light-dir"
)

// Add registers --prove (described by proveUsage) and the light client's
// trust flags on cmd.
func Add(cmd *cobra.Command, proveUsage string) {
	cmd.Flags().Bool(Prove, false, proveUsage)
	cmd.Flags().Int64(TrustHeight, 0, "with --prove: a height whose block hash you trust (first use, or to reset trust)")
	cmd.Flags().String(TrustHash, "", "with --prove: the block hash at --trust-height, hex")
	cmd.Flags().Duration(TrustPeriod, lightclient.DefaultTrustPeriod, "with --prove: how long a verified header may vouch for new ones (below the unbonding time)")
	cmd.Flags().StringSlice(Witness, nil, "with --prove: RPC address of another node to compare with (repeatable; at least one)")
	cmd.Flags().String(LightDir, "", "with --prove: the trusted header store (default <home>/light/<chain-id>)")
	cmd.Flags().Duration(MaxHeaderAge, lightclient.DefaultMaxHeaderAge, "with --prove: refuse to answer from a verified header older than this (a stalled or withholding node)")
}

// Proving reports whether --prove was given.
func Proving(cmd *cobra.Command) bool {
	prove, _ := cmd.Flags().GetBool(Prove)
	return prove
}

// Client opens the light client the flags describe, with --node as its
// primary. Close it when done.
func Client(ctx context.Context, cmd *cobra.Command, clientCtx client.Context) (*lightclient.Client, error) {
	clientCtx, err := medclient.EnsureChainID(ctx, clientCtx)
	if err != nil {
		return nil, err
	}
	cfg := lightclient.Config{ChainID: clientCtx.ChainID, Primary: lightclient.HTTPAddress(clientCtx.NodeURI)}
	cfg.MaxHeaderAge, _ = cmd.Flags().GetDuration(MaxHeaderAge)
	cfg.Witnesses, _ = cmd.Flags().GetStringSlice(Witness)
	for i, w := range cfg.Witnesses {
		cfg.Witnesses[i] = lightclient.HTTPAddress(w)
	}
	cfg.Trust.Height, _ = cmd.Flags().GetInt64(TrustHeight)
	cfg.Trust.Period, _ = cmd.Flags().GetDuration(TrustPeriod)
	if h, _ := cmd.Flags().GetString(TrustHash); h != "" {
		if cfg.Trust.Hash, err = hex.DecodeString(h); err != nil || len(cfg.Trust.Hash) != 32 {
			return nil, fmt.Errorf("--%s %q is not a 32-byte hex block hash", TrustHash, h)
		}
	}
	if (cfg.Trust.Height == 0) != (cfg.Trust.Hash == nil) {
		return nil, fmt.Errorf("give --%s and --%s together", TrustHeight, TrustHash)
	}
	if cfg.Dir, _ = cmd.Flags().GetString(LightDir); cfg.Dir == "" {
		cfg.Dir = lightclient.DefaultDir(clientCtx.HomeDir, clientCtx.ChainID)
	}
	return lightclient.New(ctx, cfg)
}
