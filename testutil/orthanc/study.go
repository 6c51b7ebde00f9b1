package orthanc

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// StudySources are the corpus files MakeStudy builds series from, one
// per series in turn: real CT and MR images in explicit VR little endian
// with native pixel data, which the library writes back unchanged.
var StudySources = []string{"CT_small.dcm", "MR_small.dcm"}

// NewUID returns a fresh UID under the 2.25 root (PS3.5 B.2): the decimal
// form of a random (version 4) UUID.
func NewUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant RFC 4122
	return "2.25." + new(big.Int).SetBytes(b[:]).String()
}

// MakeStudy builds one study of `series` series of instancesPerSeries
// instances each from real DICOM files of the pydicom corpus in corpusDir
// (scripts/dicom-corpus.sh prints it; series k is made from
// StudySources[k mod 2]): every file gets the same new StudyInstanceUID,
// PatientID and IssuerOfPatientID, its series' new SeriesInstanceUID and
// SeriesNumber (1, 2, ...), and its own new SOPInstanceUID (also as
// MediaStorageSOPInstanceUID in the file meta) and InstanceNumber
// (1, 2, ... within the series). Each written file is parsed again and
// checked; UIDs reads the identifiers back.
func MakeStudy(t testing.TB, corpusDir string, series, instancesPerSeries int, patientID, issuer string) [][]byte {
	t.Helper()
	files, err := makeStudy(corpusDir, series, instancesPerSeries, patientID, issuer)
	if err != nil {
		t.Fatalf("MakeStudy: %v", err)
	}
	return files
}

func makeStudy(corpusDir string, series, perSeries int, patientID, issuer string) ([][]byte, error) {
	if series < 1 || perSeries < 1 {
		return nil, fmt.Errorf("%d series of %d instances: at least one of each is needed", series, perSeries)
	}
	sources := make([][]byte, len(StudySources))
	for i, name := range StudySources {
		b, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			return nil, fmt.Errorf("corpus file (scripts/dicom-corpus.sh prints the corpus directory): %w", err)
		}
		sources[i] = b
	}
	studyUID := NewUID()
	var out [][]byte
	for s := 0; s < series; s++ {
		seriesUID := NewUID()
		for n := 0; n < perSeries; n++ {
			sopUID := NewUID()
			set := []struct {
				t tag.Tag
				v string
			}{
				{tag.MediaStorageSOPInstanceUID, sopUID},
				{tag.PatientID, patientID},
				{tag.IssuerOfPatientID, issuer},
				{tag.StudyInstanceUID, studyUID},
				{tag.SeriesInstanceUID, seriesUID},
				{tag.SOPInstanceUID, sopUID},
				{tag.SeriesNumber, strconv.Itoa(s + 1)},
				{tag.InstanceNumber, strconv.Itoa(n + 1)},
			}
			src := sources[s%len(sources)]
			ds, err := parse(src)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", StudySources[s%len(sources)], err)
			}
			for _, e := range set {
				if err := setString(&ds, e.t, e.v); err != nil {
					return nil, fmt.Errorf("setting %v: %w", e.t, err)
				}
			}
			var buf bytes.Buffer
			if err := dicom.Write(&buf, ds, dicom.SkipVRVerification()); err != nil {
				return nil, fmt.Errorf("writing %s: %w", StudySources[s%len(sources)], err)
			}
			back, err := parse(buf.Bytes())
			if err != nil {
				return nil, fmt.Errorf("the written file does not parse again: %w", err)
			}
			for _, e := range set {
				if got := stringValue(back, e.t); got != e.v {
					return nil, fmt.Errorf("the written file reads %v = %q, %q was written", e.t, got, e.v)
				}
			}
			out = append(out, buf.Bytes())
		}
	}
	return out, nil
}

func parse(b []byte) (dicom.Dataset, error) {
	return dicom.Parse(bytes.NewReader(b), int64(len(b)), nil, dicom.SkipProcessingPixelDataValue())
}

// setString gives a data set's attribute one string value, adding the
// attribute (in tag order) if it is missing.
func setString(ds *dicom.Dataset, t tag.Tag, v string) error {
	val, err := dicom.NewValue([]string{v})
	if err != nil {
		return err
	}
	if e, err := ds.FindElementByTag(t); err == nil {
		e.Value = val
		return nil
	}
	e, err := dicom.NewElement(t, []string{v})
	if err != nil {
		return err
	}
	ds.Elements = append(ds.Elements, e)
	sort.SliceStable(ds.Elements, func(i, j int) bool {
		a, b := ds.Elements[i].Tag, ds.Elements[j].Tag
		return a.Group < b.Group || a.Group == b.Group && a.Element < b.Element
	})
	return nil
}

func stringValue(ds dicom.Dataset, t tag.Tag) string {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		return ""
	}
	if v, ok := e.Value.GetValue().([]string); ok {
		return strings.TrimRight(strings.Join(v, `\`), " \x00")
	}
	return ""
}

// UIDs reads a DICOM file's StudyInstanceUID, SeriesInstanceUID and
// SOPInstanceUID.
func UIDs(t testing.TB, file []byte) (study, series, sop string) {
	t.Helper()
	ds, err := parse(file)
	if err != nil {
		t.Fatalf("UIDs: %v", err)
	}
	return stringValue(ds, tag.StudyInstanceUID), stringValue(ds, tag.SeriesInstanceUID), stringValue(ds, tag.SOPInstanceUID)
}

// WriteStudy is MakeStudy for programs (scripts/dicomstudy): the files, or
// what went wrong.
func WriteStudy(corpusDir string, series, instancesPerSeries int, patientID, issuer string) ([][]byte, error) {
	return makeStudy(corpusDir, series, instancesPerSeries, patientID, issuer)
}
