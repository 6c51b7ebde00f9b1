// Command dicomcheck makes and checks DICOM files for the data-NFT demo
// and for anyone checking a de-identified copy:
//
//	go run ./scripts/dicomcheck sample -o identified.dcm
//	go run ./scripts/dicomcheck ORIGINAL COPY [--shift-days N]
//	go run ./scripts/dicomcheck verify ORIGINAL COPY [--shift-days N]
//
// sample writes sample.IdentifiedDICOM, a synthetic MR image (no real
// person) carrying attributes of every kind of action of PS3.15's basic
// profile. Given an original and its de-identified copy (verify is
// optional), it runs deid.VerifyDICOM and prints every check: one per
// attribute of Table E.1-1 the original has, at the top level and inside
// sequences, with the action required and whether the copy complies, then
// private attributes, overlays and curves, UID consistency, the
// de-identification marks and the pixel data. --shift-days N says the
// copy was made with option 113107 and dates shifted by N days. It exits 1
// if any check fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/medchain/medchain/medclient/deid"
	"github.com/medchain/medchain/testutil/sample"
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
		b, err := sample.IdentifiedDICOM()
		if err == nil {
			err = os.WriteFile(*out, b, 0o600)
		}
		exitOn(err)
	case "verify":
		verify(os.Args[2:])
	case "-h", "-help", "--help":
		usage()
	default:
		verify(os.Args[1:])
	}
}

// verify takes ORIGINAL COPY and an optional --shift-days N, before or
// after the files.
func verify(args []string) {
	shift := 0
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case strings.HasPrefix(a, "-") && name == "shift-days":
			if !hasVal {
				if i+1 >= len(args) {
					usage()
				}
				i++
				val = args[i]
			}
			n, err := strconv.Atoi(val)
			if err != nil {
				exitOn(fmt.Errorf("--shift-days: %w", err))
			}
			shift = n
		case strings.HasPrefix(a, "-") && a != "-":
			usage()
		default:
			files = append(files, a)
		}
	}
	if len(files) != 2 {
		usage()
	}
	orig, err := os.ReadFile(files[0])
	exitOn(err)
	copy, err := os.ReadFile(files[1])
	exitOn(err)
	checks, err := deid.VerifyDICOM(orig, copy, shift)
	exitOn(err)
	failed := 0
	for _, c := range checks {
		mark := "ok  "
		if !c.OK {
			mark, failed = "FAIL", failed+1
		}
		line := fmt.Sprintf("%s %-60s %s", mark, c.What, c.Want)
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
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dicomcheck sample -o FILE | dicomcheck [verify] ORIGINAL DEIDENTIFIED [--shift-days N]")
	os.Exit(2)
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
