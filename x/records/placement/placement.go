// Package placement decides which hospitals' vaults hold a record's
// payload. Every vault and every client computes it the same way from
// chain state alone — the ACTIVE hospitals that registered a vault URL and
// the replication factor, both on chain — so no coordination is needed:
// the chain is the agreed pinset and this is the agreed placement.
//
// It is rendezvous (highest-random-weight) hashing: each hospital scores
// each CID with SHA-256(CID bytes || hospital address bytes), and a CID
// lives on the factor highest scorers. A hospital admitted or suspended
// changes only the placements it enters or leaves; a hospital whose vault
// moves keeps its CIDs, because the score depends on the address, never
// the URL.
package placement

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"sort"

	"github.com/ipfs/go-cid"
)

// Replica is a hospital whose vault can hold payloads.
type Replica struct {
	// Address is the hospital's account address, in bytes: its identity
	// in the placement.
	Address []byte
	// Name is the hospital's bech32 address, for display.
	Name string
	// VaultURL is where its vault answers (http(s)://host[:port]).
	VaultURL string
}

// Score is replica's weight for c: the first eight bytes of
// SHA-256(c's bytes || address), big-endian.
func Score(c cid.Cid, address []byte) uint64 {
	h := sha256.New()
	h.Write(c.Bytes())
	h.Write(address)
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// Place returns the replicas that hold c, highest score first: the factor
// best-scoring of replicas (all of them if there are fewer). Ties, which
// need a 64-bit collision, fall to the lower address. replicas is not
// modified; its order does not matter.
func Place(c cid.Cid, replicas []Replica, factor int) []Replica {
	if factor <= 0 {
		return nil
	}
	type scored struct {
		r Replica
		s uint64
	}
	all := make([]scored, len(replicas))
	for i, r := range replicas {
		all[i] = scored{r, Score(c, r.Address)}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].s != all[j].s {
			return all[i].s > all[j].s
		}
		return bytes.Compare(all[i].r.Address, all[j].r.Address) < 0
	})
	out := make([]Replica, 0, min(factor, len(all)))
	for _, s := range all[:min(factor, len(all))] {
		out = append(out, s.r)
	}
	return out
}

// Holds reports whether address is among the replicas placed for c.
func Holds(c cid.Cid, replicas []Replica, factor int, address []byte) bool {
	for _, r := range Place(c, replicas, factor) {
		if bytes.Equal(r.Address, address) {
			return true
		}
	}
	return false
}
