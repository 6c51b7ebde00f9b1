package sniff

import (
	"archive/tar"
	"bytes"
	"testing"
)

func containerHead(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(body)), Mode: 0o600, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStudyContainer(t *testing.T) {
	index := `{"format":"` + StudyContainerFormat + `","studyInstanceUID":"1.2.3","instances":[]}`
	ok := containerHead(t, "index.json", index)
	if !StudyContainer(ok) || Kind(ok) != "dicom" {
		t.Fatalf("a study container is dicom, got %q", Kind(ok))
	}
	corrupt := append([]byte(nil), ok...)
	corrupt[150]++ // the header checksum
	for name, head := range map[string][]byte{
		"other format":    containerHead(t, "index.json", `{"format":"medchain-dicom-study/2"}`),
		"other member":    containerHead(t, "notes.json", index),
		"short":           ok[:520],
		"bad checksum":    corrupt,
		"plain tar later": containerHead(t, "a/index.json", index),
	} {
		if StudyContainer(head) {
			t.Errorf("%s: taken for a study container", name)
		}
		if Kind(head) == "dicom" {
			t.Errorf("%s: kind dicom", name)
		}
	}
}
