// Command localnet initialises (once) and runs the local medchain hospital
// consortium described by config.yml: one medchaind node per validator on
// 127.0.0.1, in the foreground. Ctrl-C stops every node; running it again
// resumes the chain where it stopped.
//
//	go run ./scripts/localnet -config config.yml -dir .localnet -bin build/medchaind [-reset]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/medchain/medchain/internal/localnet"
)

func main() {
	configPath := flag.String("config", "config.yml", "Ignite-style description of the consortium")
	dir := flag.String("dir", ".localnet", "directory holding the nodes' homes, the client home and logs")
	bin := flag.String("bin", "build/medchaind", "medchaind binary to run")
	reset := flag.Bool("reset", false, "delete -dir first and build a fresh network (only a directory this tool created)")
	portBase := flag.Int("port-base", localnet.DefaultPortBase, "first port of the first node; node i uses port-base+10*i .. +9 (new networks only)")
	startTimeout := flag.Duration("start-timeout", 60*time.Second, "how long to wait for every node to commit blocks")
	initOnly := flag.Bool("init-only", false, "initialise the network and exit without starting it")
	cosmovisor := flag.String("cosmovisor", "", "run every node under this cosmovisor executable, so that governance upgrade plans switch binaries by themselves")
	stageUpgrade := flag.String("stage-upgrade", "", "install -bin as the binary of upgrade plan NAME in every node's cosmovisor/upgrades/NAME/bin, and exit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./scripts/localnet [flags]\n\nRuns the local medchain hospital consortium in the foreground (Ctrl-C stops it).\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments %v (see -h)", flag.Args())
	}

	if *stageUpgrade != "" {
		homes, err := localnet.StageUpgrade(*dir, *bin, *stageUpgrade)
		if err != nil {
			fail("%v", err)
		}
		for _, h := range homes {
			fmt.Printf("%s: %s\n", *stageUpgrade, h)
		}
		return
	}

	cfg, err := localnet.LoadConfig(*configPath)
	if err != nil {
		fail("%v", err)
	}
	if *reset {
		if err := localnet.Reset(*dir); err != nil {
			fail("%v", err)
		}
		fmt.Printf("Removed %s.\n", *dir)
	}

	// Ctrl-C during init aborts it (the next run starts over); once the
	// nodes run, localnet.Run handles the signals itself and stops them.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := localnet.Options{
		Binary:       *bin,
		Dir:          *dir,
		Config:       cfg,
		PortBase:     *portBase,
		StartTimeout: *startTimeout,
		Cosmovisor:   *cosmovisor,
	}
	start := time.Now()
	if err := localnet.Init(ctx, opts); err != nil {
		if errors.Is(err, context.Canceled) {
			fail("interrupted during initialisation; run again to start over")
		}
		fail("initialising %s: %v", *dir, err)
	}
	if *initOnly {
		return
	}
	opts.OnReady = func(localnet.Ready) {
		fmt.Printf("(up %s after the command started)\n", time.Since(start).Round(100*time.Millisecond))
	}
	if err := localnet.Run(ctx, opts); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "localnet: "+format+"\n", args...)
	os.Exit(1)
}
