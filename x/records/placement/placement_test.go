package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

func testCID(i int) cid.Cid {
	mh, err := multihash.Sum([]byte(fmt.Sprintf("payload %d", i)), multihash.SHA2_256, -1)
	if err != nil {
		panic(err)
	}
	return cid.NewCidV1(cid.DagProtobuf, mh)
}

func hospitals(n int) []Replica {
	out := make([]Replica, n)
	for i := range out {
		addr := make([]byte, 20)
		copy(addr, fmt.Sprintf("hospital-%02d", i))
		out[i] = Replica{Address: addr, Name: fmt.Sprintf("h%d", i), VaultURL: fmt.Sprintf("http://127.0.0.1:%d", 27005+10*i)}
	}
	return out
}

func names(rs []Replica) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func equal(a, b []Replica) bool { return fmt.Sprint(names(a)) == fmt.Sprint(names(b)) }

// Every caller gets the same placement whatever order it lists the
// hospitals in, and the same CID always lands on the same vaults.
func TestPlacementIsDeterministic(t *testing.T) {
	hs := hospitals(7)
	for i := range 200 {
		c := testCID(i)
		want := Place(c, hs, 3)
		if len(want) != 3 {
			t.Fatalf("placed on %d, want 3", len(want))
		}
		shuffled := append([]Replica(nil), hs...)
		rand.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Place(c, shuffled, 3); !equal(got, want) {
			t.Fatalf("CID %d: %v with the list reordered, %v before", i, names(got), names(want))
		}
		if !Holds(c, hs, 3, want[1].Address) {
			t.Fatal("Holds disagrees with Place")
		}
	}
	if got := Place(testCID(1), hs[:2], 3); len(got) != 2 {
		t.Fatalf("with fewer hospitals than the factor every one holds it; got %d", len(got))
	}
	if got := Place(testCID(1), hs, 0); len(got) != 0 {
		t.Fatal("factor 0 places nothing")
	}
}

// A hospital admitted, or suspended, moves only the CIDs that must move:
// those it enters or leaves, and each such CID changes exactly one holder.
// A vault that moves to a new URL moves no CID.
func TestPlacementMovesOnlyWhatMustMove(t *testing.T) {
	hs := hospitals(6)
	const n, factor = 3000, 3
	joined := hospitals(7)
	moved, removedMoved := 0, 0
	for i := range n {
		c := testCID(i)
		before := Place(c, hs, factor)
		after := Place(c, joined, factor)
		newcomer := Holds(c, joined, factor, joined[6].Address)
		if !newcomer && !equal(before, after) {
			t.Fatalf("CID %d moved (%v -> %v) although the new hospital does not hold it", i, names(before), names(after))
		}
		if newcomer {
			moved++
			if diff := len(difference(before, after)); diff != 1 {
				t.Fatalf("CID %d: %d holders changed when one hospital joined", i, diff)
			}
		}
		// Suspending hospital 0.
		without := Place(c, hs[1:], factor)
		if !Holds(c, hs, factor, hs[0].Address) {
			if !equal(before, without) {
				t.Fatalf("CID %d moved although the suspended hospital did not hold it", i)
			}
		} else {
			removedMoved++
		}
		// A vault at a new URL.
		relocated := append([]Replica(nil), hs...)
		relocated[2].VaultURL = "https://vault.new-site.example"
		if !equal(before, Place(c, relocated, factor)) {
			t.Fatalf("CID %d moved when a vault changed its URL", i)
		}
	}
	// The newcomer takes its fair share, about factor/7 of the CIDs.
	if share := float64(moved) / n; share < 0.35 || share > 0.5 {
		t.Fatalf("the new hospital holds %.2f of the CIDs, want about %.2f", share, 3.0/7)
	}
	if share := float64(removedMoved) / n; share < 0.42 || share > 0.58 {
		t.Fatalf("the suspended hospital held %.2f of the CIDs, want about %.2f", share, 3.0/6)
	}
}

func difference(a, b []Replica) []string {
	in := map[string]bool{}
	for _, r := range b {
		in[r.Name] = true
	}
	var out []string
	for _, r := range a {
		if !in[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// Load spreads evenly: with 4 hospitals and factor 3 each holds about 3/4.
func TestPlacementSpreadsLoad(t *testing.T) {
	hs := hospitals(4)
	counts := map[string]int{}
	const n = 4000
	for i := range n {
		for _, r := range Place(testCID(i), hs, 3) {
			counts[r.Name]++
		}
	}
	for name, k := range counts {
		if share := float64(k) / n; share < 0.70 || share > 0.80 {
			t.Fatalf("%s holds %.2f of the CIDs, want about 0.75", name, share)
		}
	}
}
