// Command bench-lightclient measures the light client on a running chain
// (by default the localnet): the latency of a verified CheckAccess once
// headers are synced (p50, p99 over -n checks, for an allowed and a denied
// grantee) and the cost of verifying headers, per block.
//
//	go run ./scripts/bench-lightclient -record 2 -allowed med1... -denied med1...
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/app"
	"github.com/medchain/medchain/lightclient"
	accesstypes "github.com/medchain/medchain/x/access/types"
)

func main() {
	primary := flag.String("node", "http://127.0.0.1:27001", "primary RPC")
	witness := flag.String("witness", "http://127.0.0.1:27011", "witness RPC (also the source of the trust point)")
	chainID := flag.String("chain-id", app.LocalChainID, "chain id")
	record := flag.Uint64("record", 1, "record id")
	allowed := flag.String("allowed", "", "a grantee that may read the record")
	denied := flag.String("denied", "", "a grantee that may not")
	n := flag.Int("n", 300, "checks per grantee")
	blocks := flag.Int("blocks", 20, "blocks to wait for when measuring header sync")
	flag.Parse()
	app.SetAddressPrefixes()
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "bench-light")
	exitOn(err)
	defer os.RemoveAll(dir)
	height := latest(*witness) - 2
	c, err := lightclient.New(ctx, lightclient.Config{
		ChainID: *chainID, Primary: *primary, Witnesses: []string{*witness}, Dir: dir,
		Trust: lightclient.TrustOptions{Height: height, Hash: blockHash(*witness, height), Period: 5 * time.Minute},
	})
	exitOn(err)
	defer c.Close()
	at, err := c.Latest(ctx)
	exitOn(err)

	for _, g := range []struct{ name, addr string }{{"allowed", *allowed}, {"denied", *denied}} {
		if g.addr == "" {
			continue
		}
		grantee, err := sdk.AccAddressFromBech32(g.addr)
		exitOn(err)
		var lat []time.Duration
		var a *lightclient.Answer
		for i := 0; i < *n; i++ {
			start := time.Now()
			a, err = c.CheckAccessAt(ctx, at, *record, grantee, accesstypes.PermissionRead)
			exitOn(err)
			lat = append(lat, time.Since(start))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("verified CheckAccess, %s (%d proofs, allowed=%v): p50 %s, p99 %s, max %s over %d checks\n",
			g.name, len(a.Proofs), a.Allowed, round(lat[len(lat)/2]), round(lat[len(lat)*99/100]), round(lat[len(lat)-1]), *n)
	}

	// Header sync: sequential (adjacent) verification of the next blocks,
	// then one skipping update over them.
	from := at.Header.Height
	for latest(*witness) < from+int64(*blocks)+1 {
		time.Sleep(500 * time.Millisecond)
	}
	start := time.Now()
	for h := from + 1; h <= from+int64(*blocks); h++ {
		_, err := c.VerifyHeight(ctx, h)
		exitOn(err)
	}
	seq := time.Since(start)
	fmt.Printf("header sync, block by block: %s per block over %d blocks\n", round(seq/time.Duration(*blocks)), *blocks)
	start = time.Now()
	lb, err := c.Sync(ctx)
	exitOn(err)
	fmt.Printf("header sync, skipping to the latest (height %d): %s\n", lb.Height, round(time.Since(start)))
}

func latest(rpc string) int64 {
	var st struct {
		Result struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	getJSON(rpc+"/status", &st)
	var h int64
	fmt.Sscan(st.Result.SyncInfo.Height, &h)
	return h
}

func blockHash(rpc string, height int64) []byte {
	var b struct {
		Result struct {
			BlockID struct {
				Hash string `json:"hash"`
			} `json:"block_id"`
		} `json:"result"`
	}
	getJSON(fmt.Sprintf("%s/block?height=%d", rpc, height), &b)
	h, err := hex.DecodeString(b.Result.BlockID.Hash)
	exitOn(err)
	return h
}

func getJSON(url string, out any) {
	resp, err := http.Get(url)
	exitOn(err)
	defer resp.Body.Close()
	exitOn(json.NewDecoder(resp.Body).Decode(out))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
