package medclient_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/medclient"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

func TestDetectKind(t *testing.T) {
	dicom := append(make([]byte, 128), []byte("DICM\x02\x00\x00\x00UL")...)
	bigFHIR := `{"meta":{"tags":[` + strings.Repeat(`"x",`, 1000) + `"y"]},"resourceType":"Observation","status":"final"}`
	for _, tc := range []struct {
		name string
		in   []byte
		want recordstypes.RecordKind
	}{
		{"dicom part 10", dicom, recordstypes.RecordKindDICOM},
		{"dicom magic at the wrong offset", append([]byte("DICM"), make([]byte, 200)...), recordstypes.RecordKindOther},
		// (0008,0005) CS "ISO_IR 100" then (0008,0012): explicit and implicit VR.
		{"bare dicom, explicit VR", append([]byte("\x08\x00\x05\x00CS\x0a\x00ISO_IR 100\x08\x00\x12\x00DA"), make([]byte, 8)...), recordstypes.RecordKindDICOM},
		{"bare dicom, implicit VR", append([]byte("\x08\x00\x05\x00\x0a\x00\x00\x00ISO_IR 100\x08\x00\x12\x00"), make([]byte, 8)...), recordstypes.RecordKindDICOM},
		{"binary that starts like a tag", append([]byte{0x08, 0x00, 0x05, 0x00, 0xff, 0xff, 0xff, 0x7f}, make([]byte, 40)...), recordstypes.RecordKindOther},
		{"fhir bundle", []byte(`{"resourceType":"Bundle","type":"collection","entry":[]}`), recordstypes.RecordKindFHIR},
		{"fhir with bom and whitespace", []byte("\ufeff \n {\"resourceType\": \"Patient\"}"), recordstypes.RecordKindFHIR},
		{"fhir, resourceType not first", []byte(bigFHIR), recordstypes.RecordKindFHIR},
		{"json without resourceType", []byte(`{"name":"x","nested":{"resourceType":"Patient"}}`), recordstypes.RecordKindOther},
		{"json with non-string resourceType", []byte(`{"resourceType":7}`), recordstypes.RecordKindOther},
		{"json array", []byte(`[{"resourceType":"Patient"}]`), recordstypes.RecordKindOther},
		{"pdf", []byte("%PDF-1.7\n..."), recordstypes.RecordKindPDF},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), recordstypes.RecordKindImage},
		{"jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10}, recordstypes.RecordKindImage},
		{"text", []byte("hello"), recordstypes.RecordKindOther},
		{"one byte", []byte{0}, recordstypes.RecordKindOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, r, err := medclient.DetectKind(bytes.NewReader(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, kind)
			// The returned reader still yields every byte.
			all, err := io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, tc.in, all)
		})
	}
}

func TestParseKind(t *testing.T) {
	_, auto, err := medclient.ParseKind("auto")
	require.NoError(t, err)
	require.True(t, auto)
	k, auto, err := medclient.ParseKind("DICOM")
	require.NoError(t, err)
	require.False(t, auto)
	require.Equal(t, recordstypes.RecordKindDICOM, k)
	_, _, err = medclient.ParseKind("xray")
	require.ErrorContains(t, err, `--kind "xray"`)
	_, _, err = medclient.ParseKind("unspecified")
	require.Error(t, err)
}
