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
// "other" for anything else.
func Kind(head []byte) string {
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM", isBareDICOM(head):
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
