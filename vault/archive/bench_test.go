package archive

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/vault"
)

// BenchmarkArchive archives MEDCHAIN_BENCH_ARCHIVE_MIB MiB (default 256)
// of records between 64 KiB and 48 MiB from a vault store into pieces, and
// first reads the same CARs to io.Discard (the plain `cat` of the same
// blocks) in the same run. It reports both rates and the peak RSS of the
// archive alone (VmHWM, reset through /proc/self/clear_refs after setup).
// scripts/bench-archive.sh runs it with 2 GiB.
func BenchmarkArchive(b *testing.B) {
	mib := 256
	if s := os.Getenv("MEDCHAIN_BENCH_ARCHIVE_MIB"); s != "" {
		var err error
		if mib, err = strconv.Atoi(s); err != nil || mib <= 0 {
			b.Fatalf("MEDCHAIN_BENCH_ARCHIVE_MIB=%q", s)
		}
	}
	ctx := context.Background()
	store, err := vault.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	rng := rand.New(rand.NewSource(1))
	var (
		items []Item
		total int64
	)
	for total < int64(mib)<<20 {
		n := int64(64<<10) + rng.Int63n(48<<20)
		if rest := int64(mib)<<20 - total; n > rest {
			n = max(rest, 64<<10)
		}
		c, _, err := store.Import(ctx, io.LimitReader(rng, n))
		if err != nil {
			b.Fatal(err)
		}
		if err := store.PinRecord(ctx, c, uint64(len(items)+1), 1); err != nil {
			b.Fatal(err)
		}
		items = append(items, Item{RecordID: uint64(len(items) + 1), Version: 1, CID: c})
		total += n
	}
	fetch := func(ctx context.Context, c cid.Cid) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(store.WriteCAR(ctx, c, pw)) }()
		return pr, nil
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var catBytes int64
		for _, it := range items {
			r, _ := fetch(ctx, it.CID)
			n, err := io.Copy(io.Discard, r)
			if err != nil {
				b.Fatal(err)
			}
			catBytes += n
		}
		cat := time.Since(start)

		resetPeakRSS(b)
		start = time.Now()
		res, err := Run(ctx, items, fetch, Options{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if res.CARBytes != catBytes {
			b.Fatalf("archived %d CAR bytes, cat read %d", res.CARBytes, catBytes)
		}
		b.ReportMetric(float64(catBytes)/(1<<20)/cat.Seconds(), "cat-MiB/s")
		b.ReportMetric(float64(res.CARBytes)/(1<<20)/took.Seconds(), "archive-MiB/s")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(len(items)), "records")
		b.ReportMetric(float64(len(res.Manifest.Pieces)), "pieces")
	}
}

func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v): it includes the setup", err)
	}
}

// peakRSS reads VmHWM from /proc/self/status, in bytes.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
