package medclient

import (
	"fmt"
	"io"
	"os"

	"github.com/medchain/medchain/medclient/study"
)

// ExtractStudy turns a downloaded plaintext at path into a directory of
// .dcm files when it is a DICOM study container (what the DICOMweb bridge
// stores, one record per study), and returns the number of instances; for
// any other payload it returns 0 and leaves path alone. Every instance is
// checked against the container's index before it is kept; on an error
// the container file stays at path and no directory is left.
func ExtractStudy(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	if !study.IsContainer(head[:n]) {
		f.Close()
		return 0, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return 0, err
	}
	container := path + ".study"
	if err := os.Rename(path, container); err != nil {
		f.Close()
		return 0, err
	}
	files, err := study.Extract(f, path)
	f.Close()
	if err != nil {
		_ = os.RemoveAll(path)
		_ = os.Rename(container, path)
		return 0, fmt.Errorf("%s holds a DICOM study that could not be unpacked (the container is left at %s): %w", path, path, err)
	}
	return len(files), os.Remove(container)
}
