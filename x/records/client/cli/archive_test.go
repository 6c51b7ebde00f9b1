package cli_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/records/client/cli"
	"github.com/medchain/medchain/x/records/types"
)

const piece = "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq"

// record-archive's arguments become the message the chain checks; what is
// not even the right form is refused on the client, saying what to type.
func TestParseRecordArchive(t *testing.T) {
	msg, err := cli.ParseRecordArchive("med1hospital", []string{piece, "34359738368", "42:1", "42:2", "57:3"},
		"f01234", "deal-7", "2027-06-01T02:00:00+02:00")
	require.NoError(t, err)
	require.Equal(t, &types.MsgRecordArchive{
		Hospital: "med1hospital", PieceCid: piece, PieceSize: 1 << 35, Provider: "f01234", DealRef: "deal-7",
		ExpiresAt: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		Versions:  []types.ArchivedVersion{{RecordId: 42, Version: 1}, {RecordId: 42, Version: 2}, {RecordId: 57, Version: 3}},
	}, msg)

	many := []string{piece, "128"}
	for i := 1; i <= types.MaxArchivedVersionsPerMsg+1; i++ {
		many = append(many, fmt.Sprintf("%d:1", i))
	}
	_, err = cli.ParseRecordArchive("med1hospital", many[:len(many)-1], "f01234", "", "2027-06-01T00:00:00Z")
	require.NoError(t, err, "1000 versions")

	for _, tc := range []struct {
		name              string
		args              []string
		provider, expires string
		want              string
	}{
		{"no version", []string{piece, "128"}, "f01", "2027-06-01T00:00:00Z", "at least one RECORD_ID:VERSION"},
		{"a size with a unit", []string{piece, "32GiB", "1:1"}, "f01", "2027-06-01T00:00:00Z", "is not a number of bytes"},
		{"no provider", []string{piece, "128", "1:1"}, "", "2027-06-01T00:00:00Z", "--provider is required"},
		{"no expiry", []string{piece, "128", "1:1"}, "f01", "", "--expires is required"},
		{"a date without a time", []string{piece, "128", "1:1"}, "f01", "2027-06-01", "not an RFC 3339 time"},
		{"a version without a colon", []string{piece, "128", "42"}, "f01", "2027-06-01T00:00:00Z", `"42" is not RECORD_ID:VERSION`},
		{"a record id that is not a number", []string{piece, "128", "x:1"}, "f01", "2027-06-01T00:00:00Z", `record id "x"`},
		{"a version that is not a number", []string{piece, "128", "1:v2"}, "f01", "2027-06-01T00:00:00Z", `version "v2"`},
		{"1001 versions", many, "f01", "2027-06-01T00:00:00Z", "1001 versions; the chain takes at most 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cli.ParseRecordArchive("med1hospital", tc.args, tc.provider, "", tc.expires)
			require.ErrorContains(t, err, tc.want)
		})
	}
	require.True(t, strings.HasPrefix(cli.RecordArchiveCmd().Use, "record-archive PIECE_CID PIECE_SIZE RECORD_ID:VERSION..."))
}
