package vault

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// kuboCIDs is testdata/kubo_cids.json: the root CIDs Kubo computed for
// prefixes of stream, written by scripts/kubo-interop.sh.
type kuboCIDs struct {
	Kubo    string `json:"kubo"`
	Command string `json:"command"`
	Inputs  []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		CID  string `json:"cid"`
	} `json:"inputs"`
}

func loadKuboCIDs(t *testing.T) kuboCIDs {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "kubo_cids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var k kuboCIDs
	if err := json.Unmarshal(data, &k); err != nil {
		t.Fatalf("kubo_cids.json: %v", err)
	}
	if len(k.Inputs) == 0 {
		t.Fatal("kubo_cids.json lists no inputs")
	}
	return k
}

// TestImportMatchesKubo is the interop claim: for the same bytes, Import
// computes the root CID that Kubo's `ipfs add --cid-version 1 --raw-leaves
// --chunker size-1048576` prints, from a single raw leaf up to a two-level
// balanced tree (175 chunks, one more than a node's 174 links).
func TestImportMatchesKubo(t *testing.T) {
	k := loadKuboCIDs(t)
	s := openStore(t)
	for _, in := range k.Inputs {
		t.Run(in.Name, func(t *testing.T) {
			if testing.Short() && in.Size > 16<<20 {
				t.Skip("large input skipped in -short mode")
			}
			start := time.Now()
			root, n, err := s.Import(t.Context(), stream(in.Size))
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if n != in.Size {
				t.Fatalf("Import read %d bytes, want %d", n, in.Size)
			}
			if root.String() != in.CID {
				t.Fatalf("%d bytes: vault CID %s, Kubo %s CID %s", in.Size, root, k.Kubo, in.CID)
			}
			t.Logf("%d bytes → %s (%v)", in.Size, root, time.Since(start).Round(time.Millisecond))
		})
	}
}

var interopDir = flag.String("vault.interop-dir", "", "write the Kubo interop inputs into this directory (used by scripts/kubo-interop.sh)")

// TestWriteInteropInputs writes the inputs of TestImportMatchesKubo as files
// for Kubo to hash. It does nothing unless -vault.interop-dir is given.
func TestWriteInteropInputs(t *testing.T) {
	if *interopDir == "" {
		t.Skip("no -vault.interop-dir")
	}
	for _, in := range loadKuboCIDs(t).Inputs {
		f, err := os.Create(filepath.Join(*interopDir, in.Name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, stream(in.Size)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
