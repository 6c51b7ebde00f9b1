// Command localnet initialises (once) and runs the local medchain hospital
// consortium described by config.yml: one medchaind node per validator on
// 127.0.0.1, in the foreground. Ctrl-C stops every node; running it again
// resumes the chain where it stopped. With -join NAME it admits a new
// hospital to the running network instead (governance, state sync,
// create-validator; see docs/operations.md) and runs its node.
//
//	go run ./scripts/localnet -config config.yml -dir .localnet -bin build/medchaind [-reset]
//	go run ./scripts/localnet -dir .localnet -bin build/medchaind -join royal-london
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
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
	join := flag.String("join", "", "admit a new hospital NAME to the running network (governance, state sync, create-validator) and run its node")
	var jo localnet.JoinOptions
	flag.StringVar(&jo.DisplayName, "display-name", "", "with -join: the hospital's name in x/issuers (default: NAME)")
	flag.StringVar(&jo.Funder, "funder", "", "with -join: the client key that funds the hospital and proposes it (default: the first node's)")
	flag.Int64Var(&jo.Bond, "bond", 100_000_000, "with -join: the new validator's self-delegation, in the bond denom's base unit")
	flag.BoolVar(&jo.Replay, "replay", false, "with -join: replay every block from genesis instead of state sync (to compare)")
	flag.DurationVar(&jo.CatchUpTimeout, "catch-up-timeout", 10*time.Minute, "with -join: how long the new node may take to catch up")
	flag.DurationVar(&jo.VaultTimeout, "vault-timeout", 3*time.Minute, "with -join: how long its vault may take to hold what is placed on it (0: do not wait)")
	flag.Var(setFlag{&jo.App}, "join-app", "with -join: set a key of the new node's app.toml, e.g. -join-app vault.access-gate=off (repeatable)")
	flag.Var(setFlag{&jo.Config}, "join-config", "with -join: set a key of the new node's config.toml, e.g. -join-config log_level=debug (repeatable)")
	exitAfterJoin := flag.Bool("exit", false, "with -join: stop the new node once it has joined instead of running it until Ctrl-C")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./scripts/localnet [flags]\n\nRuns the local medchain hospital consortium in the foreground (Ctrl-C stops it).\n"+
			"With -join NAME, admits hospital NAME to the running consortium and runs its node.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments %v (see -h)", flag.Args())
	}
	if *join != "" {
		jo.Binary, jo.Dir, jo.Name, jo.Cosmovisor = *bin, *dir, *join, *cosmovisor
		if jo.VaultTimeout == 0 {
			jo.VaultTimeout = -1 // JoinOptions' "do not wait"
		}
		os.Exit(runJoin(jo, *exitAfterJoin))
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

// runJoin admits the hospital, prints the phases and runs its node until
// Ctrl-C (or stops it at once with exit).
func runJoin(opts localnet.JoinOptions, exit bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	j, err := localnet.Join(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localnet: joining %s: %v\n", opts.Name, err)
		return 1
	}
	fmt.Println()
	localnet.PrintJoined(os.Stdout, j)
	if exit {
		if err := j.Stop(20 * time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "localnet: %v\n", err)
			return 1
		}
		fmt.Printf("\nStopped %s's node; the next make localnet starts it with the others.\n", opts.Name)
		return 0
	}
	fmt.Printf("\n%s's node runs (pid %d, RPC %s, log %s). Ctrl-C stops it; the next make localnet starts it with the others.\n",
		opts.Name, j.PID, j.Node.RPC(), j.Node.LogFile(opts.Dir))
	select {
	case <-ctx.Done():
		fmt.Printf("Stopping %s...\n", opts.Name)
		if err := j.Stop(20 * time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "localnet: %v\n", err)
			return 1
		}
		return 0
	case <-j.Done():
		fmt.Fprintf(os.Stderr, "localnet: %s's node stopped; see %s\n", opts.Name, j.Node.LogFile(opts.Dir))
		return 1
	}
}

// setFlag is a repeatable KEY=VALUE flag that sets a (dotted) key of a
// TOML override tree; true/false and whole numbers keep their type.
type setFlag struct{ m *map[string]any }

func (f setFlag) String() string { return "" }

func (f setFlag) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return fmt.Errorf("%q: want KEY=VALUE", s)
	}
	if *f.m == nil {
		*f.m = map[string]any{}
	}
	var v any = value
	if b, err := strconv.ParseBool(value); err == nil {
		v = b
	} else if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		v = n
	}
	(*f.m)[key] = v
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "localnet: "+format+"\n", args...)
	os.Exit(1)
}
