package deid

import (
	"bytes"
	"github.com/medchain/medchain/testutil/sample"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

const (
	studyUID = sample.StudyUID
	sopUID   = sample.SOPUID
)

var testKey = bytes.Repeat([]byte{7}, 32)

// identifiedMR is sample.IdentifiedDICOM.
func identifiedMR(t *testing.T) []byte {
	t.Helper()
	b, err := sample.IdentifiedDICOM()
	require.NoError(t, err)
	return b
}

// edit parses a file, lets f change its data set and writes it again.
func edit(t *testing.T, in []byte, f func(ds *dicom.Dataset)) []byte {
	t.Helper()
	ds, err := parseDICOM(in)
	require.NoError(t, err)
	f(&ds)
	var out bytes.Buffer
	require.NoError(t, dicom.Write(&out, ds, dicom.SkipVRVerification()))
	return out.Bytes()
}

// set replaces the value of a top-level string attribute.
func set(t *testing.T, tg tag.Tag, v string) func(ds *dicom.Dataset) {
	return func(ds *dicom.Dataset) {
		e, err := ds.FindElementByTag(tg)
		require.NoError(t, err, "%v", tg)
		require.NoError(t, setValue(e, []string{v}))
	}
}

func deidentify(t *testing.T, in []byte, opts DICOMOptions) ([]byte, Report) {
	t.Helper()
	var out bytes.Buffer
	rep, err := DICOM(bytes.NewReader(in), int64(len(in)), &out, testKey, opts)
	require.NoError(t, err)
	return out.Bytes(), rep
}

func parsed(t *testing.T, b []byte) dicom.Dataset {
	t.Helper()
	ds, err := parseDICOM(b)
	require.NoError(t, err, "the de-identified file must still be DICOM")
	return ds
}

// value is a top-level attribute's values; present says whether it is there.
func value(ds dicom.Dataset, tg tag.Tag) (v []string, present bool) {
	e, err := ds.FindElementByTag(tg)
	if err != nil {
		return nil, false
	}
	return stringValues(e), true
}

// nested is the values of tg in the first item of sequence seq.
func nested(t *testing.T, ds dicom.Dataset, seq, tg tag.Tag) (v []string, present bool) {
	t.Helper()
	e, err := ds.FindElementByTag(seq)
	require.NoError(t, err, "%v", seq)
	its := items(e)
	require.NotEmpty(t, its, "%v", seq)
	for _, x := range its[0] {
		if x.Tag == tg {
			return stringValues(x), true
		}
	}
	return nil, false
}

func requireAllOK(t *testing.T, checks []Check) {
	t.Helper()
	for _, c := range checks {
		require.True(t, c.OK, "%+v", c)
	}
}

func TestTableE11(t *testing.T) {
	require.Len(t, TableE11, 621)
	require.NoError(t, errTableRow)
	known := map[string]bool{"X": true, "Z": true, "D": true, "K": true, "C": true, "U": true,
		"X/Z": true, "X/D": true, "Z/D": true, "X/Z/D": true, "X/Z/U*": true}
	seen := map[string]bool{}
	for _, row := range TableE11 {
		require.True(t, known[row.Basic], "%+v", row)
		require.Contains(t, []string{"", "C"}, row.ModifiedDates, "%+v", row)
		require.False(t, seen[row.Tag], "duplicate row %s", row.Tag)
		seen[row.Tag] = true
	}
	require.Len(t, tableByTag, 621-4, "every row but the four wildcard ones has a tag")
	for tg, want := range map[tag.Tag]string{
		{Group: 0x0009, Element: 0x0010}: "(gggg,eeee)",
		{Group: 0x5002, Element: 0x3000}: "(50xx,xxxx)",
		{Group: 0x6000, Element: 0x3000}: "(60xx,3000)",
		{Group: 0x601E, Element: 0x4000}: "(60xx,4000)",
		tag.PatientName:                  "(0010,0010)",
	} {
		require.Equal(t, want, TableRow(tg).Tag)
	}
	require.Nil(t, TableRow(tag.Modality))

	// The combined-action rule.
	for _, c := range []struct {
		basic, dates, vr string
		shift            int
		want             Action
	}{
		{"X", "", "LO", 0, Remove}, {"C", "", "LO", 0, Remove}, {"Z", "", "PN", 0, Empty},
		{"D", "", "SH", 0, Dummy}, {"D", "", "UI", 0, RemapUID}, {"D", "", "SQ", 0, Empty},
		{"K", "", "LO", 0, Keep}, {"U", "", "UI", 0, RemapUID},
		{"X/Z", "", "DA", 0, Empty}, {"X/D", "", "DA", 0, Dummy}, {"Z/D", "", "DA", 0, Dummy},
		{"X/Z/D", "", "DT", 0, Dummy}, {"X/Z/D", "", "SQ", 0, Empty},
		{"X/Z/U*", "", "SQ", 0, KeepRemap}, {"X/Z/U*", "", "UI", 0, RemapUID}, {"X/Z/U*", "", "LO", 0, Empty},
		{"X/D", "C", "DA", -3, ShiftDates}, {"Z", "C", "TM", 5, ShiftDates}, {"X", "C", "OB", 5, Remove},
		{"X/D", "C", "DA", 0, Dummy}, {"X", "", "DA", 5, Remove},
	} {
		got := ResolveAction(ProfileAttribute{Basic: c.basic, ModifiedDates: c.dates}, c.vr, c.shift)
		require.Equal(t, c.want, got, "%+v", c)
	}
}

func TestDICOMBasicProfile(t *testing.T) {
	in := identifiedMR(t)
	out, rep := deidentify(t, in, DICOMOptions{})
	ds := parsed(t, out)

	for _, ident := range sample.IdentifyingValues {
		require.NotContains(t, string(out), ident, "identifying value left in the file")
	}
	absent := func(tg tag.Tag) {
		_, ok := value(ds, tg)
		require.False(t, ok, "%v must be removed", tg)
	}
	equal := func(tg tag.Tag, want ...string) {
		v, ok := value(ds, tg)
		require.True(t, ok, "%v must be there", tg)
		require.Equal(t, want, v, "%v", tg)
	}
	// X
	absent(tag.PatientAge)
	absent(tag.StudyDescription)
	absent(tag.OtherPatientIDs)
	absent(tag.Tag{Group: 0x0009, Element: 0x0010}) // private
	absent(tag.Tag{Group: 0x6000, Element: 0x0022}) // overlay
	// Z
	equal(tag.PatientName, "")
	equal(tag.StudyDate, "")
	equal(tag.StudyTime, "")
	// D, Z/D, X/D, X/Z/D: dummies of the VR
	equal(tag.RTPlanLabel, "ANONYMIZED")
	equal(tag.ContentDate, "19000101")
	equal(tag.SeriesDate, "19000101")
	equal(tag.AcquisitionDateTime, "19000101000000")
	equal(tag.InstitutionName, "ANONYMIZED")
	equal(tag.DeviceSerialNumber, "ANONYMIZED")
	// X/Z on a sequence: no items.
	e, err := ds.FindElementByTag(tag.ReferencedStudySequence)
	require.NoError(t, err)
	require.Empty(t, items(e))
	// Dates in a kept sequence follow the table too (X here).
	_, ok := nested(t, ds, tag.RadiopharmaceuticalInformationSequence, tag.RadiopharmaceuticalStartDateTime)
	require.False(t, ok)

	// U, and X/Z/U*: UIDs remapped consistently, the file meta, the data
	// set and the references alike.
	sop, _ := value(ds, tag.SOPInstanceUID)
	meta, _ := value(ds, tag.MediaStorageSOPInstanceUID)
	refd, _ := nested(t, ds, tag.ReferencedImageSequence, tag.ReferencedSOPInstanceUID)
	src, _ := nested(t, ds, tag.SourceImageSequence, tag.ReferencedSOPInstanceUID)
	require.Equal(t, []string{remapUID(testKey, sopUID)}, sop)
	require.True(t, strings.HasPrefix(sop[0], "2.25."))
	require.Equal(t, sop, meta)
	require.Equal(t, sop, refd)
	require.Equal(t, []string{remapUID(testKey, sample.SourceUID)}, src)
	require.NotEqual(t, remapUID(bytes.Repeat([]byte{8}, 32), sopUID), sop[0], "another key, another mapping")
	// meta and data set instance UIDs, study, series, frame of reference, two references
	require.Equal(t, 7, rep.Remapped)

	// What must stay, stays; the result is marked.
	equal(tag.Modality, "MR")
	equal(tag.BurnedInAnnotation, "NO")
	equal(tagPatientIdentityRemoved, "YES")
	equal(tagDeidentificationMethod, MethodBasic)
	equal(tagTemporalInfoModified, "REMOVED")
	require.Equal(t, []MethodCode{basicProfileCode}, rep.Options)
	require.Zero(t, rep.DatesShifted)
	require.NotEmpty(t, rep.Removed)
	require.NotEmpty(t, rep.Emptied)
	require.NotEmpty(t, rep.Dummied)
	require.Contains(t, rep.Summary(), "options 113100")

	checks, err := VerifyDICOM(in, out, 0)
	require.NoError(t, err)
	require.Greater(t, len(checks), 40)
	requireAllOK(t, checks)

	// De-identifying the copy again works and changes no identity further.
	again, _ := deidentify(t, out, DICOMOptions{})
	require.NotEmpty(t, again)
}

func TestDICOMDateShift(t *testing.T) {
	in := identifiedMR(t)
	opts := DICOMOptions{DateShiftDays: -400}
	out, rep := deidentify(t, in, opts)
	ds := parsed(t, out)
	equal := func(tg tag.Tag, want string) {
		v, _ := value(ds, tg)
		require.Equal(t, []string{want}, v, "%v", tg)
	}
	equal(tag.StudyDate, "20230209") // 2024-03-15 - 400 days (2024 is a leap year)
	equal(tag.SeriesDate, "20230209")
	equal(tag.ContentDate, "20230210")
	equal(tag.StudyTime, "101500") // whole days: times stay
	equal(tag.AcquisitionDateTime, "20230209101530.5+0100")
	equal(tag.PatientBirthDate, "") // Z, and not in the option's column
	equal(tagDeidentificationMethod, MethodModifiedDates)
	equal(tagTemporalInfoModified, "MODIFIED")
	// Dates inside sequences are shifted too.
	v, _ := nested(t, ds, tag.RadiopharmaceuticalInformationSequence, tag.RadiopharmaceuticalStartDateTime)
	require.Equal(t, []string{"20230209093000"}, v)
	require.Equal(t, []MethodCode{basicProfileCode, modifiedDatesCode}, rep.Options)
	require.Equal(t, 6, rep.DatesShifted)
	require.Contains(t, rep.Summary(), "113100, 113107")

	checks, err := VerifyDICOM(in, out, -400)
	require.NoError(t, err)
	requireAllOK(t, checks)
	// Verified against another shift, the dates fail.
	checks, err = VerifyDICOM(in, out, -399)
	require.NoError(t, err)
	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
		}
	}
	require.GreaterOrEqual(t, failed, 5)

	// A second file of the same study, a week later, with the same shift
	// and key: the study UID maps to the same new one, the interval stays.
	second := edit(t, in, func(ds *dicom.Dataset) {
		set(t, tag.SOPInstanceUID, "1.2.826.0.1.3680043.10.1393.9")(ds)
		set(t, tag.MediaStorageSOPInstanceUID, "1.2.826.0.1.3680043.10.1393.9")(ds)
		set(t, tag.StudyDate, "20240322")(ds)
	})
	out2, _ := deidentify(t, second, opts)
	ds2 := parsed(t, out2)
	s1, _ := value(ds, tag.StudyInstanceUID)
	s2, _ := value(ds2, tag.StudyInstanceUID)
	require.Equal(t, s1, s2)
	d2, _ := value(ds2, tag.StudyDate)
	require.Equal(t, []string{"20230216"}, d2, "a week after the first, as in the originals")
	i1, _ := value(ds, tag.SOPInstanceUID)
	i2, _ := value(ds2, tag.SOPInstanceUID)
	require.NotEqual(t, i1, i2)
}

func TestDICOMMalformedDateEmptied(t *testing.T) {
	in := edit(t, identifiedMR(t), func(ds *dicom.Dataset) {
		set(t, tag.StudyDate, "2024.03.15")(ds) // ACR-NEMA style: not DA
		set(t, tag.SeriesDate, "20240230")(ds)  // no such day
		set(t, tag.ContentDate, "20240101\\2024")(ds)
	})
	out, _ := deidentify(t, in, DICOMOptions{DateShiftDays: 10})
	ds := parsed(t, out)
	for _, tg := range []tag.Tag{tag.StudyDate, tag.SeriesDate, tag.ContentDate} {
		v, ok := value(ds, tg)
		require.True(t, ok)
		require.Equal(t, []string{""}, v, "%v", tg)
	}
	checks, err := VerifyDICOM(in, out, 10)
	require.NoError(t, err)
	requireAllOK(t, checks)
}

func TestShiftHelpers(t *testing.T) {
	for _, c := range []struct {
		f      func(string, int) (string, bool)
		in     string
		days   int
		want   string
		wantOK bool
	}{
		{ShiftDA, "20200301", -1, "20200229", true},
		{ShiftDA, "20201231", 1, "20210101", true},
		{ShiftDA, "20200101\\20200201", 10, "20200111\\20200211", true},
		{ShiftDA, "20200101-20200131", -1, "20191231-20200130", true},
		{ShiftDA, "-20200131", 1, "-20200201", true},
		{ShiftDA, "20200131-", 1, "20200201-", true},
		{ShiftDA, "", 1, "", true},
		{ShiftDA, "2020013", 1, "", false},
		{ShiftDA, "20201301", 1, "", false},
		{ShiftDA, "1.2.3", 1, "", false},
		{ShiftDT, "20200301101530.123456+0100", -1, "20200229101530.123456+0100", true},
		{ShiftDT, "20200301", 1, "20200302", true},
		{ShiftDT, "20200301-0500", 1, "20200302-0500", true},
		{ShiftDT, "2020", 1, "", false},
		{ShiftDT, "202003", 1, "", false},
		{ShiftDT, "20200301ab", 1, "", false},
		{func(s string, _ int) (string, bool) { return CheckTM(s) }, "101530.5", 3, "101530.5", true},
		{func(s string, _ int) (string, bool) { return CheckTM(s) }, "10:15:30", 3, "", false},
	} {
		got, ok := c.f(c.in, c.days)
		require.Equal(t, c.wantOK, ok, "%q", c.in)
		require.Equal(t, c.want, got, "%q", c.in)
	}
}

func TestDICOMBurnedInAnnotation(t *testing.T) {
	in := edit(t, identifiedMR(t), set(t, tag.BurnedInAnnotation, "YES"))
	var out bytes.Buffer
	_, err := DICOM(bytes.NewReader(in), int64(len(in)), &out, testKey, DICOMOptions{})
	require.ErrorIs(t, err, ErrBurnedInAnnotation)
	require.ErrorContains(t, err, "identifying text")
	require.ErrorContains(t, err, "AllowBurnedInAnnotation")
	require.Zero(t, out.Len(), "nothing written when refused")

	copy, _ := deidentify(t, in, DICOMOptions{AllowBurnedInAnnotation: true})
	v, _ := value(parsed(t, copy), tag.BurnedInAnnotation)
	require.Equal(t, []string{"YES"}, v, "the flag stays: the pixels still show the text")
	checks, err := VerifyDICOM(in, copy, 0)
	require.NoError(t, err)
	requireAllOK(t, checks)
}

func TestDICOMRejects(t *testing.T) {
	_, err := DICOM(strings.NewReader("not dicom at all"), 16, &bytes.Buffer{}, testKey, DICOMOptions{})
	require.ErrorIs(t, err, ErrNotDICOM)
	_, err = DICOM(strings.NewReader(""), 0, &bytes.Buffer{}, []byte("short"), DICOMOptions{})
	require.ErrorContains(t, err, "at least 16 bytes")
	in := identifiedMR(t)
	_, err = DICOM(bytes.NewReader(in), int64(len(in))+10, &bytes.Buffer{}, testKey, DICOMOptions{})
	require.ErrorIs(t, err, ErrNotDICOM, "a short read")
}

func TestVerifyDICOM(t *testing.T) {
	in := identifiedMR(t)
	// The original against itself fails on every attribute it should
	// have changed.
	checks, err := VerifyDICOM(in, in, 0)
	require.NoError(t, err)
	failed := map[string]bool{}
	for _, c := range checks {
		if !c.OK {
			failed[c.What] = true
		}
	}
	for _, want := range []string{"Patient's Name (0010,0010)", "Study Instance UID (0020,000d)", "private attributes (gggg odd,eeee)",
		"overlays (60xx,xxxx) and curves (50xx,xxxx)", "Patient Identity Removed (0012,0062)", "RT Plan Label (300a,0002)",
		"Source Image Sequence (0008,2112)[0] > Referenced SOP Instance UID (0008,1155)",
		"De-identification Method Code Sequence (0012,0064)"} {
		require.True(t, failed[want], "%s must fail on the original; failed: %v", want, failed)
	}

	// A copy whose pixels changed fails the pixel check.
	out, _ := deidentify(t, in, DICOMOptions{})
	tampered := bytes.Clone(out)
	copy(tampered[len(tampered)-4:], []byte{9, 9, 9, 9})
	checks, err = VerifyDICOM(in, tampered, 0)
	require.NoError(t, err)
	for _, c := range checks {
		if c.What == "Pixel Data (7fe0,0010)" {
			require.False(t, c.OK)
		}
	}
	_, err = VerifyDICOM(in, []byte("not dicom"), 0)
	require.ErrorIs(t, err, ErrNotDICOM)
}
