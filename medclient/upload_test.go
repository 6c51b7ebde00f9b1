package medclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/medchain/medchain/medclient"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

func TestOpenInput(t *testing.T) {
	dir := t.TempDir()

	_, _, err := medclient.OpenInput(dir)
	require.ErrorContains(t, err, dir+" is not a regular file")

	empty := filepath.Join(dir, "empty.dcm")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, _, err = medclient.OpenInput(empty)
	require.ErrorContains(t, err, empty+" is empty: there is nothing to store")

	_, _, err = medclient.OpenInput(filepath.Join(dir, "missing.dcm"))
	require.ErrorIs(t, err, os.ErrNotExist)

	scan := filepath.Join(dir, "scan.dcm")
	require.NoError(t, os.WriteFile(scan, []byte("DICM payload"), 0o600))
	f, size, err := medclient.OpenInput(scan)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, int64(len("DICM payload")), size)
}

// fakeVault answers /api/v1/status with maxUpload and records every
// request it gets, so a test can tell whether anything was uploaded.
type fakeVault struct {
	URL string

	mu       sync.Mutex
	requests []string
}

func newFakeVault(t *testing.T, maxUpload int64) *fakeVault {
	t.Helper()
	v := &fakeVault{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.requests = append(v.requests, r.Method+" "+r.URL.Path)
		v.mu.Unlock()
		if r.Method == http.MethodGet && r.URL.Path == "/api/v1/status" {
			_ = json.NewEncoder(w).Encode(map[string]int64{"max_upload_bytes": maxUpload})
			return
		}
		http.Error(w, "the fake vault stores nothing", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	v.URL = srv.URL
	return v
}

func (v *fakeVault) Requests() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.requests...)
}

func (v *fakeVault) destination(t *testing.T) medclient.Destination {
	t.Helper()
	remote, vaultURL, err := medclient.NewRemote(v.URL, "")
	require.NoError(t, err)
	return medclient.Destination{Remote: remote, VaultURL: vaultURL}
}

// unreadable is a payload no workflow may read: the test fails if it does.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the payload was read")
	return 0, errors.New("the payload must not be read")
}

func newRecord(t *testing.T, label string, size int64) medclient.NewRecord {
	return medclient.NewRecord{
		Creator: "med1creator", Owner: "med1owner", Kind: recordstypes.RecordKindDICOM,
		Label: label, Name: "scan.dcm", Src: unreadable{t}, Size: size,
	}
}

func TestCreateRecordRefusesBadLabelFirst(t *testing.T) {
	for name, label := range map[string]string{
		"too long":      strings.Repeat("x", int(recordstypes.MaxLabelLengthCap)+1),
		"not printable": "MRI\nknee",
		"not UTF-8":     "MRI \xff",
	} {
		t.Run(name, func(t *testing.T) {
			v := newFakeVault(t, 1<<30)
			_, err := medclient.CreateRecord(context.Background(), client.Context{}, v.destination(t), newRecord(t, label, 1000))
			require.ErrorIs(t, err, recordstypes.ErrInvalidLabel)
			require.Empty(t, v.Requests(), "the vault was asked before the label was checked")
		})
	}
}

func TestCreateRecordRefusesFileOverVaultLimit(t *testing.T) {
	const size = 5 << 20
	need := medclient.EncryptedSizeBound(size)
	v := newFakeVault(t, need-1)
	_, err := medclient.CreateRecord(context.Background(), client.Context{}, v.destination(t), newRecord(t, "MRI knee", size))
	require.ErrorIs(t, err, medclient.ErrTooLarge)
	require.ErrorContains(t, err, "the file is 5.0 MiB")
	require.ErrorContains(t, err, "the vault at "+v.URL+" accepts at most")
	require.ErrorContains(t, err, "nothing was sent")
	require.Equal(t, []string{"GET /api/v1/status"}, v.Requests())
}

func TestCreateRecordAcceptsFileAtVaultLimit(t *testing.T) {
	// A file whose bound is exactly the limit passes the check and goes on
	// to the chain, which a generate-only context refuses before any data
	// moves.
	const size = 5 << 20
	v := newFakeVault(t, medclient.EncryptedSizeBound(size))
	_, err := medclient.CreateRecord(context.Background(), client.Context{GenerateOnly: true}, v.destination(t), newRecord(t, "MRI knee", size))
	require.NotErrorIs(t, err, medclient.ErrTooLarge)
	require.ErrorContains(t, err, "--generate-only and --offline are not supported")
	require.Equal(t, []string{"GET /api/v1/status"}, v.Requests())
}

func TestCreateRecordWithKuboSkipsVaultLimit(t *testing.T) {
	// A Kubo node (no vault URL) has no limit to ask for.
	remote, vaultURL, err := medclient.NewRemote("", "http://127.0.0.1:1")
	require.NoError(t, err)
	require.Empty(t, vaultURL)
	_, err = medclient.CreateRecord(context.Background(), client.Context{GenerateOnly: true},
		medclient.Destination{Remote: remote}, newRecord(t, "", 1<<40))
	require.ErrorContains(t, err, "--generate-only and --offline are not supported")
}

// recordsQuery answers Query/Record with the records it holds.
type recordsQuery struct {
	recordstypes.UnimplementedQueryServer
	records  map[uint64]recordstypes.Record
	versions map[uint64][]recordstypes.RecordVersion // history by record id
}

func (q *recordsQuery) History(_ context.Context, req *recordstypes.QueryHistoryRequest) (*recordstypes.QueryHistoryResponse, error) {
	all := q.versions[req.RecordId]
	off := req.Pagination.GetOffset()
	if off >= uint64(len(all)) {
		return &recordstypes.QueryHistoryResponse{}, nil
	}
	return &recordstypes.QueryHistoryResponse{Versions: all[off : off+1]}, nil
}

func (q *recordsQuery) Record(_ context.Context, req *recordstypes.QueryRecordRequest) (*recordstypes.QueryRecordResponse, error) {
	r, ok := q.records[req.Id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "record %d not found", req.Id)
	}
	return &recordstypes.QueryRecordResponse{Record: r}, nil
}

// queryContext is a client context whose queries go to an in-process gRPC
// server holding records (no chain).
func queryContext(t *testing.T, records ...recordstypes.Record) client.Context {
	t.Helper()
	return grpcContext(t, func(srv *grpc.Server) { registerRecords(srv, records) })
}

// registerRecords serves Query/Record and Query/History from records.
func registerRecords(srv *grpc.Server, records []recordstypes.Record) {
	q := &recordsQuery{records: map[uint64]recordstypes.Record{}, versions: map[uint64][]recordstypes.RecordVersion{}}
	for _, r := range records {
		q.records[r.Id] = r
		// Versions 1..r.Version: all of key epoch 0 but the current one.
		for v := uint64(1); v <= r.Version; v++ {
			epoch := uint64(0)
			if v == r.Version {
				epoch = r.KeyEpoch
			}
			q.versions[r.Id] = append(q.versions[r.Id], recordstypes.RecordVersion{RecordId: r.Id, Version: v, KeyEpoch: epoch})
		}
	}
	recordstypes.RegisterQueryServer(srv, q)
}

// grpcContext is a client context whose queries go to an in-process gRPC
// server on which register puts the query services a test needs.
func grpcContext(t *testing.T, register func(*grpc.Server)) client.Context {
	t.Helper()
	grpcCodec := codec.NewProtoCodec(codectypes.NewInterfaceRegistry()).GRPCCodec()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.ForceServerCodec(grpcCodec))
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcCodec)))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return client.Context{}.WithGRPCClient(conn)
}

func TestAddVersionRefusesUnknownRecord(t *testing.T) {
	v := newFakeVault(t, 1<<30)
	_, err := medclient.AddVersion(context.Background(), queryContext(t), v.destination(t), 7, "scan.dcm", unreadable{t}, 1000)
	require.ErrorContains(t, err, "record 7: ")
	require.ErrorContains(t, err, "record 7 not found")
	require.Empty(t, v.Requests())
}

func TestAddVersionRefusesFileOverVaultLimit(t *testing.T) {
	const size = 5 << 20
	v := newFakeVault(t, medclient.EncryptedSizeBound(size)-1)
	clientCtx := queryContext(t, recordstypes.Record{Id: 7, Owner: "med1owner", Kind: recordstypes.RecordKindDICOM, Version: 2})
	// The key is not opened (no keyring in the context, no access query
	// served) and nothing is uploaded: the limit is checked first.
	_, err := medclient.AddVersion(context.Background(), clientCtx, v.destination(t), 7, "scan.dcm", unreadable{t}, size)
	require.ErrorIs(t, err, medclient.ErrTooLarge)
	require.ErrorContains(t, err, "nothing was sent")
	require.Equal(t, []string{"GET /api/v1/status"}, v.Requests())
}
