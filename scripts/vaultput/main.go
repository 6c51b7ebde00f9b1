// Command vaultput stores a file's bytes in a vault as they are (no
// encryption) and prints the root CID, or with -json the vault's whole
// answer (cid, size and the upload receipt a signing vault returns, which a
// hand-built MsgCreateRecord or MsgAddVersion must carry); with -cid-only
// it prints the CID a vault would give the file without storing anything.
// The demos use it to play an attacker who registers payloads by hand:
//
//	go run ./scripts/vaultput -vault http://127.0.0.1:27005 -ticket "$(medchaind vault ticket --purpose upload ...)" FILE
//	go run ./scripts/vaultput -json -vault http://127.0.0.1:27005 -ticket "$(...)" FILE | jq .receipt
//	go run ./scripts/vaultput -cid-only FILE
//
// The receipt prints as the message JSON takes it: {"hospital", "pub_key",
// "signature"}, the keys base64.
//
// Real records are encrypted first: use medchaind tx records upload.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/medchain/medchain/vault"
)

func main() {
	vaultURL := flag.String("vault", "http://127.0.0.1:27005", "the vault to store the file in")
	cidOnly := flag.Bool("cid-only", false, "print the CID the file would get, store nothing")
	ticket := flag.String("ticket", "", "an upload ticket (medchaind vault ticket --purpose upload --size N ...)")
	asJSON := flag.Bool("json", false, "print the vault's whole answer as JSON (cid, size, receipt), not just the CID")
	flag.Parse()
	if flag.NArg() != 1 || (*asJSON && *cidOnly) {
		fmt.Fprintln(os.Stderr, "usage: vaultput [-vault URL [-ticket T] [-json] | -cid-only] FILE")
		os.Exit(2)
	}
	if err := run(*vaultURL, *ticket, *cidOnly, *asJSON, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "vaultput:", err)
		os.Exit(1)
	}
}

func run(vaultURL, ticket string, cidOnly, asJSON bool, path string) error {
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if cidOnly {
		dir, err := os.MkdirTemp("", "vaultput")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		s, err := vault.Open(dir)
		if err != nil {
			return err
		}
		defer s.Close()
		c, _, err := s.Import(ctx, f)
		if err != nil {
			return err
		}
		fmt.Println(c)
		return nil
	}
	vc := vault.NewClient(vaultURL, http.DefaultClient)
	if ticket != "" {
		vc.UploadHeader = func() (http.Header, error) { return http.Header{"X-Medchain-Ticket": {ticket}}, nil }
	}
	c, err := vc.UploadFile(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		// vault.Receipt's []byte fields marshal as base64, as proto JSON
		// wants bytes; absent when the vault signs no receipts.
		return json.NewEncoder(os.Stdout).Encode(c)
	}
	fmt.Println(c.CID)
	return nil
}
