package vault

import (
	"bytes"
	"io"
	"testing"
)

const benchSize = 64 << 20

// benchFresh times run on a fresh fixture each iteration: a store or vault
// that already holds the blocks would skip the writes being measured.
func benchFresh[T any](b *testing.B, fresh func() T, run func(T) error) {
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		x := fresh()
		b.StartTimer()
		if err := run(x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport chunks, hashes and stores 64 MiB.
func BenchmarkImport(b *testing.B) {
	input, _ := io.ReadAll(stream(benchSize))
	benchFresh(b, func() *Store { return openStore(b) }, func(s *Store) error {
		_, _, err := s.Import(b.Context(), bytes.NewReader(input))
		return err
	})
}

// BenchmarkUpload is a client storing 64 MiB: BuildCAR streamed through a
// pipe into Client.Upload, the vault verifying and storing every block.
func BenchmarkUpload(b *testing.B) {
	input, _ := io.ReadAll(stream(benchSize))
	benchFresh(b, func() *testVault { return newTestVault(b, Config{}) }, func(v *testVault) error {
		pr, pw := io.Pipe()
		go func() {
			_, err := BuildCAR(b.Context(), bytes.NewReader(input), pw)
			pw.CloseWithError(err)
		}()
		_, err := v.client.Upload(b.Context(), pr)
		return err
	})
}

// BenchmarkFetch downloads 64 MiB over loopback HTTP with Client.Fetch: the
// vault streams the CAR, the client verifies every block, checks
// completeness and writes the content out.
func BenchmarkFetch(b *testing.B) {
	v := newTestVault(b, Config{})
	root, _, err := v.store.Import(b.Context(), stream(benchSize))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := v.client.Fetch(b.Context(), root, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
