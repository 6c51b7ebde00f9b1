package study

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

var (
	corpusOnce sync.Once
	corpusPath string
	corpusErr  string
)

// corpusDir is the directory of real DICOM files (pydicom's test files):
// MEDCHAIN_DICOM_CORPUS if set, else what scripts/dicom-corpus.sh provides.
// The test is skipped only when neither gives one.
func corpusDir(t *testing.T) string {
	t.Helper()
	corpusOnce.Do(func() {
		if d := os.Getenv("MEDCHAIN_DICOM_CORPUS"); d != "" {
			corpusPath = d
			return
		}
		out, err := exec.Command(filepath.Join("..", "..", "scripts", "dicom-corpus.sh")).Output()
		if err != nil {
			corpusErr = "scripts/dicom-corpus.sh: " + err.Error()
			return
		}
		corpusPath = strings.TrimSpace(string(out))
	})
	if corpusPath == "" {
		t.Skipf("no DICOM corpus (%s): set MEDCHAIN_DICOM_CORPUS", corpusErr)
	}
	return corpusPath
}

func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	require.NoError(t, err, "%s missing from the corpus", name)
	return b
}

// rewrite parses a DICOM file, sets the given top-level string elements
// (adding those missing, removing those set to nil) and writes it back,
// pixel data kept as they were. The file meta's Media Storage SOP
// Instance UID follows the SOPInstanceUID.
func rewrite(t *testing.T, in []byte, set map[tag.Tag][]string) []byte {
	t.Helper()
	ds, err := dicom.Parse(bytes.NewReader(in), int64(len(in)), nil, dicom.SkipProcessingPixelDataValue())
	require.NoError(t, err)
	if sop, ok := set[tag.SOPInstanceUID]; ok && sop != nil {
		set[tag.MediaStorageSOPInstanceUID] = sop
	}
	for tg, v := range set {
		idx := -1
		for i, e := range ds.Elements {
			if e.Tag == tg {
				idx = i
			}
		}
		if v == nil {
			if idx >= 0 {
				ds.Elements = append(ds.Elements[:idx], ds.Elements[idx+1:]...)
			}
			continue
		}
		e, err := dicom.NewElement(tg, v)
		require.NoError(t, err)
		if idx >= 0 {
			e.RawValueRepresentation = ds.Elements[idx].RawValueRepresentation
			ds.Elements[idx] = e
			continue
		}
		// Insert in tag order.
		pos := len(ds.Elements)
		for i, old := range ds.Elements {
			if old.Tag.Compare(tg) > 0 {
				pos = i
				break
			}
		}
		ds.Elements = append(ds.Elements[:pos], append([]*dicom.Element{e}, ds.Elements[pos:]...)...)
	}
	var out bytes.Buffer
	require.NoError(t, dicom.Write(&out, ds, dicom.SkipVRVerification()))
	return out.Bytes()
}
