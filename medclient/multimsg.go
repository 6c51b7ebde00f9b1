package medclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"

	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// An emergency policy and a key recovery carry one wrap per record, and a
// message carries at most params max_wraps_per_msg of them: a patient
// with more records sets the policy with MsgSetEmergencyPolicy followed by
// MsgAddEmergencyWraps, and a recovery moves the records with several
// MsgCompleteRecovery, each continuing from the cursor the chain keeps.
// The functions here cut the work into those messages, and SendInOrder
// packs them into as few transactions as the block's gas and a
// transaction's size allow.

// MaxWrapsPerMsg is the chain's params max_wraps_per_msg.
func MaxWrapsPerMsg(ctx context.Context, clientCtx client.Context) (int, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).Params(ctx, &accesstypes.QueryParamsRequest{})
	if err != nil {
		return 0, fmt.Errorf("reading the access params: %w", err)
	}
	if resp.Params.MaxWrapsPerMsg == 0 {
		return 0, errors.New("the chain's max_wraps_per_msg is 0")
	}
	return int(resp.Params.MaxWrapsPerMsg), nil
}

// SplitEmergencyPolicy cuts msg, a policy carrying the wraps of every
// record in record-id order, into the policy with the first maxWraps of
// them and as many MsgAddEmergencyWraps as the rest needs, in order.
func SplitEmergencyPolicy(msg *accesstypes.MsgSetEmergencyPolicy, maxWraps int) []sdk.Msg {
	first := *msg
	rest := msg.Wraps
	first.Wraps, rest = rest[:min(len(rest), maxWraps)], rest[min(len(rest), maxWraps):]
	return append([]sdk.Msg{&first}, EmergencyWrapMsgs(msg.Patient, accesstypes.KeyID(msg.PublicKey), rest, maxWraps)...)
}

// EmergencyWrapMsgs cuts wraps (record-id order) into MsgAddEmergencyWraps
// of at most maxWraps each.
func EmergencyWrapMsgs(patient, keyID string, wraps []recordstypes.KeyWrap, maxWraps int) []sdk.Msg {
	var msgs []sdk.Msg
	for len(wraps) > 0 {
		n := min(len(wraps), maxWraps)
		msgs = append(msgs, &accesstypes.MsgAddEmergencyWraps{Patient: patient, KeyId: keyID, Wraps: wraps[:n]})
		wraps = wraps[n:]
	}
	return msgs
}

// SplitRecovery cuts msg, a completion carrying one entry per ACTIVE
// record still to move in record-id order, into completions of at most
// maxWraps entries each (one, empty, when no ACTIVE record is left: it
// moves the redacted ones and ends the recovery).
func SplitRecovery(msg *accesstypes.MsgCompleteRecovery, maxWraps int) []sdk.Msg {
	entries := msg.Records
	msgs := []sdk.Msg{}
	for {
		n := min(len(entries), maxWraps)
		msgs = append(msgs, &accesstypes.MsgCompleteRecovery{NewOwner: msg.NewOwner, RecoveryId: msg.RecoveryId, Records: entries[:n]})
		entries = entries[n:]
		if len(entries) == 0 {
			return msgs
		}
	}
}

// ResumeEmergencyPolicy continues patient's completing emergency policy:
// it wraps, with kp (the patient's key pair), the key of every ACTIVE
// record above the policy's cursor that has no wrap under the policy's key
// yet to the emergency key registered on chain (its public half is all it
// takes), and returns the MsgAddEmergencyWraps that carry them. It
// returns no message for a complete or spent policy, nor for none (an
// empty policy).
func ResumeEmergencyPolicy(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, patient string, maxWraps int) (accesstypes.EmergencyPolicy, []sdk.Msg, error) {
	qc := accesstypes.NewQueryClient(clientCtx)
	resp, err := qc.EmergencyPolicy(ctx, &accesstypes.QueryEmergencyPolicyRequest{Patient: patient})
	if status.Code(err) == codes.NotFound {
		return accesstypes.EmergencyPolicy{}, nil, nil
	}
	if err != nil {
		return accesstypes.EmergencyPolicy{}, nil, err
	}
	policy := resp.Policy
	if !policy.Completing || policy.IsSpent() {
		return policy, nil, nil
	}
	key, err := qc.EncryptionKey(ctx, &accesstypes.QueryEncryptionKeyRequest{Address: policy.EmergencyReader, KeyId: policy.KeyId})
	if err != nil {
		return policy, nil, fmt.Errorf("the emergency key %s: %w", policy.KeyId, err)
	}
	var wraps []recordstypes.KeyWrap
	err = eachActiveRecord(ctx, clientCtx, patient, func(r recordstypes.Record) error {
		if r.Id <= policy.WrappedThrough {
			return nil
		}
		if w, err := qc.Wrap(ctx, &accesstypes.QueryWrapRequest{RecordId: r.Id, Reader: policy.EmergencyReader}); err == nil && w.Wrap.KeyId == policy.KeyId {
			return nil // created since the policy was set, with its wrap
		}
		w, err := wrapToEmergencyKey(ctx, clientCtx, kp, patient, r.Id, key.Key)
		wraps = append(wraps, w)
		return err
	})
	if err != nil {
		return policy, nil, fmt.Errorf("wrapping your records to the emergency key: %w", err)
	}
	return policy, EmergencyWrapMsgs(patient, policy.KeyId, wraps, maxWraps), nil
}

// wrapToEmergencyKey opens record recordID's key with kp and seals it to
// emergencyKey.
func wrapToEmergencyKey(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, patient string, recordID uint64, emergencyKey accesstypes.EncryptionKey) (recordstypes.KeyWrap, error) {
	key, epoch, err := OpenRecordKey(ctx, clientCtx, kp, recordID, patient)
	if err != nil {
		return recordstypes.KeyWrap{}, err
	}
	return SealRecordKey(epoch, emergencyKey, key.Bytes())
}

// eachActiveRecord calls fn for owner's ACTIVE records in id order.
func eachActiveRecord(ctx context.Context, clientCtx client.Context, owner string, fn func(recordstypes.Record) error) error {
	rq := recordstypes.NewQueryClient(clientCtx)
	return EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := rq.RecordsByOwner(ctx, &recordstypes.QueryRecordsByOwnerRequest{Owner: owner, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, r := range resp.Records {
			if r.Status != recordstypes.RecordStatusActive {
				continue
			}
			if err := fn(r); err != nil {
				return nil, err
			}
		}
		return resp.Pagination, nil
	})
}

// MaxTxBytes bounds the transactions SendInOrder builds: CometBFT's
// default mempool refuses a transaction over 1 MiB (mempool.max_tx_bytes),
// and a message of 500 wraps is already about 700 KB.
const MaxTxBytes = 1000 * 1000

// Packing says whether msgs fit in one transaction.
type Packing func(msgs []sdk.Msg) (bool, error)

// PackInOrder cuts msgs, in order, into transactions: each takes as many
// of the next messages as fits says fit, and at least one (a message that
// does not fit alone is sent alone, for the chain to judge).
func PackInOrder(msgs []sdk.Msg, fits Packing) ([][]sdk.Msg, error) {
	var txs [][]sdk.Msg
	for len(msgs) > 0 {
		n, err := firstTx(msgs, fits)
		if err != nil {
			return nil, err
		}
		txs = append(txs, msgs[:n])
		msgs = msgs[n:]
	}
	return txs, nil
}

// firstTx is how many of msgs the first transaction of PackInOrder takes.
func firstTx(msgs []sdk.Msg, fits Packing) (int, error) {
	n := 1
	for n < len(msgs) {
		ok, err := fits(msgs[:n+1])
		if err != nil || !ok {
			return n, err
		}
		n++
	}
	return n, nil
}

// SendProgress is told after each transaction SendInOrder sends: how many
// of the messages are in blocks now, of how many, and the transaction.
type SendProgress func(done, total int, res *sdk.TxResponse)

// SendInOrder sends msgs in order, each transaction waiting for its block
// before the next is built: a message continues from the state the
// previous ones left (a cursor on chain). A transaction takes the next
// messages while, simulated together, they stay within the block's max
// gas (when the chain sets one) and MaxTxBytes. If one fails, the ones in
// blocks stay done, and running the command again continues from there.
func SendInOrder(ctx context.Context, t *Tx, msgs []sdk.Msg, wait time.Duration, progress SendProgress) error {
	maxGas, err := blockMaxGas(ctx, t.clientCtx)
	if err != nil {
		return err
	}
	done := 0
	for done < len(msgs) {
		// Only the messages right after what is in blocks can be simulated:
		// the later ones continue from state the earlier ones write.
		n, err := firstTx(msgs[done:], func(candidate []sdk.Msg) (bool, error) {
			size, err := t.txBytes(candidate)
			if err != nil || size > MaxTxBytes {
				return false, err
			}
			if maxGas > 0 {
				gas, err := t.SimulateGas(candidate...)
				if err != nil || gas > uint64(maxGas) {
					return false, nil // the chain says why when it is sent alone
				}
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		batch := msgs[done : done+n]
		if err := t.Preflight(batch...); err != nil {
			return err
		}
		res, err := t.BroadcastAndWait(ctx, wait, batch...)
		if err != nil {
			return fmt.Errorf("%d of %d messages are in blocks (running the command again continues from there): %w", done, len(msgs), err)
		}
		done += len(batch)
		if progress != nil {
			progress(done, len(msgs), res)
		}
	}
	return nil
}

// blockMaxGas is the chain's consensus block.max_gas (-1: no limit).
func blockMaxGas(ctx context.Context, clientCtx client.Context) (int64, error) {
	res, err := consensustypes.NewQueryClient(clientCtx).Params(ctx, &consensustypes.QueryParamsRequest{})
	if err != nil {
		return 0, fmt.Errorf("reading the consensus params: %w", err)
	}
	if res.Params == nil || res.Params.Block == nil {
		return -1, nil
	}
	return res.Params.Block.MaxGas, nil
}

// SimulateGas is the gas msgs need together, adjusted as --gas-adjustment
// says.
func (t *Tx) SimulateGas(msgs ...sdk.Msg) (uint64, error) {
	_, adjusted, err := tx.CalculateGas(t.clientCtx, t.txf, msgs...)
	return adjusted, err
}

// txBytes is the size of the unsigned transaction carrying msgs (the
// signature adds about a hundred bytes).
func (t *Tx) txBytes(msgs []sdk.Msg) (int, error) {
	unsigned, err := t.txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return 0, err
	}
	bz, err := t.clientCtx.TxConfig.TxEncoder()(unsigned.GetTx())
	return len(bz) + 256, err
}
