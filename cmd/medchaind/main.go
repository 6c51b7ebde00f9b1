// Command medchaind is the medchain node and client: it runs a validator or
// full node (start), manages keys, builds genesis files and sends
// transactions and queries to a running chain.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/cmd/medchaind/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "MEDCHAIN", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.ErrOrStderr(), "Error:", err)
		os.Exit(1)
	}
}
