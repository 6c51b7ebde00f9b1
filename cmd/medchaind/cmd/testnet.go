package cmd

import "github.com/spf13/cobra"

// newTestnetCmd is replaced once the consortium package lands.
func newTestnetCmd() *cobra.Command {
	return &cobra.Command{Use: "testnet", Short: "Create a local multi-validator network", Hidden: true}
}
