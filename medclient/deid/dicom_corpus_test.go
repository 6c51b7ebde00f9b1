package deid

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// corpusDir is the directory of real DICOM files (pydicom's test files)
// named by MEDCHAIN_DICOM_CORPUS; scripts/dicom-corpus.sh provides it.
func corpusDir(t *testing.T) string {
	dir := os.Getenv("MEDCHAIN_DICOM_CORPUS")
	if dir == "" {
		t.Skip("MEDCHAIN_DICOM_CORPUS is not set: run `export MEDCHAIN_DICOM_CORPUS=$(scripts/dicom-corpus.sh)` to test on real DICOM files")
	}
	return dir
}

// corpusFiles must all de-identify and verify: several modalities, the
// uncompressed transfer syntaxes (explicit and implicit little endian,
// explicit big endian) and encapsulated ones (JPEG 2000, JPEG, RLE).
var corpusFiles = []struct{ file, what string }{
	{"CT_small.dcm", "CT, explicit VR little endian"},
	{"MR_small.dcm", "MR, explicit VR little endian"},
	{"MR_small_implicit.dcm", "MR, implicit VR little endian"},
	{"MR_small_bigendian.dcm", "MR, explicit VR big endian"},
	{"MR_small_expb.dcm", "MR, explicit VR big endian"},
	{"MR_small_RLE.dcm", "MR, RLE lossless (encapsulated)"},
	{"MR_small_jp2klossless.dcm", "MR, JPEG 2000 lossless (encapsulated)"},
	{"JPEG2000.dcm", "JPEG 2000 (encapsulated, Basic Offset Table)"},
	{"JPEG-lossy.dcm", "JPEG baseline (encapsulated)"},
	{"rtplan.dcm", "RT Plan, implicit VR little endian, nested sequences"},
	{"rtstruct.dcm", "RT Structure Set, nested sequences"},
	{"rtdose.dcm", "RT Dose, multi-frame"},
	{"reportsi.dcm", "SR (Content Sequence)"},
	{"liver_1frame.dcm", "enhanced CT with functional groups"},
}

func TestDICOMCorpus(t *testing.T) {
	dir := corpusDir(t)
	dcmdump, _ := exec.LookPath("dcmdump")
	copies := map[string]map[int][]byte{}
	for _, c := range corpusFiles {
		in, err := os.ReadFile(filepath.Join(dir, c.file))
		require.NoError(t, err, "%s (%s) missing from the corpus", c.file, c.what)
		copies[c.file] = map[int][]byte{}
		for _, shift := range []int{0, -1000} {
			var out bytes.Buffer
			rep, err := DICOM(bytes.NewReader(in), int64(len(in)), &out, testKey, DICOMOptions{DateShiftDays: shift})
			require.NoError(t, err, "%s (%s), shift %d", c.file, c.what, shift)
			checks, err := VerifyDICOM(in, out.Bytes(), shift)
			require.NoError(t, err, "%s: the copy must parse again", c.file)
			pixels := false
			for _, ch := range checks {
				require.True(t, ch.OK, "%s, shift %d: %+v", c.file, shift, ch)
				pixels = pixels || ch.What == name(tag.PixelData)
			}
			require.True(t, pixels, "%s: pixel data checked", c.file)
			t.Logf("%-26s shift %5d: %3d checks ok; %s", c.file, shift, len(checks), rep.Summary())
			copies[c.file][shift] = out.Bytes()
			if dcmdump != "" {
				dumpCheck(t, dcmdump, c.file, out.Bytes())
			}
		}
	}

	// The same image in three transfer syntaxes: one study, one series,
	// one instance, hence the same new UIDs under one key.
	uids := func(file string) []string {
		ds := parsed(t, copies[file][0])
		var out []string
		for _, tg := range []tag.Tag{tag.StudyInstanceUID, tag.SeriesInstanceUID, tag.SOPInstanceUID, tag.FrameOfReferenceUID} {
			v, _ := value(ds, tg)
			out = append(out, v...)
		}
		return out
	}
	mr := uids("MR_small.dcm")
	require.Len(t, mr, 4)
	for _, f := range []string{"MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_RLE.dcm"} {
		require.Equal(t, mr, uids(f), f)
	}

	// UIDs the RT structure set references from its nested sequences are
	// remapped like the top-level ones.
	rtss := parsed(t, copies["rtstruct.dcm"][0])
	var refStudy []string
	var visit func(es []*dicom.Element)
	visit = func(es []*dicom.Element) {
		for _, e := range es {
			if e.Tag == tag.ReferencedSOPInstanceUID {
				refStudy = append(refStudy, stringValues(e)...)
			}
			for _, item := range items(e) {
				visit(item)
			}
		}
	}
	visit(rtss.Elements)
	require.NotEmpty(t, refStudy)
	for _, u := range refStudy {
		require.True(t, strings.HasPrefix(u, "2.25."), "referenced UID %s remapped", u)
	}
}

// TestDICOMCorpusSurvey de-identifies every file of the corpus: each one
// either passes the verifier or is refused with a clear error (not DICOM,
// a transfer syntax or encoding the library cannot rewrite faithfully, or
// burned-in annotation), never written half right.
func TestDICOMCorpusSurvey(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.dcm"))
	require.NoError(t, err)
	sort.Strings(files)
	passed := 0
	for _, f := range files {
		in, err := os.ReadFile(f)
		require.NoError(t, err)
		var out bytes.Buffer
		_, err = DICOM(bytes.NewReader(in), int64(len(in)), &out, testKey, DICOMOptions{DateShiftDays: 30})
		base := filepath.Base(f)
		if err != nil {
			require.True(t, errors.Is(err, ErrNotDICOM) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrBurnedInAnnotation), "%s: %v", base, err)
			require.Zero(t, out.Len(), "%s: nothing written when refused", base)
			t.Logf("refused %-42s %v", base, err)
			continue
		}
		checks, err := VerifyDICOM(in, out.Bytes(), 30)
		require.NoError(t, err, base)
		for _, ch := range checks {
			require.True(t, ch.OK, "%s: %+v", base, ch)
		}
		passed++
		t.Logf("ok      %-42s %d checks", base, len(checks))
	}
	t.Logf("%d of %d files de-identified and verified", passed, len(files))
}

// dumpCheck reads a copy with dcmtk's dcmdump, an independent parser: it
// must read the whole file without error and show no patient name.
func dumpCheck(t *testing.T, dcmdump, file string, copy []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "copy.dcm")
	require.NoError(t, os.WriteFile(p, copy, 0o600))
	out, err := exec.Command(dcmdump, p).CombinedOutput()
	require.NoError(t, err, "%s: dcmdump: %s", file, out)
	require.NotContains(t, string(out), "E: ", "%s: dcmdump reports errors:\n%s", file, out)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "(0010,0010)") {
			require.True(t, strings.Contains(line, "(no value available)") || strings.Contains(line, "[]"), "%s: %s", file, line)
		}
	}
}
