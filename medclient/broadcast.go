package medclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/input"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

// Tx is a transaction the client is about to send: the factory built from
// the command's flags, prepared (account number and sequence known) and,
// after Preflight, with its gas set.
type Tx struct {
	clientCtx client.Context
	txf       tx.Factory
}

// NewTx prepares a transaction from txf (account number and sequence are
// looked up). cliflags.TxFactory builds txf from a command's tx flags.
func NewTx(clientCtx client.Context, txf tx.Factory) (*Tx, error) {
	if clientCtx.GenerateOnly || clientCtx.Offline {
		return nil, errors.New("this command uploads or downloads a payload and needs the chain: --generate-only and --offline are not supported")
	}
	txf, err := txf.Prepare(clientCtx)
	if err != nil {
		return nil, err
	}
	return &Tx{clientCtx: clientCtx, txf: txf}, nil
}

// Preflight simulates msgs: a message the chain would refuse (no WRITE
// permission, a missing wrap, a redacted record) is reported here, before
// any payload is encrypted or uploaded. With --gas auto it also sets the
// gas from the simulation, so pass messages shaped like the real ones.
func (t *Tx) Preflight(msgs ...sdk.Msg) error {
	_, adjusted, err := tx.CalculateGas(t.clientCtx, t.txf, msgs...)
	if err != nil {
		return fmt.Errorf("the chain would refuse this transaction: %s", SimulationReason(err))
	}
	if t.txf.SimulateAndExecute() {
		t.txf = t.txf.WithGas(adjusted)
	}
	return nil
}

// Confirm asks on the terminal unless --yes was given.
func (t *Tx) Confirm(summary string) (bool, error) {
	if t.clientCtx.SkipConfirm {
		return true, nil
	}
	return input.GetConfirmation(summary, bufio.NewReader(os.Stdin), os.Stderr)
}

// ErrTxFailed is returned for a transaction the chain refused or that
// failed in its block.
var ErrTxFailed = errors.New("transaction failed")

// Broadcast signs msgs with the factory's key and broadcasts them, without
// waiting for a block. A transaction refused at CheckTx is an error
// matching ErrTxFailed with the chain's log.
func (t *Tx) Broadcast(ctx context.Context, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	for _, m := range msgs {
		if v, ok := m.(sdk.HasValidateBasic); ok {
			if err := v.ValidateBasic(); err != nil {
				return nil, err
			}
		}
	}
	unsigned, err := t.txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, err
	}
	if err := tx.Sign(ctx, t.txf, t.clientCtx.FromName, unsigned, true); err != nil {
		return nil, err
	}
	txBytes, err := t.clientCtx.TxConfig.TxEncoder()(unsigned.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := t.clientCtx.BroadcastTx(txBytes)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return res, fmt.Errorf("%w: %s", ErrTxFailed, res.RawLog)
	}
	return res, nil
}

// BroadcastAndWait signs msgs with --from, broadcasts them and waits until
// they are in a block (up to timeout), returning the result. A transaction
// refused at CheckTx or failed in its block is an error matching
// ErrTxFailed with the chain's log.
func (t *Tx) BroadcastAndWait(ctx context.Context, timeout time.Duration, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	res, err := t.Broadcast(ctx, msgs...)
	if err != nil {
		return res, err
	}
	deadline := time.Now().Add(timeout)
	for {
		got, err := authtx.QueryTx(t.clientCtx, res.TxHash)
		if err == nil {
			// In a block the sequence is used even if the messages failed.
			t.txf = t.txf.WithSequence(t.txf.Sequence() + 1)
			if got.Code != 0 {
				return got, fmt.Errorf("%w in block %d: %s", ErrTxFailed, got.Height, got.RawLog)
			}
			return got, nil
		}
		if !strings.Contains(err.Error(), "not found") || time.Now().After(deadline) {
			return res, fmt.Errorf("transaction %s was sent but is not in a block after %s: %w", res.TxHash, timeout, err)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// simNoise matches what gRPC and baseapp put around a message's own error
// in a failed simulation.
var (
	simPrefix = regexp.MustCompile(`^(rpc error: code = \w+ desc = )+(failed to execute message; message index: \d+: )?`)
	simSuffix = regexp.MustCompile(` \[[^\]]*\.go:\d+\]| with gas used: '\d+'|: unknown request$`)
)

// SimulationReason strips the transport and baseapp wrapping from a failed
// simulation, leaving the module's own sentence.
func SimulationReason(err error) string {
	msg := simPrefix.ReplaceAllString(err.Error(), "")
	return strings.TrimSpace(simSuffix.ReplaceAllString(msg, ""))
}
