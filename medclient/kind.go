package medclient

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// sniffBytes is how much of a file DetectKind looks at.
const sniffBytes = 1 << 20

// DetectKind guesses a record's coarse kind from the start of its
// plaintext: DICOM by the "DICM" magic after the 128-byte preamble (PS3.10
// part 10 files), FHIR by a JSON object with a top-level "resourceType", PDF
// by "%PDF-", PNG, JPEG, GIF, TIFF and WebP images by their signatures, and
// anything else OTHER. Only the first MiB is read; the reader returned
// yields the whole stream again.
func DetectKind(r io.Reader) (recordstypes.RecordKind, io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, nil, err
	}
	return KindOf(head), br, nil
}

// KindOf classifies the first bytes of a payload (see DetectKind).
func KindOf(head []byte) recordstypes.RecordKind {
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM", isBareDICOM(head):
		return recordstypes.RecordKindDICOM
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return recordstypes.RecordKindPDF
	case isImage(head):
		return recordstypes.RecordKindImage
	case isFHIR(head):
		return recordstypes.RecordKindFHIR
	}
	return recordstypes.RecordKindOther
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

// ParseKind reads a --kind value: auto (detect) or one of the record kinds.
func ParseKind(s string) (kind recordstypes.RecordKind, auto bool, err error) {
	if strings.EqualFold(s, "auto") || s == "" {
		return 0, true, nil
	}
	v, ok := recordstypes.RecordKind_value["RECORD_KIND_"+strings.ToUpper(strings.TrimSpace(s))]
	if !ok || !recordstypes.RecordKind(v).IsValid() {
		return 0, false, fmt.Errorf("--kind %q: use auto or %s", s, recordstypes.ValidRecordKinds())
	}
	return recordstypes.RecordKind(v), false, nil
}
