package study

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Extract writes every instance of a container stream into dir as
// dir/<SeriesInstanceUID>/<SOPInstanceUID>.dcm and returns the paths in
// container order. The names come from the index's UIDs, checked to be
// digits and dots, never from member names, which must match them. Each
// file is written under a temporary name in its directory and renamed once
// its bytes have been verified against the index, so a file under its
// final name is always complete; on error, files already renamed stay and
// the partial one is removed.
func Extract(r io.Reader, dir string) ([]string, error) {
	var paths []string
	_, err := Each(r, func(e Entry, body io.Reader) error {
		p, err := extractOne(dir, e, body)
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	return paths, err
}

func extractOne(dir string, e Entry, body io.Reader) (string, error) {
	// Index.Check has validated both UIDs: digits and dots, no empty
	// component, so neither is "", "." nor "..".
	if ValidUID(e.SeriesInstanceUID) != nil || ValidUID(e.SOPInstanceUID) != nil {
		return "", fmt.Errorf("study: instance %q: invalid UID", e.SOPInstanceUID)
	}
	sub := filepath.Join(dir, e.SeriesInstanceUID)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return "", err
	}
	final := filepath.Join(sub, e.SOPInstanceUID+".dcm")
	tmp, err := os.CreateTemp(sub, ".partial-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return final, nil
}
