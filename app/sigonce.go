package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
)

// Every transaction's signatures were verified twice: in CheckTx, when the
// node admitted it to its mempool, and again in FinalizeBlock. Verification
// is a pure function of the transaction's bytes, the chain id and each
// signer's account number (for direct and amino-JSON signatures; the
// sequence is in the bytes and is checked apart), so the second time adds
// nothing when those are unchanged. verifiedOnce remembers the transactions
// whose signatures this node verified in CheckTx, and in FinalizeBlock lets
// the SDK's signature check skip them (sdk.Context.WithIsSigverifyTx).
//
// Consensus is unaffected: signature checks consume no gas (the gas for
// signatures is charged by its own decorator, which runs either way), the
// same transaction cannot verify on one node and fail on another, and a
// node that did not see a transaction in CheckTx verifies it as before.
// Only this node's successful checks are remembered, so no peer can place
// an entry. Signatures of other modes (textual, whose bytes depend on
// state, and multisig) are always verified.
type verifiedOnce struct {
	mu    sync.Mutex
	seen  map[[32]byte]struct{}
	order [][32]byte // insertion order, for eviction
	cap   int
}

// verifiedOnceCapacity bounds the memory: twice the default mempool size
// (5,000), 32 bytes an entry.
const verifiedOnceCapacity = 10_000

func newVerifiedOnce(capacity int) *verifiedOnce {
	return &verifiedOnce{seen: make(map[[32]byte]struct{}, capacity), cap: capacity}
}

// accounts is what verifiedOnce reads of the signers' accounts.
type accounts interface {
	GetAccount(ctx context.Context, addr sdk.AccAddress) sdk.AccountI
}

// wrap returns an ante handler that runs next and remembers, or uses, a
// successful CheckTx signature check.
func (v *verifiedOnce) wrap(ak accounts, next sdk.AnteHandler) sdk.AnteHandler {
	return func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		if simulate || len(ctx.TxBytes()) == 0 {
			return next(ctx, tx, simulate)
		}
		switch ctx.ExecMode() {
		case sdk.ExecModeCheck:
			newCtx, err := next(ctx, tx, simulate)
			if err == nil && ctx.IsSigverifyTx() {
				if key, ok := v.key(ctx, ak, tx); ok {
					v.add(key)
				}
			}
			return newCtx, err
		case sdk.ExecModeFinalize:
			if key, ok := v.key(ctx, ak, tx); ok && v.take(key) {
				ctx = ctx.WithIsSigverifyTx(false)
			}
		}
		return next(ctx, tx, simulate)
	}
}

// key names what a signature check depends on: the chain id, the
// transaction's bytes and each signer's account number. It refuses
// transactions with signatures of other modes or signers without an
// account.
func (v *verifiedOnce) key(ctx sdk.Context, ak accounts, tx sdk.Tx) ([32]byte, bool) {
	sigTx, ok := tx.(authsigning.Tx)
	if !ok {
		return [32]byte{}, false
	}
	sigs, err := sigTx.GetSignaturesV2()
	if err != nil || len(sigs) == 0 {
		return [32]byte{}, false
	}
	signers, err := sigTx.GetSigners()
	if err != nil || len(signers) != len(sigs) {
		return [32]byte{}, false
	}
	// Reading accounts must not cost the transaction gas.
	readCtx := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	h := sha256.New()
	h.Write(binary.AppendUvarint(nil, uint64(len(ctx.ChainID()))))
	h.Write([]byte(ctx.ChainID()))
	h.Write(binary.AppendUvarint(nil, uint64(len(ctx.TxBytes()))))
	h.Write(ctx.TxBytes())
	for i, sig := range sigs {
		single, ok := sig.Data.(*signing.SingleSignatureData)
		if !ok || (single.SignMode != signing.SignMode_SIGN_MODE_DIRECT && single.SignMode != signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON) {
			return [32]byte{}, false
		}
		acc := ak.GetAccount(readCtx, signers[i])
		if acc == nil {
			return [32]byte{}, false
		}
		h.Write(binary.BigEndian.AppendUint64(nil, acc.GetAccountNumber()))
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return key, true
}

func (v *verifiedOnce) add(key [32]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.seen[key]; ok {
		return
	}
	if len(v.order) >= v.cap {
		delete(v.seen, v.order[0])
		v.order = v.order[1:]
	}
	v.seen[key] = struct{}{}
	v.order = append(v.order, key)
}

// take reports whether key was verified, and forgets it: a transaction is
// executed once.
func (v *verifiedOnce) take(key [32]byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.seen[key]
	delete(v.seen, key) // its slot in order is reclaimed when it comes round
	return ok
}
