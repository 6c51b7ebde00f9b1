package lightclient

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/store/rootmulti"
)

// Proof records one proven store key of an answer.
type Proof struct {
	Store  string `json:"store"`
	Key    string `json:"key"` // hex
	Exists bool   `json:"exists"`
}

// At is a verified point of the chain: the state after block Height,
// committed to by the app hash of the verified header at Height + 1.
type At struct {
	Height int64                // the state's height (what is queried)
	Header *cmttypes.LightBlock // the verified header at Height + 1
}

// LyingNodeError says which node gave an answer its proof does not back.
type LyingNodeError struct {
	Node   string
	Store  string
	Key    []byte
	Reason string
	// Witness is a witness whose answer to the same question verified
	// (empty when none did).
	Witness string
}

func (e *LyingNodeError) Error() string {
	msg := fmt.Sprintf("node %s gave an answer for %s key %X that the verified app hash does not back (%s): it is lying or broken",
		e.Node, e.Store, e.Key, e.Reason)
	if e.Witness != "" {
		msg += fmt.Sprintf("; witness %s answered the same question with a valid proof", e.Witness)
	}
	return msg
}

// Latest syncs to the latest header, refuses it if it is stale (Fresh),
// and returns the state it commits to.
func (c *Client) Latest(ctx context.Context) (At, error) {
	lb, err := c.Fresh(ctx)
	if err != nil {
		return At{}, err
	}
	if lb.Height < 2 {
		return At{}, fmt.Errorf("the chain is at height %d; a proven query needs height 2 or more", lb.Height)
	}
	return At{Height: lb.Height - 1, Header: lb}, nil
}

// Get returns the value of key in store at at (nil when absent), checked
// against the verified app hash. A primary whose answer fails the check is
// named, after the witnesses were asked the same question.
func (c *Client) Get(ctx context.Context, at At, store string, key []byte) ([]byte, error) {
	value, err := proveFrom(ctx, c.primary, at, store, key)
	if err == nil {
		return value, nil
	}
	lie := &LyingNodeError{Node: c.cfg.Primary, Store: store, Key: key, Reason: err.Error()}
	for addr, w := range c.witnesses {
		if _, werr := proveFrom(ctx, w, at, store, key); werr == nil {
			lie.Witness = addr
			break
		}
	}
	return nil, lie
}

// batchGet asks the primary for several keys in one JSON-RPC batch and
// verifies each answer; errs[i] is set for an answer that did not verify.
func (c *Client) batchGet(ctx context.Context, at At, keys []storeKey) (values [][]byte, errs []error) {
	values, errs = make([][]byte, len(keys)), make([]error, len(keys))
	if len(keys) == 0 {
		return values, errs
	}
	batch := c.primary.NewBatch()
	for _, k := range keys {
		if _, err := batch.ABCIQueryWithOptions(ctx, "/store/"+k.store+"/key", k.key,
			rpcclient.ABCIQueryOptions{Height: at.Height, Prove: true}); err != nil {
			for i := range errs {
				errs[i] = err
			}
			return values, errs
		}
	}
	results, err := batch.Send(ctx)
	for i, k := range keys {
		switch {
		case err != nil:
			errs[i] = err
		case i >= len(results):
			errs[i] = fmt.Errorf("no answer in the batch")
		default:
			res, ok := results[i].(*coretypes.ResultABCIQuery)
			if !ok || !res.Response.IsOK() {
				errs[i] = fmt.Errorf("query failed")
				continue
			}
			values[i], errs[i] = VerifyAnswer(at, k.store, k.key, res.Response.Value, res.Response.Height, res.Response.ProofOps)
		}
	}
	return values, errs
}

// proveFrom asks one node for key at at and verifies the proof.
func proveFrom(ctx context.Context, node *rpchttp.HTTP, at At, store string, key []byte) ([]byte, error) {
	value, height, proof, err := abciQuery(ctx, node, "/store/"+store+"/key", key, at.Height)
	if err != nil {
		return nil, err
	}
	return VerifyAnswer(at, store, key, value, height, proof)
}

// VerifyAnswer checks one node's answer for key against the verified app
// hash: the height asked, and the proof of the value or of its absence. It
// returns the value, nil for a proven absence.
func VerifyAnswer(at At, store string, key, value []byte, height int64, proof *cmtcrypto.ProofOps) ([]byte, error) {
	if height != at.Height {
		return nil, fmt.Errorf("it answered for height %d, not the verified height %d", height, at.Height)
	}
	if proof == nil || len(proof.Ops) == 0 {
		return nil, fmt.Errorf("it sent no proof")
	}
	keypath := merkle.KeyPath{}.
		AppendKey([]byte(store), merkle.KeyEncodingURL).
		AppendKey(key, merkle.KeyEncodingHex).String()
	root := at.Header.AppHash
	prt := rootmulti.DefaultProofRuntime()
	if len(value) == 0 {
		if err := verifyAbsence(proof, root, store, key); err != nil {
			return nil, fmt.Errorf("its proof of absence does not verify: %s", printable(err.Error()))
		}
		return nil, nil
	}
	if err := prt.VerifyValue(proof, root, keypath, value); err != nil {
		return nil, fmt.Errorf("its proof of the value does not verify: %s", printable(err.Error()))
	}
	return value, nil
}

func hexKey(k []byte) string { return strings.ToUpper(hex.EncodeToString(k)) }

// printable replaces what a terminal cannot show (the store's errors quote
// binary keys) with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
