package study

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom/pkg/tag"

	"github.com/medchain/medchain/medclient/sniff"
)

const testStudy = "1.2.826.0.1.3680043.10.1234.1"

// instanceSpec makes one instance of the test study from a corpus file.
type instanceSpec struct {
	file           string
	series, sop    string
	seriesNumber   string
	instanceNumber string
	modality       string
}

func (s instanceSpec) make(t *testing.T, study string) []byte {
	t.Helper()
	set := map[tag.Tag][]string{
		tag.StudyInstanceUID:  {study},
		tag.SeriesInstanceUID: {s.series},
		tag.SOPInstanceUID:    {s.sop},
	}
	if s.seriesNumber != "" {
		set[tag.SeriesNumber] = []string{s.seriesNumber}
	}
	if s.instanceNumber != "" {
		set[tag.InstanceNumber] = []string{s.instanceNumber}
	}
	if s.modality != "" {
		set[tag.Modality] = []string{s.modality}
	}
	return rewrite(t, corpusFile(t, s.file), set)
}

// testInstances are a study of two series: MR (series 2, in three transfer
// syntaxes) and CT (series 1), plus an NM JPEG 2000 in series 3.
var testInstances = []instanceSpec{
	{"MR_small.dcm", testStudy + ".2", testStudy + ".2.1", "2", "3", ""},
	{"MR_small_implicit.dcm", testStudy + ".2", testStudy + ".2.2", "2", "1", ""},
	{"CT_small.dcm", testStudy + ".1", testStudy + ".1.1", "1", "1", ""},
	{"MR_small_bigendian.dcm", testStudy + ".2", testStudy + ".2.3", "2", "2", ""},
	{"JPEG2000.dcm", testStudy + ".3", testStudy + ".3.1", "3", "1", ""},
}

// build returns the instances of specs and their bytes by SOPInstanceUID.
func build(t *testing.T, specs []instanceSpec) ([]Instance, map[string][]byte) {
	t.Helper()
	var out []Instance
	data := map[string][]byte{}
	for _, s := range specs {
		b := s.make(t, testStudy)
		in, err := NewInstance(b)
		require.NoError(t, err, s.file)
		require.Equal(t, s.sop, in.SOPInstanceUID)
		out = append(out, in)
		data[s.sop] = b
	}
	return out, data
}

func write(t *testing.T, instances []Instance) ([]byte, Index) {
	t.Helper()
	var buf bytes.Buffer
	idx, err := Write(&buf, instances)
	require.NoError(t, err)
	size, err := Size(instances)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), size, "Size is the number of bytes Write writes")
	return buf.Bytes(), idx
}

// contents reads a container with Each, returning the bytes of each
// instance in order.
func contents(t *testing.T, c []byte) (Index, []string, map[string][]byte) {
	t.Helper()
	var order []string
	got := map[string][]byte{}
	idx, err := Each(bytes.NewReader(c), func(e Entry, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		order = append(order, e.SOPInstanceUID)
		got[e.SOPInstanceUID] = b
		return nil
	})
	require.NoError(t, err)
	return idx, order, got
}

func TestRoundTrip(t *testing.T) {
	instances, data := build(t, testInstances)
	c, idx := write(t, instances)

	require.True(t, IsContainer(c[:1024]))
	require.True(t, IsContainer(c))
	require.Equal(t, "dicom", sniff.Kind(c))
	require.False(t, IsContainer(data[testStudy+".1.1"]))

	head, err := ReadIndex(bytes.NewReader(c))
	require.NoError(t, err)
	require.Equal(t, idx, head)
	require.Equal(t, Format, idx.Format)
	require.Equal(t, testStudy, idx.StudyInstanceUID)

	read, order, got := contents(t, c)
	require.Equal(t, idx, read)
	// Series 1 (CT), series 2 by instance number, series 3.
	require.Equal(t, []string{testStudy + ".1.1", testStudy + ".2.2", testStudy + ".2.3", testStudy + ".2.1", testStudy + ".3.1"}, order)
	require.Len(t, got, len(data))
	for sop, b := range data {
		require.True(t, bytes.Equal(b, got[sop]), "instance %s byte for byte", sop)
	}
	for _, e := range idx.Instances {
		require.Equal(t, int64(len(data[e.SOPInstanceUID])), e.Size)
		require.Equal(t, e.SeriesInstanceUID+"/"+e.SOPInstanceUID+".dcm", e.Name)
	}
	require.Equal(t, "1.2.840.10008.1.2.2", idx.Instances[2].TransferSyntaxUID) // big endian MR

	// Deterministic: the same instances in any order make the same bytes;
	// hashes given by the caller change nothing.
	shuffled := append([]Instance(nil), instances...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := range shuffled {
		for _, e := range idx.Instances {
			if e.SOPInstanceUID == shuffled[i].SOPInstanceUID && i%2 == 0 {
				shuffled[i].SHA256 = e.SHA256
			}
		}
	}
	again, _ := write(t, shuffled)
	require.True(t, bytes.Equal(c, again), "Write is deterministic")

	// The tar is an ordinary one: mode 0600, mtime 0.
	tr := tar.NewReader(bytes.NewReader(c))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Equal(t, int64(0o600), h.Mode)
		require.Zero(t, h.ModTime.Unix())
	}
}

func TestWriteRefuses(t *testing.T) {
	instances, _ := build(t, testInstances[:2])
	other := testInstances[2].make(t, "1.2.3.4")
	in, err := NewInstance(other)
	require.NoError(t, err)

	_, err = Write(io.Discard, append(instances, in))
	require.ErrorContains(t, err, "belongs to study 1.2.3.4")
	_, err = Size(append(instances, in))
	require.ErrorContains(t, err, "belongs to study 1.2.3.4")
	_, err = Write(io.Discard, nil)
	require.Error(t, err)

	// A wrong size or hash announced by the caller.
	bad := instances[0]
	bad.Size--
	_, err = Write(io.Discard, []Instance{bad})
	require.ErrorContains(t, err, "bytes, not the")
	bad = instances[0]
	bad.SHA256 = strings.Repeat("ab", 32)
	_, err = Write(io.Discard, []Instance{bad})
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	require.Equal(t, instances[0].SOPInstanceUID, mm.SOPInstanceUID)
}

func TestDuplicateLastWins(t *testing.T) {
	instances, data := build(t, testInstances[:3])
	// The same SOP instance again, its series description corrected.
	spec := testInstances[1]
	fixed := rewrite(t, data[spec.sop], map[tag.Tag][]string{tag.SeriesDescription: {"corrected"}})
	in, err := NewInstance(fixed)
	require.NoError(t, err)
	c, idx := write(t, append(instances, in))
	require.Len(t, idx.Instances, 3)
	_, _, got := contents(t, c)
	require.Equal(t, fixed, got[spec.sop])
	for _, e := range idx.Instances {
		if e.SOPInstanceUID == spec.sop {
			require.Equal(t, "corrected", e.SeriesDescription)
		}
	}
	// Given first, the old one is the one replaced.
	c2, _ := write(t, append([]Instance{in}, instances...))
	_, _, got = contents(t, c2)
	require.Equal(t, data[spec.sop], got[spec.sop])
}

func TestMerge(t *testing.T) {
	all, data := build(t, testInstances)
	old, oldIdx := write(t, all[:3])

	// Two new instances and a correction of an old one.
	corrected := rewrite(t, data[testInstances[0].sop], map[tag.Tag][]string{tag.SeriesDescription: {"v2"}})
	fix, err := NewInstance(corrected)
	require.NoError(t, err)
	added := []Instance{all[3], all[4], fix}

	size, err := MergeSize(oldIdx, added)
	require.NoError(t, err)
	var buf bytes.Buffer
	idx, err := Merge(&buf, bytes.NewReader(old), added)
	require.NoError(t, err)
	require.Equal(t, size, int64(buf.Len()), "MergeSize is the number of bytes Merge writes")
	require.Len(t, idx.Instances, 5)

	_, _, got := contents(t, buf.Bytes())
	for _, s := range testInstances[1:] {
		require.True(t, bytes.Equal(data[s.sop], got[s.sop]), "%s kept byte for byte", s.sop)
	}
	require.Equal(t, corrected, got[testInstances[0].sop], "the correction replaces the old instance")

	// The new version is the container Write makes of its instances.
	direct, _ := write(t, append(append([]Instance{}, all[1:]...), fix))
	require.True(t, bytes.Equal(direct, buf.Bytes()))

	// Nothing added: the same container again.
	var same bytes.Buffer
	_, err = Merge(&same, bytes.NewReader(old), nil)
	require.NoError(t, err)
	require.Equal(t, old, same.Bytes())

	// An instance of another study is refused.
	otherStudy, err := NewInstance(testInstances[4].make(t, "1.2.3.4"))
	require.NoError(t, err)
	_, err = Merge(io.Discard, bytes.NewReader(old), []Instance{otherStudy})
	require.ErrorContains(t, err, "belongs to study 1.2.3.4")

	// A tampered older version is refused.
	bad := tamper(t, old, testInstances[1].sop)
	_, err = Merge(io.Discard, bytes.NewReader(bad), added)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	require.Equal(t, testInstances[1].sop, mm.SOPInstanceUID)
}

// tamper flips one byte in the middle of the member of sop.
func tamper(t *testing.T, c []byte, sop string) []byte {
	t.Helper()
	out := append([]byte(nil), c...)
	tr := tar.NewReader(bytes.NewReader(c))
	var off int64 = 0
	for {
		h, err := tr.Next()
		require.NoError(t, err)
		// Headers and data are 512-aligned: find the data by the name.
		if strings.HasSuffix(h.Name, "/"+sop+".dcm") {
			at := bytes.Index(out, append([]byte(h.Name), 0))
			require.GreaterOrEqual(t, at, 0)
			off = int64(at) + 512 + h.Size/2
			out[off] ^= 0x55
			return out
		}
	}
}

func TestTamperDetected(t *testing.T) {
	instances, _ := build(t, testInstances[:3])
	c, idx := write(t, instances)
	victim := idx.Instances[1].SOPInstanceUID

	bad := tamper(t, c, victim)
	_, err := Each(bytes.NewReader(bad), func(e Entry, r io.Reader) error { return nil })
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	require.Equal(t, victim, mm.SOPInstanceUID)
	require.ErrorContains(t, err, victim)

	// The reader given to fn itself reports it, instead of io.EOF.
	var seen []string
	_, err = Each(bytes.NewReader(bad), func(e Entry, r io.Reader) error {
		_, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		seen = append(seen, e.SOPInstanceUID)
		return nil
	})
	require.ErrorAs(t, err, &mm)
	require.Equal(t, []string{idx.Instances[0].SOPInstanceUID}, seen)

	// A truncated container.
	_, err = Each(bytes.NewReader(c[:len(c)-3000]), func(Entry, io.Reader) error { return nil })
	require.Error(t, err)

	// An index edited: a hash, or the order.
	js, _ := json.Marshal(idx)
	edited := idx
	edited.Instances = append([]Entry(nil), idx.Instances...)
	edited.Instances[0].SHA256 = strings.Repeat("0", 64)
	_, err = Each(bytes.NewReader(handTar(t, edited, c)), func(Entry, io.Reader) error { return nil })
	require.ErrorAs(t, err, &mm)
	require.Equal(t, idx.Instances[0].SOPInstanceUID, mm.SOPInstanceUID)
	edited.Instances[0], edited.Instances[1] = idx.Instances[1], idx.Instances[0]
	_, err = ReadIndex(bytes.NewReader(handTar(t, edited, c)))
	require.ErrorContains(t, err, "out of order")
	require.NotEmpty(t, js)

	// Not a container at all.
	_, err = ReadIndex(strings.NewReader("hello"))
	require.Error(t, err)
}

// handTar rebuilds container c with the index idx and, for each member,
// the name given by rename (or the member's own).
func handTar(t *testing.T, idx Index, c []byte, rename ...func(string) string) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	js, err := json.Marshal(idx)
	require.NoError(t, err)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: IndexName, Size: int64(len(js)), Mode: 0o600, Typeflag: tar.TypeReg}))
	_, err = tw.Write(js)
	require.NoError(t, err)
	tr := tar.NewReader(bytes.NewReader(c))
	_, err = tr.Next()
	require.NoError(t, err)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		name := h.Name
		for _, r := range rename {
			name = r(name)
		}
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Size: h.Size, Mode: 0o600, Typeflag: tar.TypeReg}))
		_, err = io.Copy(tw, tr)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return out.Bytes()
}

func TestExtract(t *testing.T) {
	instances, data := build(t, testInstances[:3])
	c, idx := write(t, instances)

	dir := t.TempDir()
	paths, err := Extract(bytes.NewReader(c), dir)
	require.NoError(t, err)
	require.Len(t, paths, 3)
	for i, p := range paths {
		e := idx.Instances[i]
		require.Equal(t, filepath.Join(dir, e.SeriesInstanceUID, e.SOPInstanceUID+".dcm"), p)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, data[e.SOPInstanceUID], b)
	}
	requireOnly(t, dir, paths)

	// "../x" in the index: refused before anything is written.
	evil := idx
	evil.Instances = append([]Entry(nil), idx.Instances...)
	evil.Instances[0].Name = "../x"
	parent := t.TempDir()
	dir = filepath.Join(parent, "out")
	_, err = Extract(bytes.NewReader(handTar(t, evil, c, func(string) string { return "../x" })), dir)
	require.ErrorContains(t, err, `member name "../x"`)
	requireOnly(t, parent, nil)

	// A valid index but members named "../x" and "/etc/x": refused, nothing
	// written outside dir, and no file under a name it does not deserve.
	for _, name := range []string{"../x", "/tmp/x", idx.Instances[1].Name} {
		parent = t.TempDir()
		dir = filepath.Join(parent, "out")
		_, err = Extract(bytes.NewReader(handTar(t, idx, c, func(n string) string {
			if n == idx.Instances[0].Name {
				return name
			}
			return n
		})), dir)
		require.ErrorContains(t, err, fmt.Sprintf("member %q where the index has instance %s", name, idx.Instances[0].SOPInstanceUID))
		requireOnly(t, parent, nil)
	}

	// A tampered second member: the first file is there, complete; of the
	// second no file, not even a partial one.
	parent = t.TempDir()
	paths, err = Extract(bytes.NewReader(tamper(t, c, idx.Instances[1].SOPInstanceUID)), parent)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	require.Len(t, paths, 1)
	requireOnly(t, parent, paths)
	b, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	require.Equal(t, data[idx.Instances[0].SOPInstanceUID], b)
}

// requireOnly checks that the regular files under root are exactly want.
func requireOnly(t *testing.T, root string, want []string) {
	t.Helper()
	var files []string
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	}))
	if want == nil {
		want = []string{}
	}
	if files == nil {
		files = []string{}
	}
	require.ElementsMatch(t, want, files)
}

func TestReadFile(t *testing.T) {
	b := testInstances[2].make(t, testStudy)
	p := filepath.Join(t.TempDir(), "ct.dcm")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	in, err := ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, int64(len(b)), in.Size)
	require.Equal(t, testInstances[2].sop, in.SOPInstanceUID)
	c, _ := write(t, []Instance{in})
	_, _, got := contents(t, c)
	require.Equal(t, b, got[in.SOPInstanceUID])

	require.NoError(t, os.WriteFile(p, []byte("not dicom"), 0o600))
	_, err = ReadFile(p)
	require.True(t, errors.Is(err, ErrNotDICOM))
}
