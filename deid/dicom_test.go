package deid

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

func el(t *testing.T, tg tag.Tag, v any) *dicom.Element {
	t.Helper()
	e, err := dicom.NewElement(tg, v)
	require.NoError(t, err, "%v", tg)
	return e
}

const (
	studyUID = SampleStudyUID
	sopUID   = SampleSOPUID
)

// identifiedMR is IdentifiedSample: every attribute the profile must
// change, a private tag, an overlay and a sequence that references the
// instance's own UID.
func identifiedMR(t *testing.T) []byte {
	t.Helper()
	b, err := IdentifiedSample()
	require.NoError(t, err)
	return b
}

// rawElement is a LO element of a tag outside the dictionary (private,
// overlay).
func rawElement(t *testing.T, tg tag.Tag, s string) *dicom.Element {
	t.Helper()
	v, err := dicom.NewValue([]string{s})
	require.NoError(t, err)
	return &dicom.Element{Tag: tg, ValueRepresentation: tag.VRString, RawValueRepresentation: "LO",
		ValueLength: uint32(len(s) + len(s)%2), Value: v}
}

func values(t *testing.T, ds dicom.Dataset, tg tag.Tag) ([]string, bool) {
	t.Helper()
	e, err := ds.FindElementByTagNested(tg)
	if err != nil {
		return nil, false
	}
	s, _ := e.Value.GetValue().([]string)
	return s, true
}

func TestDICOMRemovesEveryListedAttribute(t *testing.T) {
	in := identifiedMR(t)
	key := bytes.Repeat([]byte{7}, 32)
	var out bytes.Buffer
	rep, err := DICOM(bytes.NewReader(in), int64(len(in)), &out, key)
	require.NoError(t, err)

	ds, err := dicom.Parse(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	require.NoError(t, err, "the de-identified file must still be DICOM")

	for tg, action := range DICOMRules {
		v, present := values(t, ds, tg)
		switch action {
		case Remove:
			require.False(t, present, "%v must be removed", tg)
		case Empty:
			if present {
				require.Equal(t, "", strings.TrimSpace(strings.Join(v, "")), "%v must be empty", tg)
			}
		}
	}
	for _, ident := range SampleIdentifyingValues {
		require.NotContains(t, out.String(), ident, "identifying value left in the file")
	}
	_, private := values(t, ds, tag.Tag{Group: 0x0009, Element: 0x0010})
	require.False(t, private)

	// UIDs are remapped consistently: the instance UID in the file meta,
	// the data set and the reference all become the same new UID.
	sop, _ := values(t, ds, tag.SOPInstanceUID)
	meta, _ := values(t, ds, tag.MediaStorageSOPInstanceUID)
	refd, _ := values(t, ds, tag.ReferencedSOPInstanceUID)
	require.Len(t, sop, 1)
	require.True(t, strings.HasPrefix(sop[0], "2.25."))
	require.Equal(t, sop, meta)
	require.Equal(t, sop, refd)
	require.Equal(t, remapUID(key, sopUID), sop[0])
	require.NotEqual(t, remapUID(bytes.Repeat([]byte{8}, 32), sopUID), sop[0], "another key, another mapping")
	require.Equal(t, 6, rep.Remapped) // meta and data set instance UIDs, study, series, frame of reference, reference

	// What must stay, stays; the result is marked.
	mod, _ := values(t, ds, tag.Modality)
	require.Equal(t, []string{"MR"}, mod)
	removed, _ := values(t, ds, tag.PatientIdentityRemoved)
	require.Equal(t, []string{"YES"}, removed)
	method, _ := values(t, ds, tag.DeidentificationMethod)
	require.Equal(t, []string{DeidentificationMethod}, method)

	// De-identifying again changes nothing identifying any more.
	var again bytes.Buffer
	_, err = DICOM(bytes.NewReader(out.Bytes()), int64(out.Len()), &again, key)
	require.NoError(t, err)
}

func TestDICOMRejects(t *testing.T) {
	_, err := DICOM(strings.NewReader("not dicom at all"), 16, &bytes.Buffer{}, bytes.Repeat([]byte{1}, 32))
	require.ErrorIs(t, err, ErrNotDICOM)
	_, err = DICOM(strings.NewReader(""), 0, &bytes.Buffer{}, []byte("short"))
	require.ErrorContains(t, err, "at least 16 bytes")
}

func TestVerifyDICOM(t *testing.T) {
	in := identifiedMR(t)
	var out bytes.Buffer
	_, err := DICOM(bytes.NewReader(in), int64(len(in)), &out, bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	checks, err := VerifyDICOM(in, out.Bytes())
	require.NoError(t, err)
	require.Greater(t, len(checks), 20, "every listed attribute of the sample is checked")
	for _, c := range checks {
		require.True(t, c.OK, "%+v", c)
	}

	// The original against itself fails on every attribute.
	checks, err = VerifyDICOM(in, in)
	require.NoError(t, err)
	failed := map[string]bool{}
	for _, c := range checks {
		if !c.OK {
			failed[c.What] = true
		}
	}
	for _, want := range []string{"Patient's Name (0010,0010)", "Study Instance UID (0020,000d)", "private attributes",
		"overlays (6000-60FF,xxxx)", "Patient Identity Removed (0012,0062)"} {
		require.True(t, failed[want], "%s must fail on the original; failed: %v", want, failed)
	}
	_, err = VerifyDICOM(in, []byte("not dicom"))
	require.ErrorIs(t, err, ErrNotDICOM)
}
