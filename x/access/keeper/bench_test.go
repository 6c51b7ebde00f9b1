package keeper_test

import (
	"fmt"
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// storeSize is the number of bytes (keys plus values) in the fixture's
// store named name.
func (f *fixture) storeSize(t testing.TB, name string) int {
	t.Helper()
	n := 0
	for _, e := range f.dumpStore(t, name) {
		n += len(e.Key) + len(e.Value)
	}
	return n
}

// benchGrants sends each message once, in the timed loop, and reports the
// gas the handler consumed (store reads and writes at the SDK's default KV
// gas prices, x/records and x/issuers look-ups included; the ante
// handler's signature and tx-size gas come on top) and the bytes of access
// state each grant leaves (keys plus values of every new entry in the
// module store: the grant, its three index entries, its decision entry,
// its wrap and wrap index entry if any, and its share of the id sequence).
func benchGrants(b *testing.B, f *fixture, msgs []*types.MsgGrantAccess) {
	before := f.storeSize(b, types.StoreKey)
	var gas storetypes.Gas
	b.ResetTimer()
	for _, msg := range msgs {
		ctx := f.freshCtx().WithGasMeter(storetypes.NewInfiniteGasMeter())
		if _, err := f.msgServer.GrantAccess(ctx, msg); err != nil {
			b.Fatal(err)
		}
		gas += ctx.GasMeter().GasConsumed()
	}
	b.StopTimer()
	b.ReportMetric(float64(gas)/float64(len(msgs)), "gas/op")
	b.ReportMetric(float64(f.storeSize(b, types.StoreKey)-before)/float64(len(msgs)), "state-bytes/op")
}

// BenchmarkGrantAccessRead measures a READ grant of one record to a reader
// with a registered key, carrying its real HPKE wrap.
//
//	go test -run '^$' -bench BenchmarkGrantAccess -benchtime 2000x ./x/access/keeper/
func BenchmarkGrantAccessRead(b *testing.B) {
	f := newFixture(b)
	msgs := make([]*types.MsgGrantAccess, b.N)
	for i := range msgs {
		if i%int(recordstypes.DefaultMaxRecordsPerOwnerPerBlock) == 0 {
			f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
		}
		id := f.createRecord(b, f.patient, f.patient, recordstypes.RecordKindDICOM)
		msgs[i] = f.readMsg(b, f.patient, f.researcher, id)
	}
	benchGrants(b, f, msgs)
}

// BenchmarkGrantAccessWriteScope measures a WRITE grant on every DICOM
// record of a patient (a scope grant, no wraps) to a hospital; each grant
// comes from another patient, since a patient has one scope grant per
// grantee and permission.
func BenchmarkGrantAccessWriteScope(b *testing.B) {
	f := newFixture(b)
	msgs := make([]*types.MsgGrantAccess, b.N)
	for i := range msgs {
		msgs[i] = &types.MsgGrantAccess{
			Owner: testAddrString(fmt.Sprintf("patient-%06d", i)), Grantee: f.hospital,
			Kinds:      []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
			Permission: types.PermissionWrite, Purpose: types.PurposeTreatment,
		}
	}
	benchGrants(b, f, msgs)
}

// BenchmarkCheckAccess measures the CheckAccess query on each of its paths.
//
//	go test -run '^$' -bench BenchmarkCheckAccess -benchtime 2000x ./x/access/keeper/
func BenchmarkCheckAccess(b *testing.B) {
	f := newFixture(b)
	dicom := f.createRecord(b, f.patient, f.patient, recordstypes.RecordKindDICOM)
	f.grantRead(b, f.patient, f.researcher, dicom, nil)
	f.grant(b, &types.MsgGrantAccess{
		Owner: f.patient, Grantee: f.clinic, Kinds: []recordstypes.RecordKind{recordstypes.RecordKindDICOM},
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
		Wraps: []recordstypes.KeyWrap{f.seal(b, dicom, 0, f.clinic)},
	})
	f.grantRead(b, f.patient, f.hospital, dicom, nil)

	for _, tc := range []struct {
		name    string
		grantee string
		allowed bool
	}{
		{"allowed-owner", f.patient, true},
		{"allowed-record-grant", f.researcher, true},
		{"allowed-scope-grant", f.clinic, true},
		{"allowed-via-organisation", f.doctor, true},
		{"denied", f.stranger, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := &types.QueryCheckAccessRequest{RecordId: dicom, Grantee: tc.grantee, Permission: types.PermissionRead}
			for b.Loop() {
				resp, err := f.querier.CheckAccess(f.ctx, req)
				if err != nil || resp.Allowed != tc.allowed || (tc.allowed && resp.Wrap == nil) {
					b.Fatalf("CheckAccess for %s: %v, %v", tc.name, resp, err)
				}
			}
		})
	}
}
