// Command bench-abuse sends every attack of package internal/abuse to a
// vault whose access gate is on, while an honest reader downloads a record
// over and over, and prints per attack: requests sent, refused, the
// vault process's peak RSS, and the honest downloads' p99 during it.
// scripts/bench-abuse.sh runs it against a gated vault beside a running
// localnet:
//
//	go run ./scripts/bench-abuse -vault http://127.0.0.1:27094 -pid PID -record 1 -cid bafy... \
//	  -reader alice -attacker bob -home .localnet/client
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/internal/abuse"
	"github.com/medchain/medchain/vault"
)

func main() {
	vaultURL := flag.String("vault", "http://127.0.0.1:27094", "the gated vault to attack")
	pid := flag.Int("pid", 0, "the vault's process, for its peak RSS (0: not measured)")
	record := flag.Uint64("record", 0, "a record the reader may read")
	root := flag.String("cid", "", "that record's current CID")
	reader := flag.String("reader", "alice", "the honest reader's key")
	attacker := flag.String("attacker", "bob", "the attacker's key (funded, encryption key registered)")
	home := flag.String("home", ".localnet/client", "the client home with both keys")
	bin := flag.String("bin", "./build/medchaind", "medchaind")
	chainID := flag.String("chain-id", "medchain-local-1", "the chain id")
	flag.Parse()
	if *record == 0 || *root == "" {
		fmt.Fprintln(os.Stderr, "bench-abuse: -record and -cid are required")
		os.Exit(2)
	}
	ticket := func(key string, args ...string) (string, error) {
		out, err := exec.Command(*bin, append([]string{"vault", "ticket", "--from", key, "--vault", *vaultURL,
			"--home", *home, "--keyring-backend", "test"}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	t := abuse.Target{
		Vault: *vaultURL, ChainID: *chainID, Client: &http.Client{Timeout: 30 * time.Second},
		UploadTicket: func(size int64) (string, error) {
			return ticket(*attacker, "--purpose", "upload", "--size", strconv.FormatInt(size, 10))
		},
		ReadTicket: func(r uint64, c string) (string, error) { return ticket(*reader, strconv.FormatUint(r, 10), c) },
	}
	ctx := context.Background()
	c := cid.MustParse(*root)
	attacks := []func() abuse.Result{
		func() abuse.Result { return abuse.AnonymousUploads(ctx, t, 2000) },
		func() abuse.Result { return abuse.TinyBlockUploads(ctx, t, 5, 100_000) },
		func() abuse.Result { return abuse.HugeTickets(ctx, t, 500, 590<<10, *root) },
		func() abuse.Result { return abuse.PoisonedTickets(ctx, t, 2000, *root) },
		func() abuse.Result { return abuse.PinProbes(ctx, t, 2000, *root) },
		func() abuse.Result { return abuse.ReplayedTicket(ctx, t, 500, *record, *root) },
		func() abuse.Result { return abuse.NonceFlood(ctx, t, 2000, *record, *root) },
		func() abuse.Result { return abuse.HostileRPC(ctx, t, 2000) },
	}
	fmt.Printf("| attack | sent | refused | accepted | peak vault RSS | honest downloads | honest p99 |\n|---|---|---|---|---|---|---|\n")
	for _, attack := range attacks {
		var honest abuse.Latencies
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				tk, err := t.ReadTicket(*record, *root)
				start := time.Now() // the fetch only: signing a ticket is the reader's own cost
				if err == nil {
					vc := vault.NewClient(*vaultURL, nil)
					vc.Header = http.Header{"X-Medchain-Ticket": {tk}}
					err = vc.Fetch(ctx, c, &bytes.Buffer{})
				}
				honest.Add(time.Since(start), err)
			}
		}()
		var peak int64
		var mu sync.Mutex
		sample := make(chan struct{})
		go func() {
			for {
				select {
				case <-sample:
					return
				case <-time.After(50 * time.Millisecond):
					if r := rss(*pid); r > 0 {
						mu.Lock()
						peak = max(peak, r)
						mu.Unlock()
					}
				}
			}
		}()
		res := attack()
		close(stop)
		<-done
		close(sample)
		p99, n := honest.P(99)
		mu.Lock()
		fmt.Printf("| %s | %d | %d | %d | %d MiB | %d (%d failed) | %s |\n", res.Attack, res.Sent, res.Refused, res.Accepted,
			peak>>20, n, honest.Failures, p99.Round(time.Millisecond))
		mu.Unlock()
	}
}

// rss is a process's resident set now, in bytes (0 if unknown).
func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}
