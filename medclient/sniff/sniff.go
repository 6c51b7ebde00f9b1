// Package sniff guesses a payload's coarse kind from its first bytes. It
// has no chain dependency, so the browser portal (Go compiled to
// WebAssembly) classifies a file exactly as the CLI does.
package sniff

import (
	"bytes"
	"encoding/json"
)

// Bytes is how much of a file Kind should be given: the first MiB.
const Bytes = 1 << 20

// Kind names the coarse kind of a payload that starts with head, as
// x/records' RecordKind without its prefix, in lower case: "dicom" by the
// "DICM" magic after the 128-byte preamble (PS3.10 part 10 files) or a bare
// data set, "pdf" by "%PDF-", "image" for PNG, JPEG, GIF, TIFF and WebP
// signatures, "fhir" for a JSON object with a top-level "resourceType", and
// "other" for anything else. A DICOM study container (StudyContainer) is
// "dicom" too.
func Kind(head []byte) string {
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM", isBareDICOM(head), StudyContainer(head):
		return "dicom"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "pdf"
	case isImage(head):
		return "image"
	case isFHIR(head):
		return "fhir"
	}
	return "other"
}

// StudyContainerFormat is the format of a DICOM study container, the
// plaintext of a study record that package medclient/study writes: a ustar
// tar whose first member, index.json, starts with this format's name.
const StudyContainerFormat = "medchain-dicom-study/1"

// studyContainerHead is how the index member's data begin.
const studyContainerHead = `{"format":"` + StudyContainerFormat + `"`

// StudyContainer reports whether head (at least its first 1 KiB, or the
// whole plaintext if shorter) starts a DICOM study container: a ustar
// header of a regular file named index.json, with a valid checksum,
// followed by an index of the container's format.
func StudyContainer(head []byte) bool {
	if len(head) < 512+len(studyContainerHead) {
		return false
	}
	h := head[:512]
	if !bytes.HasPrefix(h, []byte("index.json\x00")) || string(h[257:265]) != "ustar\x0000" || (h[156] != '0' && h[156] != 0) {
		return false
	}
	// The checksum (bytes 148-155, octal) is the sum of the header's bytes
	// with the checksum field counted as spaces.
	var sum int64
	for i, b := range h {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	var stored int64
	for _, c := range bytes.Trim(h[148:156], " \x00") {
		if c < '0' || c > '7' {
			return false
		}
		stored = stored*8 + int64(c-'0')
	}
	return stored == sum && bytes.HasPrefix(head[512:], []byte(studyContainerHead))
}

// isBareDICOM recognises a DICOM data set written without the Part 10
// preamble (older modalities and some archives do this): little-endian,
// starting at group 0002 or 0008 with an element below 0x1000, then either
// an explicit VR (two upper-case letters) or an implicit 4-byte length that
// fits in what follows.
func isBareDICOM(h []byte) bool {
	if len(h) < 12 || (h[0] != 0x02 && h[0] != 0x08) || h[1] != 0 || h[3] >= 0x10 {
		return false
	}
	if isUpper(h[4]) && isUpper(h[5]) {
		return true
	}
	length := uint32(h[4]) | uint32(h[5])<<8 | uint32(h[6])<<16 | uint32(h[7])<<24
	return length < 1024 && int(length)+12 <= len(h) && h[8+length+1] == 0 && (h[8+length] == h[0] || h[8+length] == 0x08)
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

func isImage(h []byte) bool {
	for _, sig := range [][]byte{
		[]byte("\x89PNG\r\n\x1a\n"), {0xff, 0xd8, 0xff}, []byte("GIF87a"), []byte("GIF89a"),
		[]byte("II*\x00"), []byte("MM\x00*"),
	} {
		if bytes.HasPrefix(h, sig) {
			return true
		}
	}
	return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP"
}

// isFHIR reports whether head starts a JSON object with a top-level string
// "resourceType" (FHIR's JSON format, which puts it first by convention,
// though anywhere in the first MiB is accepted).
func isFHIR(head []byte) bool {
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key == "resourceType" {
			var v string
			return dec.Decode(&v) == nil && v != ""
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
