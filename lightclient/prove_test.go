package lightclient

import (
	"testing"

	"cosmossdk.io/log"
	"cosmossdk.io/store/metrics"
	"cosmossdk.io/store/rootmulti"
	storetypes "cosmossdk.io/store/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// provenStore is a real multistore of IAVL trees, committed once, as a
// node holds state: the proofs it gives are the proofs a node's ABCI query
// gives.
type provenStore struct {
	t   *testing.T
	rs  *rootmulti.Store
	at  At
	ver int64
}

func newProvenStore(t *testing.T, contents map[string]map[string][]byte) *provenStore {
	t.Helper()
	rs := rootmulti.NewStore(dbm.NewMemDB(), log.NewNopLogger(), metrics.NewNoOpMetrics())
	keys := map[string]*storetypes.KVStoreKey{}
	for name := range contents {
		keys[name] = storetypes.NewKVStoreKey(name)
		rs.MountStoreWithDB(keys[name], storetypes.StoreTypeIAVL, nil)
	}
	require.NoError(t, rs.LoadLatestVersion())
	for name, kv := range contents {
		s := rs.GetKVStore(keys[name])
		for k, v := range kv {
			s.Set([]byte(k), v)
		}
	}
	id := rs.Commit()
	header := &cmttypes.Header{Height: id.Version + 1, AppHash: id.Hash}
	return &provenStore{t: t, rs: rs, ver: id.Version,
		at: At{Height: id.Version, Header: &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: header}}}}
}

// query asks the store for key with a proof, as a node answers abci_query.
func (p *provenStore) query(store, key string) ([]byte, *cmtcrypto.ProofOps) {
	p.t.Helper()
	res, err := p.rs.Query(&storetypes.RequestQuery{Path: "/" + store + "/key", Data: []byte(key), Height: p.ver, Prove: true})
	require.NoError(p.t, err)
	return res.Value, res.ProofOps
}

// The light client accepts what the state proves, present or absent, and
// refuses each way a node could lie about it.
func TestVerifyAnswer(t *testing.T) {
	// Index and key-set entries have empty values (collections writes
	// them): they sit next to absent keys, as a real grant store does.
	p := newProvenStore(t, map[string]map[string][]byte{
		"access": {
			"\x07grant-a": []byte("entry a"),
			"\x07grant-c": []byte("entry c"),
			"\x0aindex-1": {},
			"\x0aindex-3": {},
		},
		"records": {"\x01record-1": []byte("record one")},
	})
	ok := func(store, key string) ([]byte, *cmtcrypto.ProofOps) { return p.query(store, key) }

	t.Run("a present value", func(t *testing.T) {
		v, proof := ok("access", "\x07grant-a")
		got, err := VerifyAnswer(p.at, "access", []byte("\x07grant-a"), v, p.at.Height, proof)
		require.NoError(t, err)
		require.Equal(t, []byte("entry a"), got)
	})
	for name, key := range map[string]string{
		"an absent key between two values":                 "\x07grant-b",
		"an absent key whose neighbours have empty values": "\x0aindex-2",
		"an absent key before everything":                  "\x00",
		"an absent key after everything":                   "\xff",
	} {
		t.Run(name, func(t *testing.T) {
			v, proof := ok("access", key)
			require.Empty(t, v)
			got, err := VerifyAnswer(p.at, "access", []byte(key), nil, p.at.Height, proof)
			require.NoError(t, err)
			require.Nil(t, got)
		})
	}

	// Lies.
	v, proof := ok("access", "\x07grant-a")
	_, absentProof := ok("access", "\x07grant-b")
	_, otherStoreProof := ok("records", "\x01record-1")
	for name, lie := range map[string]func() ([]byte, error){
		"another value for a present key": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), []byte("entry X"), p.at.Height, proof)
		},
		"a present key claimed absent": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), nil, p.at.Height, proof)
		},
		"a present key claimed absent with a neighbour's absence proof": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), nil, p.at.Height, absentProof)
		},
		"an absent key given a value": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-b"), []byte("entry b"), p.at.Height, absentProof)
		},
		"the proof of another key": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-c"), v, p.at.Height, proof)
		},
		"the proof of another store": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x01record-1"), []byte("record one"), p.at.Height, otherStoreProof)
		},
		"another height": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), v, p.at.Height-1, proof)
		},
		"no proof": func() ([]byte, error) {
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), v, p.at.Height, nil)
		},
		"a tampered proof": func() ([]byte, error) {
			bad := *proof
			bad.Ops = append([]cmtcrypto.ProofOp(nil), proof.Ops...)
			data := append([]byte(nil), bad.Ops[0].Data...)
			data[len(data)-1] ^= 1
			bad.Ops[0].Data = data
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), v, p.at.Height, &bad)
		},
		"a state the verified header does not commit to": func() ([]byte, error) {
			other := newProvenStore(t, map[string]map[string][]byte{"access": {"\x07grant-a": []byte("entry X")}, "records": {}})
			fv, fproof := other.query("access", "\x07grant-a")
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), fv, p.at.Height, fproof)
		},
		"a forged absence from another state": func() ([]byte, error) {
			other := newProvenStore(t, map[string]map[string][]byte{"access": {"\x07grant-c": []byte("entry c")}, "records": {}})
			_, fproof := other.query("access", "\x07grant-a")
			return VerifyAnswer(p.at, "access", []byte("\x07grant-a"), nil, p.at.Height, fproof)
		},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			_, err := lie()
			require.Error(t, err)
		})
	}
}
