package app

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// fakeAccounts holds account numbers by address.
type fakeAccounts map[string]uint64

func (f fakeAccounts) GetAccount(_ context.Context, addr sdk.AccAddress) sdk.AccountI {
	n, ok := f[addr.String()]
	if !ok {
		return nil
	}
	return authtypes.NewBaseAccount(addr, nil, n, 0)
}

// signedSend is a bank send from a fresh key with a (fake) signature of
// mode, as a decoded tx and its bytes.
func signedSend(t *testing.T, a *MedchainApp, mode signing.SignMode) (sdk.Tx, []byte, sdk.AccAddress) {
	t.Helper()
	key := secp256k1.GenPrivKey()
	from := sdk.AccAddress(key.PubKey().Address())
	b := a.TxConfig().NewTxBuilder()
	require.NoError(t, b.SetMsgs(banktypes.NewMsgSend(from, from, sdk.NewCoins(sdk.NewCoin("umed", sdkmath.NewInt(1))))))
	require.NoError(t, b.SetSignatures(signing.SignatureV2{
		PubKey: key.PubKey(), Data: &signing.SingleSignatureData{SignMode: mode, Signature: []byte("sig")},
	}))
	bz, err := a.TxConfig().TxEncoder()(b.GetTx())
	require.NoError(t, err)
	tx, err := a.TxConfig().TxDecoder()(bz)
	require.NoError(t, err)
	return tx, bz, from
}

// TestVerifiedOnce: a transaction whose signatures passed this node's
// CheckTx is not verified again when the block executes it, once; any
// change to what a signature check depends on (chain id, account number),
// a failed or re-checked or simulated CheckTx, or a textual signature
// leaves the check on.
func TestVerifiedOnce(t *testing.T) {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	tx, bz, from := signedSend(t, a, signing.SignMode_SIGN_MODE_DIRECT)
	accs := fakeAccounts{from.String(): 7}
	ctx := func(mode sdk.ExecMode) sdk.Context {
		return sdk.Context{}.WithExecMode(mode).WithTxBytes(bz).WithChainID("medchain-1").WithIsSigverifyTx(true)
	}
	var verified []bool // IsSigverifyTx of every call that reached the ante chain
	var failNext error
	next := func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) {
		verified = append(verified, c.IsSigverifyTx())
		err := failNext
		failNext = nil
		return c, err
	}
	v := newVerifiedOnce(4)
	h := v.wrap(accs, next)
	run := func(c sdk.Context, tx sdk.Tx, simulate bool) bool {
		t.Helper()
		verified = nil
		_, _ = h(c, tx, simulate)
		require.Len(t, verified, 1)
		return verified[0]
	}

	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "never seen: verified")
	require.True(t, run(ctx(sdk.ExecModeCheck), tx, false), "CheckTx verifies")
	require.False(t, run(ctx(sdk.ExecModeFinalize), tx, false), "seen in CheckTx: not again")
	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "once only")

	run(ctx(sdk.ExecModeCheck), tx, false)
	require.True(t, run(ctx(sdk.ExecModeFinalize).WithChainID("other-1"), tx, false), "another chain id")
	accs[from.String()] = 8
	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "another account number")
	accs[from.String()] = 7
	require.False(t, run(ctx(sdk.ExecModeFinalize), tx, false), "what CheckTx saw, unchanged")

	failNext = errors.New("signature verification failed")
	run(ctx(sdk.ExecModeCheck), tx, false)
	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "a failed CheckTx is not remembered")
	run(ctx(sdk.ExecModeReCheck), tx, false)
	run(ctx(sdk.ExecModeCheck), tx, true)
	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "re-checks and simulations are not remembered")

	textual, tbz, tfrom := signedSend(t, a, signing.SignMode_SIGN_MODE_TEXTUAL)
	accs[tfrom.String()] = 9
	tctx := func(mode sdk.ExecMode) sdk.Context { return ctx(mode).WithTxBytes(tbz) }
	run(tctx(sdk.ExecModeCheck), textual, false)
	require.True(t, run(tctx(sdk.ExecModeFinalize), textual, false), "textual sign bytes depend on state: always verified")

	// Bounded: the oldest entries go first.
	for i := range 5 {
		other, obz, ofrom := signedSend(t, a, signing.SignMode_SIGN_MODE_DIRECT)
		accs[ofrom.String()] = uint64(100 + i)
		if i == 0 {
			tx, bz = other, obz
		}
		run(ctx(sdk.ExecModeCheck).WithTxBytes(obz), other, false)
	}
	require.True(t, run(ctx(sdk.ExecModeFinalize), tx, false), "evicted after capacity newer entries")
	require.LessOrEqual(t, len(v.seen), 4)
}
