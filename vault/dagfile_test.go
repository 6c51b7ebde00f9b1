package vault

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/vault/dagfile"
)

// What a vault sends, from its store or as a gateway, dagfile.ReadOrdered
// reads in one pass: the browser's way to fetch a file.
func TestReadOrderedReadsWriteCAR(t *testing.T) {
	v := newTestVault(t, Config{})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"one chunk", randomBytes(40, ChunkSize)},
		{"five chunks and 3 bytes", randomBytes(41, 5*ChunkSize+3)},
		// Identical chunks are one block, which WriteCAR sends once.
		{"repeated chunks", slices.Concat(make([]byte, 3*ChunkSize), randomBytes(42, 5))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := mustImport(t, v.store, tc.data)
			fromStore := mustCAR(t, v.store, root)
			resp, fromGateway := v.do(t, http.MethodGet, "/ipfs/"+root.String()+"?format=car", nil)
			wantStatus(t, resp, fromGateway, http.StatusOK)
			for name, carBytes := range map[string][]byte{"WriteCAR": fromStore, "gateway": fromGateway} {
				var got bytes.Buffer
				n, err := dagfile.ReadOrdered(t.Context(), bytes.NewReader(carBytes), root, int64(len(carBytes)), &got)
				require.NoError(t, err, name)
				require.Equal(t, int64(len(tc.data)), n, name)
				require.True(t, bytes.Equal(tc.data, got.Bytes()), "%s: ReadOrdered gives back other bytes", name)
			}
		})
	}
}
