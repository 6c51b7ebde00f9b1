package lightclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/cosmos/gogoproto/proto"
	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/encoding/protowire"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/placement"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// ReplicasAt proves, at a verified point, what the placement of payloads
// is computed from: the hospitals whose vaults hold replicas (ACTIVE
// hospitals with a vault URL, in address order, as x/records' Vaults
// query lists them) and the replication factor.
//
// A list is only as good as its completeness: a node that left out a
// hospital would move payloads onto the ones after it. So the ACTIVE
// hospitals are read from x/issuers' (status, kind) index as a range whose
// completeness is proven: every key in it proven present, consecutive keys
// proven adjacent leaves of the IAVL tree, and the keys just before and
// just after the range proven absent with the range's first and last keys
// as their neighbours. Each hospital's issuer entry (status, kind, vault
// URL) and the records params are then proven one by one.
func (c *Client) ReplicasAt(ctx context.Context, at At) ([]placement.Replica, int, error) {
	c.replicasMu.Lock()
	if c.replicasHeight == at.Height && at.Height != 0 {
		defer c.replicasMu.Unlock()
		return c.replicas, c.replicaFactor, nil
	}
	c.replicasMu.Unlock()
	replicas, factor, err := c.replicasAt(ctx, at)
	if err != nil {
		return nil, 0, err
	}
	c.replicasMu.Lock()
	c.replicasHeight, c.replicas, c.replicaFactor = at.Height, replicas, factor
	c.replicasMu.Unlock()
	return replicas, factor, nil
}

func (c *Client) replicasAt(ctx context.Context, at At) ([]placement.Replica, int, error) {
	var params recordstypes.Params
	bz, err := c.Get(ctx, at, recordstypes.StoreKey, recordstypes.ParamsKey.Bytes())
	if err != nil {
		return nil, 0, err
	}
	if bz == nil {
		return nil, 0, errors.New("x/records has no params in the proven state")
	}
	if err := proto.Unmarshal(bz, &params); err != nil {
		return nil, 0, fmt.Errorf("decoding the proven records params: %w", err)
	}
	prefix, err := activeHospitalsPrefix()
	if err != nil {
		return nil, 0, err
	}
	keys, err := c.RangeAt(ctx, at, issuerstypes.StoreKey, prefix)
	if err != nil {
		return nil, 0, err
	}
	var out []placement.Replica
	for _, k := range keys {
		addr, err := indexedIssuer(k, prefix)
		if err != nil {
			return nil, 0, err
		}
		issuer, found, err := c.IssuerAt(ctx, at, addr)
		if err != nil {
			return nil, 0, err
		}
		if !found {
			return nil, 0, fmt.Errorf("issuer %s is in the proven status index but has no proven entry", addr)
		}
		if issuer.Status != issuerstypes.IssuerStatusActive || issuer.Kind != issuerstypes.IssuerKindHospital || issuer.VaultUrl == "" {
			continue
		}
		out = append(out, placement.Replica{Address: addr, Name: issuer.Address, VaultURL: issuer.VaultUrl})
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Address, out[j].Address) < 0 })
	return out, int(params.ReplicationFactor), nil
}

// activeHospitalsPrefix is the range of x/issuers' (status, kind) index
// that holds the ACTIVE hospitals.
func activeHospitalsPrefix() ([]byte, error) {
	kc := collections.PairKeyCodec(collections.Int32Key, collections.Int32Key)
	ref := collections.Join(int32(issuerstypes.IssuerStatusActive), int32(issuerstypes.IssuerKindHospital))
	buf := make([]byte, kc.SizeNonTerminal(ref))
	if _, err := kc.EncodeNonTerminal(buf, ref); err != nil {
		return nil, err
	}
	return append(issuerstypes.IssuersByStatusKey.Bytes(), buf...), nil
}

// indexedIssuer decodes the issuer's address from a key of the range.
func indexedIssuer(key, prefix []byte) (sdk.AccAddress, error) {
	kc := collections.PairKeyCodec(collections.PairKeyCodec(collections.Int32Key, collections.Int32Key), sdk.AccAddressKey)
	n, k, err := kc.Decode(key[len(issuerstypes.IssuersByStatusKey.Bytes()):])
	if err != nil || n != len(key)-len(issuerstypes.IssuersByStatusKey.Bytes()) || !bytes.HasPrefix(key, prefix) {
		return nil, fmt.Errorf("status index key %X does not decode: %v", key, err)
	}
	return k.K2(), nil
}

// RangeAt returns every key of store under prefix at a verified point,
// its completeness proven (see ReplicasAt). A primary whose answer does
// not verify is named, after the witnesses were asked the same question.
func (c *Client) RangeAt(ctx context.Context, at At, store string, prefix []byte) ([][]byte, error) {
	keys, err := rangeFrom(ctx, c.primary, at, store, prefix)
	if err == nil {
		return keys, nil
	}
	lie := &LyingNodeError{Node: c.cfg.Primary, Store: store, Key: prefix, Reason: err.Error()}
	for addr, w := range c.witnesses {
		if _, werr := rangeFrom(ctx, w, at, store, prefix); werr == nil {
			lie.Witness = addr
			break
		}
	}
	return nil, lie
}

// maxRangeKeys bounds a proven range (hospitals are tens, not thousands).
const maxRangeKeys = 1000

// rangeFrom asks node for the keys under prefix (the store's subspace
// query, unproven) and then, in one batch, for the proofs that make the
// list complete; it verifies them (VerifyRange).
func rangeFrom(ctx context.Context, node *rpchttp.HTTP, at At, store string, prefix []byte) ([][]byte, error) {
	res, err := node.ABCIQueryWithOptions(ctx, "/store/"+store+"/subspace", prefix, rpcclient.ABCIQueryOptions{Height: at.Height})
	if err != nil {
		return nil, err
	}
	if !res.Response.IsOK() {
		return nil, fmt.Errorf("subspace query failed: code %d: %s", res.Response.Code, res.Response.Log)
	}
	if res.Response.Height != at.Height {
		return nil, fmt.Errorf("it listed the keys at height %d, not the verified height %d", res.Response.Height, at.Height)
	}
	keys, err := subspaceKeys(res.Response.Value)
	if err != nil {
		return nil, fmt.Errorf("decoding the keys it listed: %w", err)
	}
	end := storetypes.PrefixEndBytes(prefix)
	asked := append([][]byte{prefix}, keys...)
	if end != nil {
		asked = append(asked, end)
	}
	batch := node.NewBatch()
	for _, k := range asked {
		if _, err := batch.ABCIQueryWithOptions(ctx, "/store/"+store+"/key", k, rpcclient.ABCIQueryOptions{Height: at.Height, Prove: true}); err != nil {
			return nil, err
		}
	}
	results, err := batch.Send(ctx)
	if err != nil {
		return nil, err
	}
	if len(results) != len(asked) {
		return nil, fmt.Errorf("%d answers to %d questions", len(results), len(asked))
	}
	proofs := make([]*cmtcrypto.ProofOps, len(results))
	for i, r := range results {
		q, ok := r.(*coretypes.ResultABCIQuery)
		if !ok || !q.Response.IsOK() {
			return nil, fmt.Errorf("the proof of key %X failed", asked[i])
		}
		if q.Response.Height != at.Height {
			return nil, fmt.Errorf("it proved key %X at height %d, not the verified height %d", asked[i], q.Response.Height, at.Height)
		}
		proofs[i] = q.Response.ProofOps
	}
	var endProof *cmtcrypto.ProofOps
	if end != nil {
		endProof = proofs[len(proofs)-1]
		proofs = proofs[:len(proofs)-1]
	}
	return keys, VerifyRange(at, store, prefix, keys, proofs[0], proofs[1:], endProof)
}

// subspaceKeys decodes the keys of the store's answer to a subspace query:
// the message Pairs { repeated Pair pairs = 1; } with Pair { bytes key =
// 1; bytes value = 2; } (the store's internal kv package, which cannot be
// imported).
func subspaceKeys(bz []byte) ([][]byte, error) {
	var keys [][]byte
	for len(bz) > 0 {
		num, typ, n := protowire.ConsumeTag(bz)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		bz = bz[n:]
		if num != 1 || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, bz)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			bz = bz[n:]
			continue
		}
		pair, n := protowire.ConsumeBytes(bz)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		bz = bz[n:]
		var key []byte
		for len(pair) > 0 {
			fnum, ftyp, m := protowire.ConsumeTag(pair)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			pair = pair[m:]
			if fnum == 1 && ftyp == protowire.BytesType {
				v, m := protowire.ConsumeBytes(pair)
				if m < 0 {
					return nil, protowire.ParseError(m)
				}
				key, pair = append([]byte(nil), v...), pair[m:]
				continue
			}
			m = protowire.ConsumeFieldValue(fnum, ftyp, pair)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			pair = pair[m:]
		}
		if len(keys) == maxRangeKeys {
			return nil, fmt.Errorf("more than %d keys; a proven range holds at most %d", maxRangeKeys, maxRangeKeys)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// VerifyRange checks that keys are all the keys of store under prefix, in
// the state the verified header at commits to: start proves prefix itself
// absent, with keys[0] (or, for no keys, a key past the range, or nothing)
// as its right neighbour; each of proofs proves its key present; each two
// consecutive keys are adjacent leaves; and end proves the key just past
// the range (storetypes.PrefixEndBytes(prefix)) absent with the last key
// as its left neighbour (end is nil only when the range runs to the end of
// the key space; then the last key must be the right-most leaf).
func VerifyRange(at At, store string, prefix []byte, keys [][]byte, start *cmtcrypto.ProofOps, proofs []*cmtcrypto.ProofOps, end *cmtcrypto.ProofOps) error {
	appHash := at.Header.AppHash
	spec := ics23.IavlSpec
	if len(proofs) != len(keys) {
		return fmt.Errorf("%d proofs for %d keys", len(proofs), len(keys))
	}
	for i, k := range keys {
		if !bytes.HasPrefix(k, prefix) || len(k) == len(prefix) {
			return fmt.Errorf("key %X is not under the prefix %X", k, prefix)
		}
		if i > 0 && bytes.Compare(keys[i-1], k) >= 0 {
			return fmt.Errorf("the keys are not in order at %X", k)
		}
	}
	_, first, err := absenceNeighbours(start, appHash, store, prefix)
	if err != nil {
		return fmt.Errorf("the proof that the range starts there: %w", err)
	}
	if len(keys) == 0 {
		if first != nil && bytes.HasPrefix(first.Key, prefix) {
			return fmt.Errorf("it listed no key, yet %X is in the range", first.Key)
		}
		return nil
	}
	if first == nil || !bytes.Equal(first.Key, keys[0]) {
		return fmt.Errorf("the range's first key is not %X", keys[0])
	}
	var prev *ics23.ExistenceProof
	for i, k := range keys {
		p, err := verifyExistence(proofs[i], appHash, store, k)
		if err != nil {
			return fmt.Errorf("key %X: %w", k, err)
		}
		if prev != nil && !ics23.IsLeftNeighbor(spec.InnerSpec, prev.Path, p.Path) {
			return fmt.Errorf("keys %X and %X are not adjacent: a key between them was left out", prev.Key, k)
		}
		prev = p
	}
	if end == nil {
		if !ics23.IsRightMost(spec.InnerSpec, prev.Path) {
			return fmt.Errorf("a key after %X was left out", prev.Key)
		}
		return nil
	}
	last, _, err := absenceNeighbours(end, appHash, store, storetypes.PrefixEndBytes(prefix))
	if err != nil {
		return fmt.Errorf("the proof that the range ends there: %w", err)
	}
	if last == nil || !bytes.Equal(last.Key, prev.Key) {
		return fmt.Errorf("a key after %X was left out", prev.Key)
	}
	return nil
}
