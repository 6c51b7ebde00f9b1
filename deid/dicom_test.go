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
	studyUID = "1.2.826.0.1.3680043.10.1393.1"
	sopUID   = "1.2.826.0.1.3680043.10.1393.3"
)

// identifiedMR is a small MR image carrying every attribute the profile
// must change, a private tag, an overlay and a sequence that references
// the instance's own UID.
func identifiedMR(t *testing.T) []byte {
	t.Helper()
	ref := el(t, tag.ReferencedImageSequence, [][]*dicom.Element{{
		el(t, tag.ReferencedSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(t, tag.ReferencedSOPInstanceUID, []string{sopUID}),
	}})
	private := rawElement(t, tag.Tag{Group: 0x0009, Element: 0x0010}, "ACME PRIVATE")
	overlay := rawElement(t, tag.Tag{Group: 0x6000, Element: 0x0022}, "burned-in name")
	ds := dicom.Dataset{Elements: []*dicom.Element{
		el(t, tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(t, tag.MediaStorageSOPInstanceUID, []string{sopUID}),
		el(t, tag.TransferSyntaxUID, []string{"1.2.840.10008.1.2.1"}),
		el(t, tag.SOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.4"}),
		el(t, tag.SOPInstanceUID, []string{sopUID}),
		el(t, tag.AccessionNumber, []string{"ACC-42"}),
		el(t, tag.Modality, []string{"MR"}),
		el(t, tag.InstitutionName, []string{"St Mary's Hospital"}),
		el(t, tag.InstitutionAddress, []string{"Praed Street, London"}),
		el(t, tag.ReferringPhysicianName, []string{"House^Gregory"}),
		el(t, tag.StationName, []string{"MRI-3"}),
		el(t, tag.PerformingPhysicianName, []string{"Grey^Meredith"}),
		el(t, tag.OperatorsName, []string{"Tech^Tom"}),
		ref,
		private,
		el(t, tag.PatientName, []string{"Doe^Jane"}),
		el(t, tag.PatientID, []string{"MRN-123456"}),
		el(t, tag.PatientBirthDate, []string{"19800101"}),
		el(t, tag.PatientSex, []string{"F"}),
		el(t, tag.OtherPatientIDs, []string{"NHS-999"}),
		el(t, tag.OtherPatientNames, []string{"Smith^Jane"}),
		el(t, tag.PatientAge, []string{"046Y"}),
		el(t, tag.PatientAddress, []string{"1 Baker Street"}),
		el(t, tag.DeviceSerialNumber, []string{"SN-0001"}),
		el(t, tag.StudyInstanceUID, []string{studyUID}),
		el(t, tag.SeriesInstanceUID, []string{"1.2.826.0.1.3680043.10.1393.2"}),
		el(t, tag.FrameOfReferenceUID, []string{"1.2.826.0.1.3680043.10.1393.4"}),
		el(t, tag.Rows, []int{2}),
		el(t, tag.Columns, []int{2}),
		overlay,
	}}
	var buf bytes.Buffer
	require.NoError(t, dicom.Write(&buf, ds, dicom.SkipVRVerification()))
	return buf.Bytes()
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
	for _, ident := range []string{"Doe^Jane", "MRN-123456", "19800101", "NHS-999", "Smith^Jane", "046Y",
		"1 Baker Street", "ACC-42", "St Mary's", "Praed Street", "House^Gregory", "Grey^Meredith", "Tech^Tom",
		"MRI-3", "SN-0001", "ACME PRIVATE", "burned-in name", studyUID, sopUID} {
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
