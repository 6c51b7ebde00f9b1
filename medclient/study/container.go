package study

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/medchain/medchain/medclient/sniff"
)

// Format names the container format in Index.Format.
const Format = sniff.StudyContainerFormat

// IndexName is the container's first member.
const IndexName = "index.json"

// maxIndex bounds the index a reader accepts (about 100,000 instances).
const maxIndex = 64 << 20

// maxMember is the largest instance a ustar header can describe.
const maxMember = 1<<33 - 1

// Index is the container's table of contents, its first member.
type Index struct {
	Format           string  `json:"format"`
	StudyInstanceUID string  `json:"studyInstanceUID"`
	Instances        []Entry `json:"instances"`
}

// Entry is one instance in the index.
type Entry struct {
	Attributes
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
	Name   string `json:"name"`   // member name, MemberName(Attributes)
}

// Instance is an instance to write into a container: its attributes (from
// ReadAttributes), its size and a way to read its bytes, opened once or
// twice by Write (once to hash it when SHA256 is empty, once to copy it).
// NewInstance and ReadFile make one.
type Instance struct {
	Attributes
	Size int64
	// SHA256 is the hex SHA-256 of the bytes if the caller already has it
	// (computed while receiving them, say); Write then opens the instance
	// only once, and fails if the bytes do not have that hash.
	SHA256 string
	Open   func() (io.ReadCloser, error)
}

// MemberName is the container member of an instance with attributes a:
// "<SeriesInstanceUID>/<SOPInstanceUID>.dcm".
func MemberName(a Attributes) string {
	return a.SeriesInstanceUID + "/" + a.SOPInstanceUID + ".dcm"
}

// less is the container's order: series number, series UID, instance
// number, SOP instance UID. It depends on each instance alone, so the
// instances of an older version keep their relative order in a newer one
// (Merge relies on it).
func less(a, b Attributes) bool {
	if a.SeriesNumber != b.SeriesNumber {
		return a.SeriesNumber < b.SeriesNumber
	}
	if a.SeriesInstanceUID != b.SeriesInstanceUID {
		return a.SeriesInstanceUID < b.SeriesInstanceUID
	}
	if a.InstanceNumber != b.InstanceNumber {
		return a.InstanceNumber < b.InstanceNumber
	}
	return a.SOPInstanceUID < b.SOPInstanceUID
}

// plan checks the instances, keeps the last of each SOPInstanceUID and
// sorts them.
func plan(instances []Instance, study string) ([]Instance, error) {
	if len(instances) == 0 {
		return nil, nil
	}
	if study == "" {
		study = instances[0].StudyInstanceUID
	}
	last := map[string]int{}
	for i, in := range instances {
		if err := in.Attributes.check(); err != nil {
			return nil, fmt.Errorf("study: instance %d (%s): %w", i, in.SOPInstanceUID, err)
		}
		if in.StudyInstanceUID != study {
			return nil, fmt.Errorf("study: instance %s belongs to study %s, not %s: a container holds one study", in.SOPInstanceUID, in.StudyInstanceUID, study)
		}
		if in.Size < 0 || in.Size > maxMember {
			return nil, fmt.Errorf("study: instance %s: size %d out of range", in.SOPInstanceUID, in.Size)
		}
		if in.Open == nil {
			return nil, fmt.Errorf("study: instance %s: no Open", in.SOPInstanceUID)
		}
		if in.SHA256 != "" && !isHash(in.SHA256) {
			return nil, fmt.Errorf("study: instance %s: SHA256 %q is not 64 lower-case hex digits", in.SOPInstanceUID, in.SHA256)
		}
		last[in.SOPInstanceUID] = i
	}
	out := make([]Instance, 0, len(last))
	for i, in := range instances {
		if last[in.SOPInstanceUID] == i {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].Attributes, out[j].Attributes) })
	return out, nil
}

func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// zeroHash stands for a hash not yet computed: it has the length of every
// hash, so the index's size does not depend on the hashes.
var zeroHash = strings.Repeat("0", 2*sha256.Size)

func entryOf(in Instance) Entry {
	h := in.SHA256
	if h == "" {
		h = zeroHash
	}
	return Entry{Attributes: in.Attributes, Size: in.Size, SHA256: h, Name: MemberName(in.Attributes)}
}

func marshalIndex(idx Index) ([]byte, error) {
	return json.Marshal(idx)
}

// containerSize is the size of the tar stream of an index of n bytes and
// members of the entries' sizes: a 512-byte header a member, each member
// padded to 512 bytes, and the two zero blocks that end the archive.
func containerSize(indexLen int64, entries []Entry) int64 {
	pad := func(n int64) int64 { return (n + 511) / 512 * 512 }
	total := 512 + pad(indexLen) + 1024
	for _, e := range entries {
		total += 512 + pad(e.Size)
	}
	return total
}

func indexOf(entries []Entry) Index {
	return Index{Format: Format, StudyInstanceUID: entries[0].StudyInstanceUID, Instances: entries}
}

func sizeOfEntries(entries []Entry) (int64, error) {
	probe := make([]Entry, len(entries))
	for i, e := range entries {
		e.SHA256 = zeroHash
		probe[i] = e
	}
	js, err := marshalIndex(indexOf(probe))
	if err != nil {
		return 0, err
	}
	return containerSize(int64(len(js)), probe), nil
}

// Size is the exact number of bytes Write writes for instances, computed
// without reading them.
func Size(instances []Instance) (int64, error) {
	if len(instances) == 0 {
		return 0, errNoInstance
	}
	return MergeSize(Index{}, instances)
}

var errNoInstance = errors.New("study: no instance")

// hashInstance reads an instance once to compute its SHA-256.
func hashInstance(in Instance) (string, error) {
	rc, err := in.Open()
	if err != nil {
		return "", fmt.Errorf("study: open instance %s: %w", in.SOPInstanceUID, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", fmt.Errorf("study: read instance %s: %w", in.SOPInstanceUID, err)
	}
	if n != in.Size {
		return "", fmt.Errorf("study: instance %s has %d bytes, not the %d announced", in.SOPInstanceUID, n, in.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Write writes the container of instances to w and returns its index. Every
// instance must belong to the same study; of instances sharing a
// SOPInstanceUID the last one given is kept. An instance whose SHA256 is
// empty is read twice (hashed, then copied); the bytes copied must be those
// hashed, or Write fails.
func Write(w io.Writer, instances []Instance) (Index, error) {
	if len(instances) == 0 {
		return Index{}, errNoInstance
	}
	return merge(w, nil, instances)
}

// copyInstance opens an instance and copies it as the member of e.
func copyInstance(tw *tar.Writer, e Entry, in Instance) error {
	rc, err := in.Open()
	if err != nil {
		return fmt.Errorf("study: open instance %s: %w", in.SOPInstanceUID, err)
	}
	defer rc.Close()
	return writeMember(tw, e, rc)
}

func header(name string, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o600,
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatUSTAR,
	}
}

// startContainer writes the index member.
func startContainer(w io.Writer, idx Index) (*tar.Writer, error) {
	js, err := marshalIndex(idx)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(header(IndexName, int64(len(js)))); err != nil {
		return nil, err
	}
	if _, err := tw.Write(js); err != nil {
		return nil, err
	}
	return tw, nil
}

// writeMember copies one instance, checking its size and hash.
func writeMember(tw *tar.Writer, e Entry, r io.Reader) error {
	if err := tw.WriteHeader(header(e.Name, e.Size)); err != nil {
		return fmt.Errorf("study: instance %s: %w", e.SOPInstanceUID, err)
	}
	vr := newVerifier(r, e)
	if _, err := io.Copy(tw, vr); err != nil {
		if errors.Is(err, tar.ErrWriteTooLong) {
			return fmt.Errorf("study: instance %s has more than the %d bytes announced", e.SOPInstanceUID, e.Size)
		}
		return err
	}
	return nil
}

// verifier passes a member's bytes through and, at their end, returns
// io.EOF only if they have the entry's size and SHA-256.
type verifier struct {
	r    io.Reader
	e    Entry
	n    int64
	h    hashWriter
	done error
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func newVerifier(r io.Reader, e Entry) *verifier {
	return &verifier{r: io.LimitReader(r, e.Size+1), e: e, h: sha256.New()}
}

// MismatchError reports a member whose bytes are not those the index
// describes.
type MismatchError struct {
	SOPInstanceUID string
	What           string
}

func (m *MismatchError) Error() string {
	return fmt.Sprintf("study: instance %s: %s", m.SOPInstanceUID, m.What)
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.done != nil {
		return 0, v.done
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.n > v.e.Size {
		v.done = &MismatchError{v.e.SOPInstanceUID, fmt.Sprintf("more than the %d bytes of the index", v.e.Size)}
		return n, v.done
	}
	if err == io.EOF {
		switch {
		case v.n != v.e.Size:
			v.done = &MismatchError{v.e.SOPInstanceUID, fmt.Sprintf("%d bytes, not the %d of the index", v.n, v.e.Size)}
		case hex.EncodeToString(v.h.Sum(nil)) != v.e.SHA256:
			v.done = &MismatchError{v.e.SOPInstanceUID, "its SHA-256 is not the index's: the bytes were altered"}
		default:
			v.done = io.EOF
		}
		return n, v.done
	}
	return n, err
}

// finish drains what the caller did not read and reports the verdict.
func (v *verifier) finish() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	return nil
}

// IsContainer reports whether a plaintext starting with head is a study
// container (see sniff.StudyContainer); the first 1 KiB is enough.
func IsContainer(head []byte) bool {
	return sniff.StudyContainer(head)
}

// Reader reads a container stream: the index first, then the members in
// order, each checked against the index.
type Reader struct {
	tr    *tar.Reader
	idx   Index
	next  int
	open  *verifier
	ended bool
}

// NewReader reads and checks the index at the head of r.
func NewReader(r io.Reader) (*Reader, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("study: not a study container: %w", err)
	}
	if hdr.Name != IndexName || hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("study: not a study container: first member %q, not %s", hdr.Name, IndexName)
	}
	if hdr.Size > maxIndex {
		return nil, fmt.Errorf("study: index of %d bytes, more than %d", hdr.Size, maxIndex)
	}
	js, err := io.ReadAll(tr)
	if err != nil {
		return nil, fmt.Errorf("study: read index: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var idx Index
	if err := dec.Decode(&idx); err != nil {
		return nil, fmt.Errorf("study: index: %w", err)
	}
	if err := idx.Check(); err != nil {
		return nil, err
	}
	return &Reader{tr: tr, idx: idx}, nil
}

// Check verifies an index: format, one study, valid UIDs, canonical member
// names, sizes and hashes well formed, container order, no SOPInstanceUID
// twice.
func (idx Index) Check() error {
	if idx.Format != Format {
		return fmt.Errorf("study: index format %q, not %q", idx.Format, Format)
	}
	if err := ValidUID(idx.StudyInstanceUID); err != nil {
		return fmt.Errorf("study: index StudyInstanceUID: %v", err)
	}
	if len(idx.Instances) == 0 {
		return errors.New("study: the index lists no instance")
	}
	seen := map[string]bool{}
	for i, e := range idx.Instances {
		if err := e.Attributes.check(); err != nil {
			return fmt.Errorf("study: index entry %d: %w", i, err)
		}
		if e.StudyInstanceUID != idx.StudyInstanceUID {
			return fmt.Errorf("study: index entry %s belongs to study %s, not %s", e.SOPInstanceUID, e.StudyInstanceUID, idx.StudyInstanceUID)
		}
		if e.Name != MemberName(e.Attributes) {
			return fmt.Errorf("study: index entry %s: member name %q, not %q", e.SOPInstanceUID, e.Name, MemberName(e.Attributes))
		}
		if e.Size < 0 || e.Size > maxMember || !isHash(e.SHA256) {
			return fmt.Errorf("study: index entry %s: bad size or SHA-256", e.SOPInstanceUID)
		}
		if seen[e.SOPInstanceUID] {
			return fmt.Errorf("study: index lists %s twice", e.SOPInstanceUID)
		}
		seen[e.SOPInstanceUID] = true
		if i > 0 && !less(idx.Instances[i-1].Attributes, e.Attributes) {
			return fmt.Errorf("study: index entries %s and %s out of order", idx.Instances[i-1].SOPInstanceUID, e.SOPInstanceUID)
		}
	}
	return nil
}

// Index is the container's index.
func (r *Reader) Index() Index { return r.idx }

// Next returns the next instance's entry and a reader of its bytes, valid
// until the following call; the reader returns io.EOF only after the
// bytes have been checked against the entry's size and SHA-256 (a
// *MismatchError otherwise). After the last instance Next returns io.EOF,
// having checked that nothing follows it.
func (r *Reader) Next() (Entry, io.Reader, error) {
	if r.open != nil {
		if err := r.open.finish(); err != nil {
			return Entry{}, nil, err
		}
		r.open = nil
	}
	hdr, err := r.tr.Next()
	if r.next == len(r.idx.Instances) {
		if err == io.EOF {
			return Entry{}, nil, io.EOF
		}
		if err != nil {
			return Entry{}, nil, fmt.Errorf("study: after the last instance: %w", err)
		}
		return Entry{}, nil, fmt.Errorf("study: member %q is not in the index", hdr.Name)
	}
	e := r.idx.Instances[r.next]
	if err == io.EOF {
		return Entry{}, nil, fmt.Errorf("study: the container ends before instance %s: %w", e.SOPInstanceUID, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return Entry{}, nil, fmt.Errorf("study: instance %s: %w", e.SOPInstanceUID, err)
	}
	if hdr.Name != e.Name || hdr.Typeflag != tar.TypeReg {
		return Entry{}, nil, fmt.Errorf("study: member %q where the index has instance %s (%s)", hdr.Name, e.SOPInstanceUID, e.Name)
	}
	if hdr.Size != e.Size {
		return Entry{}, nil, &MismatchError{e.SOPInstanceUID, fmt.Sprintf("member of %d bytes, the index says %d", hdr.Size, e.Size)}
	}
	r.next++
	r.open = newVerifier(r.tr, e)
	return e, r.open, nil
}

// ReadIndex reads only the index at the head of a container stream.
func ReadIndex(r io.Reader) (Index, error) {
	cr, err := NewReader(r)
	if err != nil {
		return Index{}, err
	}
	return cr.Index(), nil
}

// Each calls fn for every instance of a container stream, in order, with
// a reader of its bytes that returns io.EOF only once they are verified
// (see Reader.Next); what fn leaves unread is read and verified after it
// returns. It stops at the first error, fn's or the container's, and
// returns the index.
func Each(r io.Reader, fn func(Entry, io.Reader) error) (Index, error) {
	cr, err := NewReader(r)
	if err != nil {
		return Index{}, err
	}
	for {
		e, body, err := cr.Next()
		if err == io.EOF {
			return cr.Index(), nil
		}
		if err != nil {
			return cr.Index(), err
		}
		if err := fn(e, body); err != nil {
			return cr.Index(), err
		}
	}
}
