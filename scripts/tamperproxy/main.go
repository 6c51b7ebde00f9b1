// Command tamperproxy puts a lying proxy in front of a node's RPC, for the
// light-client demo (scripts/demo-lightclient.sh):
//
//	go run ./scripts/tamperproxy -target http://127.0.0.1:27001 -listen 127.0.0.1:27099 -mode forge-value
//
// Modes: forge-value (forged access grants), other-key (a true proof of
// another key), stale-height (answers from the block before), freeze (no
// header newer than the one at start), or "" to pass everything through. It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/medchain/medchain/testutil/tamperproxy"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:27001", "the node's RPC")
	listen := flag.String("listen", "127.0.0.1:27099", "where the proxy listens")
	mode := flag.String("mode", tamperproxy.ForgeValue, "forge-value, other-key, stale-height, freeze, or empty to pass through")
	flag.Parse()
	p, err := tamperproxy.Listen(*listen, *target)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p.SetMode(*mode)
	fmt.Printf("lying (%s) in front of %s at %s\n", *mode, *target, p.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
}
