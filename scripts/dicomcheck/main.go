// Command dicomcheck makes and checks DICOM files for the data-NFT demo:
//
//	go run ./scripts/dicomcheck sample -o identified.dcm
//	go run ./scripts/dicomcheck verify identified.dcm deidentified.dcm
//
// sample writes deid.IdentifiedSample, a synthetic MR image (no real
// person) carrying every attribute de-identification must change. verify
// prints one line per attribute the original has (removed, emptied or
// remapped as PS3.15's basic profile says), the private tags, the overlays
// and the de-identification marks, and exits 1 if any check fails.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/medchain/medchain/deid"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "sample":
		fs := flag.NewFlagSet("sample", flag.ExitOnError)
		out := fs.String("o", "identified.dcm", "file to write")
		_ = fs.Parse(os.Args[2:])
		b, err := deid.IdentifiedSample()
		if err == nil {
			err = os.WriteFile(*out, b, 0o600)
		}
		exitOn(err)
	case "verify":
		if len(os.Args) != 4 {
			usage()
		}
		orig, err := os.ReadFile(os.Args[2])
		exitOn(err)
		copy, err := os.ReadFile(os.Args[3])
		exitOn(err)
		checks, err := deid.VerifyDICOM(orig, copy)
		exitOn(err)
		failed := 0
		for _, c := range checks {
			mark := "ok  "
			if !c.OK {
				mark, failed = "FAIL", failed+1
			}
			line := fmt.Sprintf("%s %-55s %s", mark, c.What, c.Want)
			if !c.OK && c.Got != "" {
				line += fmt.Sprintf(" (found %q)", c.Got)
			}
			fmt.Println(line)
		}
		if failed > 0 {
			fmt.Fprintf(os.Stderr, "%d of %d checks failed\n", failed, len(checks))
			os.Exit(1)
		}
		fmt.Printf("all %d checks passed\n", len(checks))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dicomcheck sample -o FILE | dicomcheck verify ORIGINAL DEIDENTIFIED")
	os.Exit(2)
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
