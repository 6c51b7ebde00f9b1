package study

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// requiredFiles must all be read: several modalities and the transfer
// syntaxes (implicit and explicit little endian, explicit big endian,
// encapsulated JPEG 2000, JPEG, RLE).
var requiredFiles = []string{
	"CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm",
	"MR_small_expb.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "JPEG2000.dcm",
	"JPEG-lossy.dcm", "rtplan.dcm", "rtdose.dcm", "image_dfl.dcm", "reportsi.dcm", "liver_1frame.dcm",
}

func TestReadAttributesCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.dcm"))
	require.NoError(t, err)
	sort.Strings(files)
	read := map[string]Attributes{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		a, err := ReadAttributes(b)
		base := filepath.Base(f)
		if err != nil {
			require.True(t, errors.Is(err, ErrNotDICOM) || errors.Is(err, ErrInvalid), "%s: %v", base, err)
			t.Logf("refused %-40s %v", base, err)
			continue
		}
		for _, u := range []string{a.StudyInstanceUID, a.SeriesInstanceUID, a.SOPInstanceUID, a.SOPClassUID, a.TransferSyntaxUID} {
			require.NoError(t, ValidUID(u), base)
		}
		read[base] = a
		t.Logf("ok      %-40s %s %s series %d instance %d", base, a.Modality, a.SOPInstanceUID, a.SeriesNumber, a.InstanceNumber)
	}
	for _, f := range requiredFiles {
		_, ok := read[f]
		require.True(t, ok, "%s not read", f)
	}
	t.Logf("%d of %d files read", len(read), len(files))

	ct := read["CT_small.dcm"]
	require.Equal(t, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", ct.StudyInstanceUID)
	require.Equal(t, "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", ct.SOPInstanceUID)
	require.Equal(t, "1.2.840.10008.5.1.4.1.1.2", ct.SOPClassUID) // CT Image Storage
	require.Equal(t, "1.2.840.10008.1.2.1", ct.TransferSyntaxUID)
	require.Equal(t, "CT", ct.Modality)
	require.Equal(t, "CompressedSamples^CT1", ct.PatientName)
	require.Equal(t, "1CT1", ct.PatientID)
	require.Equal(t, "20040119", ct.StudyDate)
	// One image in several transfer syntaxes: the same identity.
	for _, f := range []string{"MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm"} {
		require.Equal(t, read["MR_small.dcm"].SOPInstanceUID, read[f].SOPInstanceUID, f)
		require.NotEqual(t, read["MR_small.dcm"].TransferSyntaxUID, read[f].TransferSyntaxUID, f)
	}
	require.Equal(t, "1.2.840.10008.1.2", read["MR_small_implicit.dcm"].TransferSyntaxUID)
}

func TestReadAttributesErrors(t *testing.T) {
	ct := corpusFile(t, "CT_small.dcm")
	for _, tc := range []struct {
		name string
		in   []byte
		is   error
		msg  string
	}{
		{"empty", nil, ErrNotDICOM, "DICM"},
		{"text", []byte("hello, this is not DICOM at all, though it is long enough to hold a preamble and more: " + string(make([]byte, 200))), ErrNotDICOM, "DICM"},
		{"preamble only", ct[:132], ErrInvalid, "file meta"},
		{"truncated in the file meta", ct[:160], ErrInvalid, "file meta"},
		{"truncated in the data set", ct[:1000], ErrInvalid, "truncated"},
		{"truncated in the pixel data", ct[:len(ct)-100], ErrInvalid, ""},
		{"no SOPInstanceUID", rewrite(t, ct, map[tag.Tag][]string{tag.SOPInstanceUID: nil, tag.MediaStorageSOPInstanceUID: nil}), ErrInvalid, "missing SOPInstanceUID"},
		{"no StudyInstanceUID", rewrite(t, ct, map[tag.Tag][]string{tag.StudyInstanceUID: nil}), ErrInvalid, "missing StudyInstanceUID"},
		{"UID with a leading zero", rewrite(t, ct, map[tag.Tag][]string{tag.SeriesInstanceUID: {"1.2.03"}}), ErrInvalid, "SeriesInstanceUID (0020,000e): UID \"1.2.03\" has a component with a leading zero"},
		{"UID with letters", rewrite(t, ct, map[tag.Tag][]string{tag.SOPInstanceUID: {"1.2.abc"}}), ErrInvalid, "digits and dots"},
		{"no file meta (bare data set)", corpusFile(t, "no_meta.dcm"), ErrNotDICOM, "DICM"},
		{"no preamble (rtstruct.dcm)", corpusFile(t, "rtstruct.dcm"), ErrNotDICOM, "DICM"},
		{"file meta without transfer syntax", corpusFile(t, "meta_missing_tsyntax.dcm"), ErrInvalid, "file meta"},
		{"pydicom's truncated MR", corpusFile(t, "MR_truncated.dcm"), ErrInvalid, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAttributes(tc.in)
			require.Error(t, err)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.msg)
			t.Log(err)
		})
	}
}

func TestValidUID(t *testing.T) {
	for _, u := range []string{"1", "0", "1.2.840.10008.1.2.1", "2.25.123456789012345678901234567890", "1.0.3"} {
		require.NoError(t, ValidUID(u), u)
	}
	long := "1.2." + string(make([]byte, 0))
	for len(long) < 65 {
		long += "1"
	}
	for _, u := range []string{"", ".1", "1.", "1..2", "1.02", "01.2", "1.2a", "1.2 ", "-1.2", long} {
		require.Error(t, ValidUID(u), u)
	}
	require.NoError(t, ValidUID(long[:64]))
}
