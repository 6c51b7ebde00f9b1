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
