package medclient_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/vault"
)

// benchInput is the file the pipeline benchmarks read: $MEDCHAIN_BENCH_FILE
// (scripts/bench-pipeline.sh passes the same file it gives the age tool), or
// $MEDCHAIN_BENCH_MIB MiB of random bytes (default 64) written to a temp
// file, since the CLI too reads a file.
func benchInput(b *testing.B) (string, int64) {
	b.Helper()
	if path := os.Getenv("MEDCHAIN_BENCH_FILE"); path != "" {
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return path, st.Size()
	}
	mib := 64
	if s := os.Getenv("MEDCHAIN_BENCH_MIB"); s != "" {
		var err error
		if mib, err = strconv.Atoi(s); err != nil {
			b.Fatalf("MEDCHAIN_BENCH_MIB=%q: %v", s, err)
		}
	}
	path := filepath.Join(b.TempDir(), "input")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, int64(mib)<<20); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, int64(mib) << 20
}

// benchVault is a real vault (blockstore on disk) behind loopback HTTP.
func benchVault(b *testing.B) *vault.Client {
	b.Helper()
	store, err := vault.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(vault.NewServer(store, vault.Config{MaxUploadBytes: 8 << 30}))
	b.Cleanup(srv.Close)
	return vault.NewClient(srv.URL, srv.Client())
}

// reportPeakRSS reports the process's peak resident set: the pipeline
// streams, so it must not grow with the file (compare 64 MiB and 1 GiB in
// separate runs, as scripts/bench-pipeline.sh does).
func reportPeakRSS(b *testing.B) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB") // Linux reports KiB
	}
}

// BenchmarkUpload is `records upload` without the chain: read the file,
// encrypt with age (post-quantum recipient), chunk into the UnixFS DAG,
// send the CAR over HTTP to a vault that verifies and stores every block.
func BenchmarkUpload(b *testing.B) {
	path, size := benchInput(b)
	client := benchVault(b)
	key := newKey(b)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := medclient.Upload(context.Background(), client, f, size, key); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	reportPeakRSS(b)
}

// BenchmarkDownload is `records download` without the chain: fetch the CAR,
// verify every block, decrypt, write a temp file and rename it.
func BenchmarkDownload(b *testing.B) {
	path, size := benchInput(b)
	client := benchVault(b)
	key := newKey(b)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	up, err := medclient.Upload(context.Background(), client, f, size, key)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out")
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := medclient.DownloadFile(context.Background(), client, up.CID, key, out); err != nil {
			b.Fatal(err)
		}
	}
	reportPeakRSS(b)
}

// localCAR is the client's share of an upload without the network: the
// streamed CAR goes to io.Discard instead of a vault.
type localCAR struct{}

func (localCAR) UploadFile(ctx context.Context, r io.Reader) (vault.UploadResponse, error) {
	root, _, err := vault.StreamCAR(ctx, r, io.Discard)
	return vault.UploadResponse{CID: root.String()}, err
}

func (localCAR) Upload(context.Context, io.Reader) (vault.UploadResponse, error) { panic("not used") }

func (localCAR) Fetch(context.Context, cid.Cid, io.Writer) error { panic("not used") }

// BenchmarkUploadClient is the client's side of `records upload` alone:
// read, encrypt, chunk, hash and frame the CAR, as on a machine whose vault
// is elsewhere (BenchmarkUpload runs the vault on the same cores).
func BenchmarkUploadClient(b *testing.B) {
	path, size := benchInput(b)
	key := newKey(b)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := medclient.Upload(context.Background(), localCAR{}, f, size, key); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	reportPeakRSS(b)
}
