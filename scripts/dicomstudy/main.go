// Command dicomstudy writes one multi-series DICOM study made from real
// files of the pydicom corpus (scripts/dicom-corpus.sh prints where it
// is), with fresh UIDs and the patient identifiers given, as .dcm files in
// a directory: what the bridge demo stores in a PACS.
//
//	go run ./scripts/dicomstudy -corpus "$(scripts/dicom-corpus.sh)" -series 2 -instances 3 -patient-id SM-0042 -issuer ST-MARY -o study/
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medchain/medchain/testutil/orthanc"
)

func main() {
	corpus := flag.String("corpus", "", "the pydicom corpus directory (scripts/dicom-corpus.sh)")
	series := flag.Int("series", 2, "number of series")
	instances := flag.Int("instances", 3, "instances per series")
	pid := flag.String("patient-id", "", "PatientID")
	issuer := flag.String("issuer", "", "IssuerOfPatientID")
	out := flag.String("o", "", "directory to write the .dcm files into")
	flag.Parse()
	if *corpus == "" || *out == "" || *pid == "" {
		fmt.Fprintln(os.Stderr, "dicomstudy: -corpus, -patient-id and -o are required")
		os.Exit(2)
	}
	files, err := orthanc.WriteStudy(*corpus, *series, *instances, *pid, *issuer)
	if err == nil {
		err = os.MkdirAll(*out, 0o755)
	}
	for i, f := range files {
		if err != nil {
			break
		}
		err = os.WriteFile(filepath.Join(*out, fmt.Sprintf("%03d.dcm", i+1)), f, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dicomstudy:", err)
		os.Exit(1)
	}
	fmt.Printf("%d instances in %s\n", len(files), *out)
}
