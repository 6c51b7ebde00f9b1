package medclient

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/medchain/medchain/medclient/sniff"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// DetectKind guesses a record's coarse kind from the start of its
// plaintext (see sniff.Kind). Only the first MiB is read; the reader
// returned yields the whole stream again.
func DetectKind(r io.Reader) (recordstypes.RecordKind, io.Reader, error) {
	br := bufio.NewReaderSize(r, sniff.Bytes)
	head, err := br.Peek(sniff.Bytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, nil, err
	}
	return KindOf(head), br, nil
}

// KindOf classifies the first bytes of a payload (see sniff.Kind).
func KindOf(head []byte) recordstypes.RecordKind {
	kind, _, err := ParseKind(sniff.Kind(head))
	if err != nil {
		panic(err) // sniff names only valid kinds
	}
	return kind
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

// KindName is a record kind as the commands print it: dicom, fhir, pdf,
// image, genomic or other.
func KindName(k recordstypes.RecordKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "RECORD_KIND_"))
}
