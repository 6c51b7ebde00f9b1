// Command medchaind is the medchain node and client: it runs a validator or
// full node (start), manages keys, builds genesis files and sends
// transactions and queries to a running chain.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/cmd/medchaind/cmd"
)

// nodeGCPercent is the garbage collector's target for `medchaind start`
// unless GOGC says otherwise: a node allocates much short-lived garbage per
// transaction, and collecting four times less often raised committed
// record throughput by about 7 % on a 2-core machine (docs/performance.md),
// for a larger heap. The soft memory limit makes the collector work harder
// again before the heap grows past it.
const (
	nodeGCPercent   = 400
	nodeMemoryLimit = 4 << 30
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "start" {
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(nodeGCPercent)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(nodeMemoryLimit)
		}
	}
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "MEDCHAIN", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.ErrOrStderr(), "Error:", err)
		os.Exit(1)
	}
}
