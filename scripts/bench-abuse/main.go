// Command bench-abuse sends every attack of package internal/abuse to a
// vault whose access gate is on, while an honest reader downloads a record
// over and over, and prints per attack: requests sent, refused, the
// vault process's peak RSS, and the honest downloads' p99 during it.
// Then the attacks that are transactions (chain.go), with the same
// columns (sent, refused and accepted are transactions, the statuses ABCI
// codes): front-running another account's upload (-bob-record), and a
// WRITE grantee flooding a record with versions past
// max_versions_per_record (-flood-record). These need the vault to sign
// upload receipts. scripts/bench-abuse.sh runs it all against a gated vault
// beside a running localnet:
//
//	go run ./scripts/bench-abuse -vault http://127.0.0.1:27094 -pid PID -record 1 -cid bafy... \
//	  -reader alice -attacker bob -home .localnet/client -bob-record 2 -flood-record 3 -writer charite
//
// Each row's statuses and one refusal's message go to standard error.
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
	node := flag.String("node", "tcp://127.0.0.1:27001", "CometBFT RPC the transactions go to")
	bobRecord := flag.Uint64("bob-record", 0, "a record of the attacker's, whose wrap his front-running messages copy (0: no front-running rows)")
	rounds := flag.Int("front-rounds", 10, "front-running: the reader's uploads the attacker tries to claim first")
	floodRecord := flag.Uint64("flood-record", 0, "a record of the reader's on which -writer holds WRITE (0: no version-flood rows)")
	writer := flag.String("writer", "charite", "the WRITE grantee hospital that floods -flood-record with versions (encryption key registered)")
	extra := flag.Int("flood-extra", 20, "versions the writer tries past max_versions_per_record")
	txDeadline := flag.Duration("tx-deadline", 4*time.Minute, "the longest one burst of transactions is sent for")
	txOnly := flag.Bool("tx-only", false, "only the transaction attacks (e.g. to finish a version flood the deadline cut short)")
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
	one := func(f func() abuse.Result) func() []abuse.Result {
		return func() []abuse.Result { return []abuse.Result{f()} }
	}
	attacks := []func() []abuse.Result{
		one(func() abuse.Result { return abuse.AnonymousUploads(ctx, t, 2000) }),
		one(func() abuse.Result { return abuse.TinyBlockUploads(ctx, t, 5, 100_000) }),
		one(func() abuse.Result { return abuse.HugeTickets(ctx, t, 500, 590<<10, *root) }),
		one(func() abuse.Result { return abuse.PoisonedTickets(ctx, t, 2000, *root) }),
		one(func() abuse.Result { return abuse.PinProbes(ctx, t, 2000, *root) }),
		one(func() abuse.Result { return abuse.ReplayedTicket(ctx, t, 500, *record, *root) }),
		one(func() abuse.Result { return abuse.NonceFlood(ctx, t, 2000, *record, *root) }),
		one(func() abuse.Result { return abuse.HostileRPC(ctx, t, 2000) }),
		one(func() abuse.Result { return abuse.StolenPseudonyms(ctx, t, 500, *record) }),
	}
	if *txOnly {
		attacks = nil
	}
	scratch, err := os.MkdirTemp("", "bench-abuse")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-abuse:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(scratch)
	ch := &chain{bin: *bin, home: *home, chainID: *chainID, node: *node, vault: *vaultURL, dir: scratch, deadline: *txDeadline}
	if *bobRecord != 0 {
		attacks = append(attacks, func() []abuse.Result { return ch.FrontRunning(ctx, *rounds, *reader, *attacker, *record, *bobRecord) })
	}
	if *floodRecord != 0 {
		attacks = append(attacks, func() []abuse.Result { return ch.VersionFlood(ctx, *writer, *floodRecord, *extra) })
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
		results := attack()
		close(stop)
		<-done
		close(sample)
		p99, n := honest.P(99)
		mu.Lock()
		// The rows of one attack share its RSS and honest figures.
		for _, res := range results {
			fmt.Printf("| %s | %d | %d | %d | %d MiB | %d (%d failed) | %s |\n", res.Attack, res.Sent, res.Refused, res.Accepted,
				peak>>20, n, honest.Failures, p99.Round(time.Millisecond))
			fmt.Fprintf(os.Stderr, "# %s: statuses %v; a refusal: %s\n", res.Attack, res.Statuses, res.Sample)
		}
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
