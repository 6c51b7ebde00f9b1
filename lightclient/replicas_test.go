package lightclient

import (
	"sort"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/stretchr/testify/require"

	storetypes "cosmossdk.io/store/types"

	"github.com/medchain/medchain/testutil/keepers"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
)

// A range of keys is proven complete, and each way a node could leave a
// key out of it, or slip one in, is refused.
func TestVerifyRange(t *testing.T) {
	// Index entries (empty values) under \x02\x01 and around it, as the
	// issuers' (status, kind) index holds them.
	p := newProvenStore(t, map[string]map[string][]byte{
		"issuers": {
			"\x01issuer-a":     []byte("entry a"),
			"\x02\x00before-1": {},
			"\x02\x01hosp-a":   {},
			"\x02\x01hosp-b":   {},
			"\x02\x01hosp-c":   {},
			"\x02\x01hosp-d":   {},
			"\x02\x02after-1":  {},
			"\x03kind":         {},
		},
	})
	prefix := []byte("\x02\x01")
	all := [][]byte{[]byte("\x02\x01hosp-a"), []byte("\x02\x01hosp-b"), []byte("\x02\x01hosp-c"), []byte("\x02\x01hosp-d")}
	proofOf := func(k []byte) *cmtcrypto.ProofOps {
		_, proof := p.query("issuers", string(k))
		return proof
	}
	verify := func(pre []byte, keys [][]byte) error {
		proofs := make([]*cmtcrypto.ProofOps, len(keys))
		for i, k := range keys {
			proofs[i] = proofOf(k)
		}
		return VerifyRange(p.at, "issuers", pre, keys, proofOf(pre), proofs, proofOf(storetypes.PrefixEndBytes(pre)))
	}
	without := func(i int) [][]byte {
		return append(append([][]byte{}, all[:i]...), all[i+1:]...)
	}

	require.NoError(t, verify(prefix, all), "the whole range")

	// The store's subspace answer, as a node gives it, lists the range.
	res, err := p.rs.Query(&storetypes.RequestQuery{Path: "/issuers/subspace", Data: prefix, Height: p.ver})
	require.NoError(t, err)
	listed, err := subspaceKeys(res.Value)
	require.NoError(t, err)
	require.Equal(t, all, listed)
	require.NoError(t, verify([]byte("\x02\x05"), nil), "an empty range")
	require.NoError(t, verify([]byte("\x03"), [][]byte{[]byte("\x03kind")}), "a range at the end of the tree")

	require.ErrorContains(t, verify(prefix, without(0)), "first key")
	require.ErrorContains(t, verify(prefix, without(1)), "not adjacent")
	require.ErrorContains(t, verify(prefix, without(2)), "not adjacent")
	require.ErrorContains(t, verify(prefix, without(3)), "left out")
	require.ErrorContains(t, verify(prefix, nil), "in the range", "a range said to be empty")
	forged := append(append([][]byte{}, all[:2]...), append([][]byte{[]byte("\x02\x01hosp-bb")}, all[2:]...)...)
	require.ErrorContains(t, verify(prefix, forged), "not an existence proof", "a key slipped in")
	require.ErrorContains(t, verify(prefix, [][]byte{all[1], all[0], all[2], all[3]}), "not in order")
	require.ErrorContains(t, verify(prefix, append(all, []byte("\x02\x02after-1"))), "not under the prefix")

	// Proofs that do not belong: the end's proof given for the start, a
	// key's proof for another key, a state the header does not commit to.
	proofs := []*cmtcrypto.ProofOps{proofOf(all[0]), proofOf(all[1]), proofOf(all[2]), proofOf(all[3])}
	require.Error(t, VerifyRange(p.at, "issuers", prefix, all, proofOf(storetypes.PrefixEndBytes(prefix)), proofs, proofOf(storetypes.PrefixEndBytes(prefix))))
	swapped := []*cmtcrypto.ProofOps{proofOf(all[0]), proofOf(all[2]), proofOf(all[1]), proofOf(all[3])}
	require.Error(t, VerifyRange(p.at, "issuers", prefix, all, proofOf(prefix), swapped, proofOf(storetypes.PrefixEndBytes(prefix))))
	other := newProvenStore(t, map[string]map[string][]byte{"issuers": {"\x02\x01hosp-a": {}}})
	_, fake := other.query("issuers", string(prefix))
	require.Error(t, VerifyRange(p.at, "issuers", prefix, all, fake, proofs, proofOf(storetypes.PrefixEndBytes(prefix))))
}

// The range ReplicasAt proves is where x/issuers' keeper keeps its ACTIVE
// hospitals: read back from the real keeper's store, the range holds
// exactly them, and each key decodes to its address.
func TestActiveHospitalsRangeIsTheKeepers(t *testing.T) {
	c := keepers.New(t)
	prefix, err := activeHospitalsPrefix()
	require.NoError(t, err)
	store := c.Ctx.KVStore(c.Stores[0])
	require.Equal(t, issuerstypes.StoreKey, c.Stores[0].Name())
	it := storetypes.KVStorePrefixIterator(store, prefix)
	defer it.Close()
	var got []string
	for ; it.Valid(); it.Next() {
		addr, err := indexedIssuer(it.Key(), prefix)
		require.NoError(t, err)
		s, err := c.AddressCodec.BytesToString(addr)
		require.NoError(t, err)
		got = append(got, s)
	}
	// Not the clinic, not the suspended hospital; the receipt vault is an
	// ACTIVE hospital of the fixture too.
	want := []string{c.Hospital, c.HospitalB, c.ReceiptVault.Address}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, want, got)
}
