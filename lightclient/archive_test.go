package lightclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/keepers"
	"github.com/medchain/medchain/testutil/sample"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// serveProvenStore answers abci_query from p over CometBFT's JSON-RPC, as
// a node does; tamper, when set, changes every value it answers with (a
// lying node). It returns the node's RPC client and address.
func serveProvenStore(t *testing.T, p *provenStore, tamper func([]byte) []byte) (*rpchttp.HTTP, string) {
	t.Helper()
	query := func(_ *rpctypes.Context, path string, data cmtbytes.HexBytes, height int64, prove bool) (*ctypes.ResultABCIQuery, error) {
		store := strings.TrimSuffix(strings.TrimPrefix(path, "/store/"), "/key")
		res, err := p.rs.Query(&storetypes.RequestQuery{Path: "/" + store + "/key", Data: data, Height: height, Prove: prove})
		if err != nil {
			return nil, err
		}
		value := res.Value
		if tamper != nil {
			value = tamper(value)
		}
		return &ctypes.ResultABCIQuery{Response: abci.ResponseQuery{Key: res.Key, Value: value, ProofOps: res.ProofOps, Height: res.Height}}, nil
	}
	mux := http.NewServeMux()
	rpcserver.RegisterRPCFuncs(mux, map[string]*rpcserver.RPCFunc{"abci_query": rpcserver.NewRPCFunc(query, "path,data,height,prove")}, cmtlog.NewNopLogger())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	node, err := rpchttp.New(srv.URL, "/websocket")
	require.NoError(t, err)
	return node, srv.URL
}

// ArchiveEntryAt proves an entry the records keeper wrote, ARCHIVED or
// SHREDDED, proves the absence of one it did not, and names a primary
// that answers with anything else.
func TestArchiveEntryAt(t *testing.T) {
	c := keepers.New(t)
	ctx := c.Ctx
	kept := c.CreateRecord(t, ctx, c.CreateMsg(t, ctx, c.Patient, c.Patient, recordstypes.RecordKindPDF))
	erased := c.CreateRecord(t, ctx, c.CreateMsg(t, ctx, c.Patient, c.Patient, recordstypes.RecordKindDICOM))
	for _, id := range []uint64{kept, erased} {
		_, err := c.RecordsMsg.SetArchiveConsent(events.Fresh(ctx), &recordstypes.MsgSetArchiveConsent{Owner: c.Patient, RecordId: id, Allow: true})
		require.NoError(t, err)
	}
	piece := cid.MustParse(sample.PieceCID("aggregate"))
	_, err := c.RecordsMsg.RecordArchive(events.Fresh(ctx), &recordstypes.MsgRecordArchive{
		Hospital: c.Hospital, PieceCid: piece.String(), PieceSize: 1 << 30, Provider: "f01234", DealRef: "deal-1",
		ExpiresAt: keepers.GenesisTime.Add(365 * 24 * time.Hour),
		Versions:  []recordstypes.ArchivedVersion{{RecordId: kept, Version: 1}, {RecordId: erased, Version: 1}},
	})
	require.NoError(t, err)
	_, err = c.RecordsMsg.RedactRecord(events.Fresh(ctx), &recordstypes.MsgRedactRecord{Owner: c.Patient, RecordId: erased})
	require.NoError(t, err)
	private := c.CreateRecord(t, ctx, c.CreateMsg(t, ctx, c.Patient, c.Patient, recordstypes.RecordKindFHIR))

	// The records store as the keepers left it, committed to an IAVL
	// multistore whose app hash a verified header carries.
	records := map[string][]byte{}
	it := ctx.KVStore(c.StoreKey(t, recordstypes.StoreKey)).Iterator(nil, nil)
	for ; it.Valid(); it.Next() {
		records[string(it.Key())] = it.Value()
	}
	require.NoError(t, it.Close())
	p := newProvenStore(t, map[string]map[string][]byte{recordstypes.StoreKey: records})
	honest, honestURL := serveProvenStore(t, p, nil)
	client := &Client{cfg: Config{Primary: honestURL}, primary: honest, witnesses: map[string]*rpchttp.HTTP{}}
	bg := context.Background()

	// The archive rule a light-client gate applies to an archive ticket,
	// on the proven params and record.
	for id, want := range map[uint64]string{kept: "", private: "has not allowed archiving", erased: "has not allowed archiving", 99: "does not exist"} {
		why, err := client.ArchiveRefusalAt(bg, p.at, id)
		require.NoError(t, err)
		if want == "" {
			require.Empty(t, why, "record %d", id)
		} else {
			require.Contains(t, why, want, "record %d", id)
		}
	}

	for id, status := range map[uint64]recordstypes.ArchiveStatus{kept: recordstypes.ArchiveStatusArchived, erased: recordstypes.ArchiveStatusShredded} {
		want, err := c.Records.Archives.Get(ctx, collections.Join3(id, uint64(1), piece.String()))
		require.NoError(t, err)
		got, found, err := client.ArchiveEntryAt(bg, p.at, id, 1, piece)
		require.NoError(t, err)
		require.True(t, found, "record %d", id)
		require.Equal(t, want, got)
		require.Equal(t, status, got.Status)
	}
	for name, q := range map[string]struct {
		id, version uint64
		piece       cid.Cid
	}{
		"another piece":           {kept, 1, cid.MustParse(sample.PieceCID("another aggregate"))},
		"another version":         {kept, 2, piece},
		"a record never archived": {99, 1, piece},
	} {
		_, found, err := client.ArchiveEntryAt(bg, p.at, q.id, q.version, q.piece)
		require.NoError(t, err, name)
		require.False(t, found, "%s: proven absent", name)
	}

	// A primary that changes the entry (a later expiry, say) or hides it
	// is named, against a witness that answered with a valid proof.
	for name, tamper := range map[string]func([]byte) []byte{
		"a forged entry": func(v []byte) []byte {
			if len(v) == 0 {
				return v
			}
			return append(append([]byte(nil), v...), 0x50, 0x01) // an extra field 10 varint
		},
		"a hidden entry": func([]byte) []byte { return nil },
	} {
		liar, liarURL := serveProvenStore(t, p, tamper)
		lying := &Client{cfg: Config{Primary: liarURL}, primary: liar, witnesses: map[string]*rpchttp.HTTP{honestURL: honest}}
		_, _, err := lying.ArchiveEntryAt(bg, p.at, kept, 1, piece)
		var lie *LyingNodeError
		require.True(t, errors.As(err, &lie), "%s: %v", name, err)
		require.Equal(t, liarURL, lie.Node, name)
		require.Equal(t, honestURL, lie.Witness, name)
	}
}
