package keeper_test

import (
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"

	storetypes "cosmossdk.io/store/types"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// BenchmarkCreateRecord measures what one MsgCreateRecord costs: the gas the
// keeper consumes (store reads and writes at the SDK's default KV gas
// prices; the ante handler's signature and tx-size gas come on top) and the
// bytes of state it leaves (keys plus values of every entry in the module
// store, divided by the number of records: the record, its two index
// entries, its first history entry, and its share of the id sequence and
// the per-owner spam counter). Each record is created in its own block, so
// the spam bound never trips.
//
//	go test -run '^$' -bench BenchmarkCreateRecord ./x/records/keeper/
func BenchmarkCreateRecord(b *testing.B) {
	for _, creator := range []string{"owner", "doctor"} {
		b.Run(creator, func(b *testing.B) {
			f := newFixture(b)
			signer := f.patient
			if creator == "doctor" {
				signer = f.doctor
			}
			msgs := make([]*types.MsgCreateRecord, b.N)
			for i := range msgs {
				msgs[i] = f.createMsg(b, signer, fmt.Sprintf("payload %d", i))
				msgs[i].Cid = sample.CID(cid.DagProtobuf, fmt.Sprintf("payload %d", i))
			}

			var gas storetypes.Gas
			b.ResetTimer()
			for i, msg := range msgs {
				ctx := f.freshCtx().WithBlockHeight(int64(100 + i)).WithGasMeter(storetypes.NewInfiniteGasMeter())
				if _, err := f.msgServer.CreateRecord(ctx, msg); err != nil {
					b.Fatal(err)
				}
				gas += ctx.GasMeter().GasConsumed()
			}
			b.StopTimer()

			var stateBytes int
			it := f.ctx.KVStore(f.storeKey).Iterator(nil, nil)
			for ; it.Valid(); it.Next() {
				stateBytes += len(it.Key()) + len(it.Value())
			}
			it.Close()
			// Subtract what an empty module holds (params).
			empty := newFixture(b)
			it = empty.ctx.KVStore(empty.storeKey).Iterator(nil, nil)
			for ; it.Valid(); it.Next() {
				stateBytes -= len(it.Key()) + len(it.Value())
			}
			it.Close()

			b.ReportMetric(float64(gas)/float64(b.N), "gas/op")
			b.ReportMetric(float64(stateBytes)/float64(b.N), "state-bytes/record")
		})
	}
}

// BenchmarkRedactArchivedRecord measures what archive entries add to the
// owner's redaction, which marks each of them SHREDDED: a record at the
// default bounds (64 versions, each in 8 pieces: 512 entries) against the
// same record never archived; and what MsgRecordArchive costs a hospital
// per version (1000 versions of 1000 records in one piece).
//
//	go test -run '^$' -bench BenchmarkRedactArchivedRecord ./x/records/keeper/
func BenchmarkRedactArchivedRecord(b *testing.B) {
	maxVersions := int(types.DefaultMaxVersionsPerRecord)
	for _, pieces := range []int{0, int(types.DefaultMaxArchiveEntriesPerVersion)} {
		b.Run(fmt.Sprintf("%d versions in %d pieces", maxVersions, pieces), func(b *testing.B) {
			var gas storetypes.Gas
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := newFixture(b)
				id := f.archivable(b, f.patient, "v1")
				versions := []types.ArchivedVersion{av(id, 1)}
				for v := 2; v <= maxVersions; v++ {
					if _, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(b, f.hospital, id, fmt.Sprintf("v%d", v))); err != nil {
						b.Fatal(err)
					}
					versions = append(versions, av(id, uint64(v)))
				}
				// Two hospitals, each holding its share of the slots.
				for p := 0; p < pieces; p++ {
					f.mustArchive(b, archiveMsg([]string{f.hospital, f.hospitalB}[p%2], fmt.Sprintf("piece %d", p), versions...))
				}
				ctx := f.freshCtx().WithGasMeter(storetypes.NewInfiniteGasMeter())
				b.StartTimer()
				if _, err := f.msgServer.RedactRecord(ctx, &types.MsgRedactRecord{Owner: f.patient, RecordId: id}); err != nil {
					b.Fatal(err)
				}
				gas += ctx.GasMeter().GasConsumed()
			}
			b.ReportMetric(float64(gas)/float64(b.N), "gas/redaction")
		})
	}
	b.Run("record-archive of 1000 versions", func(b *testing.B) {
		var gas storetypes.Gas
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f := newFixture(b)
			ids := importArchivableRecords(b, f, types.MaxArchivedVersionsPerMsg)
			versions := make([]types.ArchivedVersion, len(ids))
			for j, id := range ids {
				versions[j] = av(id, 1)
			}
			ctx := f.freshCtx().WithGasMeter(storetypes.NewInfiniteGasMeter())
			b.StartTimer()
			if _, err := f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "piece", versions...)); err != nil {
				b.Fatal(err)
			}
			gas += ctx.GasMeter().GasConsumed()
		}
		b.ReportMetric(float64(gas)/float64(b.N)/float64(types.MaxArchivedVersionsPerMsg), "gas/version")
	})
}
