package lightclient

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	storetypes "cosmossdk.io/store/types"
)

// verifyAbsence checks a proof that key is not in store, under appHash.
//
// ics23 cannot do it alone here: its leaf operation refuses empty values,
// and the SDK's collections store empty values for every index and key set
// entry. An absent key whose neighbour in the IAVL tree is such an entry
// (say, the first record grant, next to the grants-by-record index) has a
// perfectly valid non-existence proof that ics23.VerifyNonMembership
// rejects. So the IAVL step is checked here: each neighbour's existence
// proof is hashed up to the store root (an empty value is hashed as IAVL
// hashes it: SHA-256 of nothing), the neighbours must bracket the key and
// be adjacent (ics23's own IsLeftNeighbor / IsLeftMost / IsRightMost), and
// both must reach the same root. The multistore step (store root under the
// app hash) is the SDK's CommitmentOp, unchanged.
func verifyAbsence(proof *cmtcrypto.ProofOps, appHash []byte, store string, key []byte) error {
	_, _, err := absenceNeighbours(proof, appHash, store, key)
	return err
}

// absenceNeighbours is verifyAbsence, returning the neighbours the proof
// brackets key with (nil at an end of the tree).
func absenceNeighbours(proof *cmtcrypto.ProofOps, appHash []byte, store string, key []byte) (left, right *ics23.ExistenceProof, err error) {
	iavlOp, storeOp, err := proofOps(proof, store, key)
	if err != nil {
		return nil, nil, err
	}
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(iavlOp.Data); err != nil {
		return nil, nil, fmt.Errorf("decoding the IAVL proof: %w", err)
	}
	nonexist := ics23.Decompress(&cp).GetNonexist()
	if nonexist == nil {
		return nil, nil, errors.New("the IAVL proof is not a non-existence proof")
	}
	if !bytes.Equal(nonexist.Key, key) {
		return nil, nil, fmt.Errorf("the non-existence proof is for key %X", nonexist.Key)
	}
	spec := ics23.IavlSpec
	var root []byte
	for _, side := range []struct {
		name string
		p    *ics23.ExistenceProof
		ok   func(int) bool
	}{
		{"left", nonexist.Left, func(c int) bool { return c < 0 }},
		{"right", nonexist.Right, func(c int) bool { return c > 0 }},
	} {
		if side.p == nil {
			continue
		}
		r, err := existenceRoot(side.p, spec)
		if err != nil {
			return nil, nil, fmt.Errorf("%s neighbour: %w", side.name, err)
		}
		if root != nil && !bytes.Equal(root, r) {
			return nil, nil, errors.New("the neighbours hash to different roots")
		}
		root = r
		if !side.ok(bytes.Compare(side.p.Key, key)) {
			return nil, nil, fmt.Errorf("the %s neighbour %X does not bracket the key", side.name, side.p.Key)
		}
	}
	switch {
	case nonexist.Left == nil && nonexist.Right == nil:
		return nil, nil, errors.New("the non-existence proof has no neighbours")
	case nonexist.Left == nil:
		if !ics23.IsLeftMost(spec.InnerSpec, nonexist.Right.Path) {
			return nil, nil, errors.New("no left neighbour, yet the right one is not the left-most leaf")
		}
	case nonexist.Right == nil:
		if !ics23.IsRightMost(spec.InnerSpec, nonexist.Left.Path) {
			return nil, nil, errors.New("no right neighbour, yet the left one is not the right-most leaf")
		}
	default:
		if !ics23.IsLeftNeighbor(spec.InnerSpec, nonexist.Left.Path, nonexist.Right.Path) {
			return nil, nil, errors.New("the neighbours are not adjacent leaves")
		}
	}
	if err := storeRootUnder(storeOp, root, appHash); err != nil {
		return nil, nil, err
	}
	return nonexist.Left, nonexist.Right, nil
}

// verifyExistence checks a proof that key is in store under appHash, with
// any value, an empty one included (an index entry), and returns it.
func verifyExistence(proof *cmtcrypto.ProofOps, appHash []byte, store string, key []byte) (*ics23.ExistenceProof, error) {
	iavlOp, storeOp, err := proofOps(proof, store, key)
	if err != nil {
		return nil, err
	}
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(iavlOp.Data); err != nil {
		return nil, fmt.Errorf("decoding the IAVL proof: %w", err)
	}
	exist := ics23.Decompress(&cp).GetExist()
	if exist == nil {
		return nil, errors.New("the IAVL proof is not an existence proof")
	}
	if !bytes.Equal(exist.Key, key) {
		return nil, fmt.Errorf("the existence proof is for key %X", exist.Key)
	}
	root, err := existenceRoot(exist, ics23.IavlSpec)
	if err != nil {
		return nil, err
	}
	if err := storeRootUnder(storeOp, root, appHash); err != nil {
		return nil, err
	}
	return exist, nil
}

// proofOps splits an ABCI proof of key in store into its IAVL and
// multistore operations.
func proofOps(proof *cmtcrypto.ProofOps, store string, key []byte) (iavlOp, storeOp cmtcrypto.ProofOp, err error) {
	if proof == nil || len(proof.Ops) != 2 {
		return iavlOp, storeOp, errors.New("want two proof operations (IAVL, then multistore)")
	}
	iavlOp, storeOp = proof.Ops[0], proof.Ops[1]
	if iavlOp.Type != storetypes.ProofOpIAVLCommitment || storeOp.Type != storetypes.ProofOpSimpleMerkleCommitment {
		return iavlOp, storeOp, fmt.Errorf("unexpected proof operations %s, %s", iavlOp.Type, storeOp.Type)
	}
	if !bytes.Equal(iavlOp.Key, key) || string(storeOp.Key) != store {
		return iavlOp, storeOp, fmt.Errorf("the proof is for %s key %X, not %s key %X", storeOp.Key, iavlOp.Key, store, key)
	}
	return iavlOp, storeOp, nil
}

// storeRootUnder checks the multistore step, which puts the store root
// under the app hash, by the SDK's own operation (CommitmentOp).
func storeRootUnder(storeOp cmtcrypto.ProofOp, root, appHash []byte) error {
	op, err := storetypes.CommitmentOpDecoder(storeOp)
	if err != nil {
		return err
	}
	out, err := op.Run([][]byte{root})
	if err != nil {
		return fmt.Errorf("store root under the app hash: %w", err)
	}
	if len(out) != 1 || !bytes.Equal(out[0], appHash) {
		return errors.New("the store root does not lead to the verified app hash")
	}
	return nil
}

// existenceRoot hashes an IAVL existence proof up to its root. It is
// ics23's ExistenceProof calculation, except that an empty value is hashed
// rather than refused.
func existenceRoot(p *ics23.ExistenceProof, spec *ics23.ProofSpec) ([]byte, error) {
	if err := p.CheckAgainstSpec(spec); err != nil {
		return nil, err
	}
	var (
		h   []byte
		err error
	)
	if len(p.Value) > 0 {
		h, err = p.Leaf.Apply(p.Key, p.Value)
	} else {
		h, err = emptyValueLeaf(p.Leaf, p.Key)
	}
	if err != nil {
		return nil, err
	}
	for _, inner := range p.Path {
		if h, err = inner.Apply(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// emptyValueLeaf is the IAVL leaf hash of key with an empty value:
// SHA-256(prefix ‖ varint(len key) ‖ key ‖ varint(32) ‖ SHA-256("")), the
// IAVL leaf operation of ics23.IavlSpec (checked by CheckAgainstSpec).
func emptyValueLeaf(leaf *ics23.LeafOp, key []byte) ([]byte, error) {
	if leaf.Hash != ics23.HashOp_SHA256 || leaf.PrehashKey != ics23.HashOp_NO_HASH ||
		leaf.PrehashValue != ics23.HashOp_SHA256 || leaf.Length != ics23.LengthOp_VAR_PROTO {
		return nil, errors.New("not an IAVL leaf operation")
	}
	valueHash := sha256.Sum256(nil)
	var buf []byte
	buf = append(buf, leaf.Prefix...)
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	buf = append(buf, key...)
	buf = binary.AppendUvarint(buf, uint64(len(valueHash)))
	buf = append(buf, valueHash[:]...)
	sum := sha256.Sum256(buf)
	return sum[:], nil
}
