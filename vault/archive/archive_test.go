package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	carstorage "github.com/ipld/go-car/v2/storage"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault"
)

// TestCommPMatchesPublishedVectors checks CommP against rows of
// go-fil-commp-hashhash's testdata (zero.txt and 0xCC.txt, generated with
// Lotus): payload size, padded piece size, piece CID.
func TestCommPMatchesPublishedVectors(t *testing.T) {
	for _, v := range []struct {
		fill  byte
		n     int
		size  uint64
		piece string
	}{
		{0x00, 96, 128, "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy"},
		{0x00, 127, 128, "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy"},
		{0x00, 192, 256, "baga6ea4seaqgiktap34inmaex4wbs6cghlq5i2j2yd2bb2zndn5ep7ralzphkdy"},
		{0x00, 509, 1024, "baga6ea4seaqb66wjlfkrbye6uqoemcyxmqylwmrm235uclwfpsyx3ge2imidoly"},
		{0x00, 1024, 2048, "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"},
		{0xCC, 96, 128, "baga6ea4seaqhwcjhi4krhl3ht6dewnwevkpxbepxy7p7onwgz65t52typbsysby"},
		{0xCC, 127, 128, "baga6ea4seaqmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq"},
		{0xCC, 254, 256, "baga6ea4seaqkixbzz75uys2pcjbrbdilgjhmum72qm4xphrwav2iyel5oat4aka"},
		{0xCC, 508, 512, "baga6ea4seaqb6ckbupixkhwp7thgb52f4en222boppajkqk7gaomkpof3lh4cei"},
		{0xCC, 509, 1024, "baga6ea4seaqdzbeaexq6gpbqh2tlnbz5mm5neap2kejsketkogzd6x2dx7dzkii"},
	} {
		c, size, err := CommP(bytes.NewReader(bytes.Repeat([]byte{v.fill}, v.n)))
		require.NoError(t, err)
		require.Equal(t, v.piece, c.String(), "%d bytes of %#x", v.n, v.fill)
		require.Equal(t, v.size, size, "%d bytes of %#x", v.n, v.fill)
	}
	_, _, err := CommP(bytes.NewReader(make([]byte, 64)))
	require.ErrorContains(t, err, "too few")
}

// TestPieceEqualsGoDataSegmentSampleAggregate lays out go-data-segment's
// published sample (two CARs in a 1 MiB deal) and gets its piece CID and
// its deal file byte for byte.
func TestPieceEqualsGoDataSegmentSampleAggregate(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/filecoin-project/go-data-segment").Output()
	require.NoError(t, err)
	dir := filepath.Join(strings.TrimSpace(string(out)), "datasegment", "testdata", "sample_aggregate")
	var segs []segment
	for i, f := range []struct{ name, commP string }{
		{"cat.png.car", "baga6ea4seaqae5ysjdbsr4b5jhotaz5ooh62jrrdbxwygfpkkfjz44kvywycmgy"},
		{"Verifiable Data Aggregation.png.car", "baga6ea4seaqnrm2n2g4m23t6rs26obxjw2tjtr7tcho24gepj2naqhevytduyoa"},
	} {
		path := filepath.Join(dir, f.name)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		c, size, err := CommP(bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, f.commP, c.String(), f.name)
		segs = append(segs, segment{item: Item{RecordID: uint64(i + 1), Version: 1, CID: c}, path: path,
			carBytes: int64(len(data)), commP: c, size: size})
	}
	outDir := t.TempDir()
	p, err := writePiece(segs, MaxPieceSize, outDir)
	require.NoError(t, err)
	require.Equal(t, "baga6ea4seaqnqkeoqevjjjfe46wo2lpfclcbmkyms4wkz5srou3vzmr3w3c72bq", p.PieceCID)
	require.EqualValues(t, 1<<20, p.PieceSize)
	got, err := os.ReadFile(filepath.Join(outDir, p.File))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(dir, "deal.data"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "the piece file differs from go-data-segment's deal.data")
}

// fixture is a vault holding records of several sizes.
type fixture struct {
	store *vault.Store
	items []Item
	data  map[cid.Cid][]byte
}

func newFixture(t *testing.T, sizes ...int) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	f := &fixture{store: s, data: map[cid.Cid][]byte{}}
	for i, n := range sizes {
		data := make([]byte, n)
		_, _ = rand.Read(data)
		c, _, err := s.Import(ctx, bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, s.PinRecord(ctx, c, uint64(i+1), 1))
		f.items = append(f.items, Item{RecordID: uint64(i + 1), Version: 1, CID: c})
		f.data[c] = data
	}
	return f
}

// fetch serves CARs as a vault serves /ipfs/{cid}?format=car.
func (f *fixture) fetch(ctx context.Context, c cid.Cid) (io.ReadCloser, error) {
	var buf bytes.Buffer
	if err := f.store.WriteCAR(ctx, c, &buf); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

func allLive(f *fixture, except ...cid.Cid) Liveness {
	return func(_ context.Context, c cid.Cid) (uint64, uint64, bool, error) {
		for _, e := range except {
			if e.Equals(c) {
				return 0, 0, false, nil
			}
		}
		for _, it := range f.items {
			if it.CID.Equals(c) {
				return it.RecordID, it.Version, true, nil
			}
		}
		return 0, 0, false, nil
	}
}

func piecePaths(res *Result) []string {
	var out []string
	for _, p := range res.Manifest.Pieces {
		out = append(out, PiecePath(res.ManifestPath, p))
	}
	return out
}

func TestArchiveRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 100, 3000, 300<<10, 2<<20+12345, 70<<10)
	dir := t.TempDir()
	res, err := Run(ctx, f.items, f.fetch, Options{Dir: dir, PieceSize: 8 << 20, TargetCARBytes: 1 << 20, ChainID: "medchain-test", Height: 42})
	require.NoError(t, err)
	require.Equal(t, len(f.items), res.Segments)
	require.GreaterOrEqual(t, len(res.Manifest.Pieces), 2, "a 1 MiB target splits these records into several pieces")
	m, err := ReadManifest(res.ManifestPath)
	require.NoError(t, err)
	require.Equal(t, res.Manifest.Pieces, m.Pieces)
	csv, err := os.ReadFile(strings.TrimSuffix(res.ManifestPath, ".json") + ".csv")
	require.NoError(t, err)
	require.Equal(t, len(m.Pieces)+1, strings.Count(string(csv), "\n"))

	seen := 0
	for _, p := range m.Pieces {
		// An independent CommP of the file, as a storage provider computes
		// it, is the manifest's piece CID.
		file, err := os.Open(PiecePath(res.ManifestPath, p))
		require.NoError(t, err)
		c, size, err := CommP(file)
		_ = file.Close()
		require.NoError(t, err)
		require.Equal(t, p.PieceCID, c.String())
		require.Equal(t, p.PieceSize, size)
		for _, s := range p.Segments {
			seen++
			proof, err := Prove(p, s.RecordID, s.Version)
			require.NoError(t, err)
			require.NoError(t, proof.Verify())
			car, err := f.fetch(ctx, cid.MustParse(s.CID))
			require.NoError(t, err)
			require.NoError(t, proof.VerifyCAR(ctx, car))
		}
	}
	require.Equal(t, len(f.items), seen)

	// A proof does not hold for a record that is not in the piece: another
	// piece's segment, claimed at this segment's place.
	p0, p1 := m.Pieces[0], m.Pieces[1]
	proof, err := Prove(p0, p0.Segments[0].RecordID, p0.Segments[0].Version)
	require.NoError(t, err)
	forged := *proof
	forged.SegmentCID, forged.SegmentSize = p1.Segments[0].SegmentCID, p1.Segments[0].Size
	require.ErrorIs(t, forged.Verify(), ErrNotIncluded)
	forged = *proof
	forged.PieceCID = p1.PieceCID
	require.ErrorIs(t, forged.Verify(), ErrNotIncluded)
	other, err := f.fetch(ctx, cid.MustParse(p1.Segments[0].CID))
	require.NoError(t, err)
	require.Error(t, proof.VerifyCAR(ctx, other))
	_, err = Prove(p0, p1.Segments[0].RecordID, p1.Segments[0].Version)
	require.ErrorContains(t, err, "holds no segment")

	// Restore into an empty vault: one record is no longer live (redacted
	// since), and one live CID was never archived.
	redacted := f.items[1]
	fresh, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer fresh.Close()
	neverArchived := Item{RecordID: 99, Version: 1, CID: cid.MustParse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")}
	rep, err := Restore(ctx, fresh, m, piecePaths(res), allLive(f, redacted.CID), append(f.items[:1:1], neverArchived))
	require.NoError(t, err)
	require.Equal(t, len(m.Pieces), rep.Pieces)
	require.Equal(t, len(f.items), rep.Segments)
	require.Len(t, rep.Restored, len(f.items)-1)
	require.Equal(t, []Item{redacted}, rep.NotLive)
	require.Equal(t, []Item{neverArchived}, rep.Missing)
	require.EqualValues(t, len(f.items)-1, fresh.PinnedCount())
	for _, it := range f.items {
		has, err := fresh.HasRoot(ctx, it.CID)
		require.NoError(t, err)
		if it == redacted {
			require.False(t, has, "a record no longer live is not restored")
			continue
		}
		require.True(t, has)
		r, err := fresh.Cat(ctx, it.CID)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		_ = r.Close()
		require.NoError(t, err)
		require.True(t, bytes.Equal(f.data[it.CID], got), "record %d restores byte-identical", it.RecordID)
	}
}

func TestArchiveIsIncremental(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 5000, 6000, 7000)
	dir := t.TempDir()
	first, err := Run(ctx, f.items[:2], f.fetch, Options{Dir: dir, PieceSize: 1 << 20, Height: 10})
	require.NoError(t, err)
	require.Equal(t, 2, first.Segments)

	again, err := Run(ctx, f.items[:2], f.fetch, Options{Dir: dir, PieceSize: 1 << 20, Height: 11})
	require.NoError(t, err)
	require.Equal(t, 0, again.Segments)
	require.Equal(t, 2, again.Skipped)
	require.Empty(t, again.ManifestPath, "a run with nothing new writes no manifest")

	third, err := Run(ctx, f.items, f.fetch, Options{Dir: dir, PieceSize: 1 << 20, Height: 12})
	require.NoError(t, err)
	require.Equal(t, 1, third.Segments)
	require.Equal(t, 2, third.Skipped)
	require.Len(t, third.Manifest.Pieces, 1)
	require.Equal(t, []Segment{third.Manifest.Pieces[0].Segments[0]}, third.Manifest.Pieces[0].Segments)
	require.Equal(t, f.items[2].CID.String(), third.Manifest.Pieces[0].Segments[0].CID)

	done, err := Archived(dir)
	require.NoError(t, err)
	require.Len(t, done, 3)
}

func TestRestoreRefusesATamperedPiece(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 40<<10, 50<<10)
	dir := t.TempDir()
	res, err := Run(ctx, f.items, f.fetch, Options{Dir: dir, PieceSize: 1 << 20})
	require.NoError(t, err)
	require.Len(t, res.Manifest.Pieces, 1)
	p := res.Manifest.Pieces[0]
	path := PiecePath(res.ManifestPath, p)
	orig, err := os.ReadFile(path)
	require.NoError(t, err)

	for name, at := range map[string]int64{
		// a byte of a block: the block no longer hashes to its CID
		"inside a segment": int64(p.Segments[0].CARBytes) - 10,
		// a byte of the zeros between the segments and the index: only
		// the CommPs notice
		"in a gap": int64(p.CARSize) - 4096,
	} {
		t.Run(name, func(t *testing.T) {
			bad := bytes.Clone(orig)
			bad[at] ^= 0xff
			require.NoError(t, os.WriteFile(path, bad, 0o600))
			fresh, err := vault.Open(t.TempDir())
			require.NoError(t, err)
			defer fresh.Close()
			_, err = Restore(ctx, fresh, res.Manifest, []string{path}, allLive(f), nil)
			require.Error(t, err)
			require.EqualValues(t, 0, fresh.PinnedCount(), "nothing of a piece that does not verify is pinned")
		})
	}
	require.NoError(t, os.WriteFile(path, orig, 0o600))

	// A file of the wrong length, or one the manifest does not name.
	require.NoError(t, os.WriteFile(path, orig[:len(orig)-1], 0o600))
	fresh, err := vault.Open(t.TempDir())
	require.NoError(t, err)
	defer fresh.Close()
	_, err = Restore(ctx, fresh, res.Manifest, []string{path}, allLive(f), nil)
	require.ErrorIs(t, err, ErrPieceMismatch)
	stray := filepath.Join(dir, "stray.car")
	require.NoError(t, os.WriteFile(stray, orig, 0o600))
	_, err = Restore(ctx, fresh, res.Manifest, []string{stray}, allLive(f), nil)
	require.ErrorContains(t, err, "no piece of the manifest")
}

func TestArchiveRefusesWhatDoesNotVerify(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 4000, 5000)
	dir := t.TempDir()
	// The second record's CAR comes back with a flipped byte: its block no
	// longer hashes to its CID.
	lying := func(ctx context.Context, c cid.Cid) (io.ReadCloser, error) {
		body, err := f.fetch(ctx, c)
		if err != nil || !c.Equals(f.items[1].CID) {
			return body, err
		}
		data, _ := io.ReadAll(body)
		data[len(data)-5] ^= 1
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	res, err := Run(ctx, f.items, lying, Options{Dir: dir, PieceSize: 1 << 20})
	require.ErrorContains(t, err, "record 2 version 1")
	require.ErrorContains(t, err, "does not verify")
	// What verified before the bad record is archived and recorded.
	require.NotEmpty(t, res.ManifestPath)
	require.Len(t, res.Manifest.Pieces, 1)
	require.Equal(t, f.items[0].CID.String(), res.Manifest.Pieces[0].Segments[0].CID)
	require.Len(t, res.Manifest.Pieces[0].Segments, 1)

	// A CAR whose header names other roots than the record's CID.
	otherRoots := func(ctx context.Context, c cid.Cid) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			w, err := carstorage.NewWritable(struct{ io.Writer }{pw}, []cid.Cid{c, f.items[1].CID}, car.WriteAsCarV1(true))
			if err == nil {
				var buf bytes.Buffer
				if err = f.store.WriteCAR(ctx, c, &buf); err == nil {
					br, _ := car.NewBlockReader(&buf)
					for blk, err2 := br.Next(); err2 == nil; blk, err2 = br.Next() {
						_ = w.Put(ctx, blk.Cid().KeyString(), blk.RawData())
					}
				}
			}
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
	_, err = Run(ctx, f.items[:1], otherRoots, Options{Dir: t.TempDir(), PieceSize: 1 << 20})
	require.ErrorContains(t, err, "only root")

	// A record too big for the largest piece allowed.
	big := newFixture(t, 600<<10)
	_, err = Run(ctx, big.items, big.fetch, Options{Dir: t.TempDir(), PieceSize: 512 << 10})
	require.ErrorContains(t, err, "raise --piece-size")
	require.Error(t, ValidPieceSize(3<<20))
	require.NoError(t, ValidPieceSize(32<<30))

	// A fetch that fails names the record.
	_, err = Run(ctx, f.items, func(context.Context, cid.Cid) (io.ReadCloser, error) {
		return nil, errors.New("vault unreachable")
	}, Options{Dir: t.TempDir()})
	require.ErrorContains(t, err, "fetching record 1 version 1")
}
