package medclient

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Destination is where an upload workflow (CreateRecord, AddVersion)
// stores a payload and how it registers it on chain.
type Destination struct {
	// Remote stores the encrypted payload (NewRemote).
	Remote Remote
	// VaultURL is the URL of the vault Remote uploads to, whose upload
	// limit is checked before anything is encrypted; empty for a Kubo
	// node, which sets no such limit.
	VaultURL string
	// TxFactory builds the transaction (cliflags.TxFactory reads it from a
	// command's tx flags). The workflow prepares it (NewTx, which asks the
	// chain for the account) only after the checks that need no chain.
	TxFactory tx.Factory
	// Wait is how long to wait for the transaction's block.
	Wait time.Duration
}

// NewRecord is a payload to store as a new record.
type NewRecord struct {
	// Creator signs the transaction: the owner, or a doctor or hospital
	// the owner granted WRITE.
	Creator string
	Owner   string
	Kind    recordstypes.RecordKind
	// DerivedFrom is the owner's record this one is a de-identified copy
	// of, or 0.
	DerivedFrom uint64
	// Label is sealed under the new record key, so that only the record's
	// readers can read it; it may be empty.
	Label string
	// Name names the payload in the confirmation prompt and in errors
	// (a file name, or "a de-identified copy of record 7").
	Name string
	// Src yields the Size bytes of plaintext, read once as a stream.
	Src  io.Reader
	Size int64
}

// UploadResult is what CreateRecord and AddVersion stored and registered.
type UploadResult struct {
	RecordID  uint64 `json:"record_id"`
	Version   uint64 `json:"version,omitempty"`
	CID       string `json:"cid"`
	SizeBytes int64  `json:"size_bytes"`
	Kind      string `json:"kind"`
	TxHash    string `json:"txhash"`
	Height    int64  `json:"height"`
	// EmergencyKeySpent, when the owner's emergency policy is spent, says
	// that the record got no emergency wrap and the owner must renew the
	// policy (SpentNotice).
	EmergencyKeySpent string `json:"emergency_key_spent,omitempty"`
}

// ErrTooLarge is returned, before anything is encrypted, for a payload
// whose upload would exceed the vault's limit.
var ErrTooLarge = errors.New("too large for the vault")

// ErrNotConfirmed is returned when the user answers no at the
// confirmation prompt (Tx.Confirm): nothing was uploaded or sent.
var ErrNotConfirmed = errors.New("not confirmed: nothing was uploaded or sent")

// CreateRecord encrypts in.Src under a fresh record key, uploads it to
// dest and registers it as a record of in.Owner (MsgCreateRecord), then
// waits for its block. In order: the label is validated, the vault's
// upload limit checked (before anything is encrypted), the record key
// wrapped for the owner, every grantee of the owner's live READ scope
// grants that cover the kind and the owner's emergency reader unless the
// emergency policy is spent (UploadResult.EmergencyKeySpent then says so),
// and the chain asked in simulation, with a
// placeholder CID, before any data moves; then the user confirms
// (Tx.Confirm), the payload is encrypted and uploaded with a progress bar
// on a terminal, the wraps are sealed again bound to the real CID, and
// the transaction is broadcast.
func CreateRecord(ctx context.Context, clientCtx client.Context, dest Destination, in NewRecord) (*UploadResult, error) {
	p, t, err := prepareRecord(ctx, clientCtx, dest, in, true)
	if err != nil {
		return nil, err
	}
	res, err := t.BroadcastAndWait(ctx, dest.Wait, p.Msg)
	if err != nil {
		return nil, fmt.Errorf("the payload is in the vault as %s but the record was not registered (the vault collects it later): %w", p.Msg.Cid, err)
	}
	ids, err := createdIDs(res)
	if err != nil {
		return nil, err
	}
	return p.result(ctx, clientCtx, ids[0], res), nil
}

// PreparedRecord is a new record whose payload is encrypted and stored,
// with the message that registers it (its wraps bound to the payload's
// CID), not sent yet: BroadcastRecords sends several in one transaction.
type PreparedRecord struct {
	Msg      *recordstypes.MsgCreateRecord
	Uploaded Uploaded
}

func (p *PreparedRecord) result(ctx context.Context, clientCtx client.Context, id uint64, res *sdk.TxResponse) *UploadResult {
	return &UploadResult{
		RecordID: id, Version: 1, CID: p.Msg.Cid, SizeBytes: p.Uploaded.Size,
		Kind: KindName(p.Msg.Kind), TxHash: res.TxHash, Height: res.Height,
		EmergencyKeySpent: spentNotice(ctx, clientCtx, p.Msg.Owner),
	}
}

// PrepareRecord is CreateRecord up to the broadcast, for programs that
// store many records and send them together (BroadcastRecords): the same
// checks, then the payload is encrypted and stored and the message made.
// It asks the chain nothing in simulation: a caller that sends the
// message in a batch simulates the batch, since a simulation made while
// an earlier batch of the same signer waits in the mempool sees a
// sequence the account does not have yet.
func PrepareRecord(ctx context.Context, clientCtx client.Context, dest Destination, in NewRecord) (*PreparedRecord, error) {
	p, _, err := prepareRecord(ctx, clientCtx, dest, in, false)
	return p, err
}

// prepareRecord does CreateRecord's work before the broadcast; with
// preflight it prepares the transaction (after the checks that need no
// chain) and asks the chain in simulation, and the user, before any data
// moves.
func prepareRecord(ctx context.Context, clientCtx client.Context, dest Destination, in NewRecord, preflight bool) (*PreparedRecord, *Tx, error) {
	if err := recordstypes.ValidateLabel(in.Label, recordstypes.MaxLabelLengthCap); err != nil {
		return nil, nil, err
	}
	if err := checkAndAuthorize(ctx, clientCtx, dest, in.Size); err != nil {
		return nil, nil, err
	}
	var t *Tx
	if preflight {
		var err error
		if t, err = NewTx(clientCtx, dest.TxFactory); err != nil {
			return nil, nil, err
		}
	}
	recordKey, err := envelope.NewRecordKey()
	if err != nil {
		return nil, nil, err
	}
	padded, err := envelope.EncryptedSize(in.Size)
	if err != nil {
		return nil, nil, err
	}
	msg := &recordstypes.MsgCreateRecord{
		Creator: in.Creator, Owner: in.Owner, Kind: in.Kind, DerivedFrom: in.DerivedFrom,
		Cid: PlaceholderCID(""), SizeBytes: uint64(padded),
	}
	if msg.SealedLabel, err = envelope.SealLabel(recordKey, msg.Owner, in.Label); err != nil {
		return nil, nil, err
	}
	readers, err := NewRecordReaders(ctx, clientCtx, msg.Owner, msg.Kind)
	if err != nil {
		return nil, nil, err
	}
	if err := wrapNew(clientCtx, msg, readers, recordKey); err != nil {
		return nil, nil, err
	}
	if preflight {
		// Ask the chain before any data moves: the signer's right to
		// write, the wraps, the label and the kind are all checked in
		// simulation.
		if err := t.Preflight(msg); err != nil {
			return nil, nil, err
		}
		if err := confirm(t, fmt.Sprintf("upload %s (%s, %s) as a record of %s", in.Name, KindName(msg.Kind), HumanBytes(in.Size), msg.Owner)); err != nil {
			return nil, nil, err
		}
	}
	up, err := uploadWithProgress(ctx, dest.Remote, in.Src, in.Size, recordKey)
	if err != nil {
		return nil, nil, fmt.Errorf("upload of %s failed, nothing was registered: %w", in.Name, err)
	}
	msg.Cid, msg.SizeBytes = up.CID.String(), uint64(up.Size)
	if msg.Receipt, err = up.RequireReceipt(); err != nil {
		return nil, nil, err
	}
	if err := wrapNew(clientCtx, msg, readers, recordKey); err != nil { // bound to the real CID now
		return nil, nil, err
	}
	return &PreparedRecord{Msg: msg, Uploaded: up}, t, nil
}

// BroadcastRecords registers prepared records in one transaction signed by
// txf's key (simulated first, which sets its gas), waits for its block and
// returns each record's result, in order. The transaction is all or
// nothing: if one message is refused, none is registered (the payloads
// stay in the vault until its garbage collection), and the error says
// which.
func BroadcastRecords(ctx context.Context, clientCtx client.Context, txf tx.Factory, wait time.Duration, recs []*PreparedRecord) ([]*UploadResult, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	t, err := NewTx(clientCtx, txf)
	if err != nil {
		return nil, err
	}
	msgs := make([]sdk.Msg, len(recs))
	for i, r := range recs {
		msgs[i] = r.Msg
	}
	if err := t.Preflight(msgs...); err != nil {
		return nil, err
	}
	res, err := t.BroadcastAndWait(ctx, wait, msgs...)
	if err != nil {
		return nil, fmt.Errorf("%d records were not registered (their payloads are in the vault, which collects them later): %w", len(recs), err)
	}
	ids, err := createdIDs(res)
	if err != nil {
		return nil, err
	}
	if len(ids) != len(recs) {
		return nil, fmt.Errorf("transaction %s created %d records, not %d", res.TxHash, len(ids), len(recs))
	}
	out := make([]*UploadResult, len(recs))
	for i, r := range recs {
		out[i] = r.result(ctx, clientCtx, ids[i], res)
	}
	return out, nil
}

// spentNotice is SpentEmergencyNotice for owner, or "" if the chain does
// not answer: the record is stored either way.
func spentNotice(ctx context.Context, clientCtx client.Context, owner string) string {
	notice, err := SpentEmergencyNotice(ctx, clientCtx, owner)
	if err != nil {
		return ""
	}
	return notice
}

// AddVersion stores the size bytes of src (named name in the prompt and
// errors) as the next version of record recordID and waits for its block.
// The payload is encrypted under the record's current key, which the
// signer (clientCtx's from address) must be able to open: the owner, or a
// writer who can also read it. No wraps are sent: the stored ones seal
// this key epoch's record key, and only the owner may replace them. As in
// CreateRecord, the vault's limit is checked before anything is encrypted
// and the chain asked in simulation before any data moves.
func AddVersion(ctx context.Context, clientCtx client.Context, dest Destination, recordID uint64, name string, src io.Reader, size int64) (*UploadResult, error) {
	resp, err := recordstypes.NewQueryClient(clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	record := resp.Record
	if err := checkAndAuthorize(ctx, clientCtx, dest, size); err != nil {
		return nil, err
	}
	kp, err := FromKeyPair(clientCtx)
	if err != nil {
		return nil, err
	}
	recordKey, epoch, err := OpenRecordKey(ctx, clientCtx, kp, recordID, clientCtx.FromAddress.String())
	if err != nil {
		return nil, fmt.Errorf("a new version is encrypted under the record's key, which the signer must be able to open: %w", err)
	}
	// No wraps: the stored ones seal this key epoch's record key, which the
	// new version is encrypted under, and only the owner may replace them.
	msg := &recordstypes.MsgAddVersion{
		Creator: clientCtx.FromAddress.String(), RecordId: recordID, KeyEpoch: epoch.KeyEpoch,
		Cid: PlaceholderCID(""),
	}
	padded, err := envelope.EncryptedSize(size)
	if err != nil {
		return nil, err
	}
	msg.SizeBytes = uint64(padded)
	t, err := NewTx(clientCtx, dest.TxFactory)
	if err != nil {
		return nil, err
	}
	if err := t.Preflight(msg); err != nil {
		return nil, err
	}
	if err := confirm(t, fmt.Sprintf("store %s (%s) as version %d of record %d", name, HumanBytes(size), record.Version+1, recordID)); err != nil {
		return nil, err
	}
	up, err := uploadWithProgress(ctx, dest.Remote, src, size, recordKey)
	if err != nil {
		return nil, fmt.Errorf("upload of %s failed, the record is unchanged: %w", name, err)
	}
	msg.Cid, msg.SizeBytes = up.CID.String(), uint64(up.Size)
	if msg.Receipt, err = up.RequireReceipt(); err != nil {
		return nil, err
	}
	res, err := t.BroadcastAndWait(ctx, dest.Wait, msg)
	if err != nil {
		return nil, fmt.Errorf("the payload is in the vault as %s but the version was not registered (the vault collects it later): %w", msg.Cid, err)
	}
	return &UploadResult{
		RecordID: recordID, Version: record.Version + 1, CID: msg.Cid, SizeBytes: up.Size,
		Kind: KindName(record.Kind), TxHash: res.TxHash, Height: res.Height,
		EmergencyKeySpent: spentNotice(ctx, clientCtx, record.Owner),
	}, nil
}

// checkAndAuthorize refuses a payload of size bytes over the vault's
// limit, before anything is encrypted, and makes the uploads through
// dest.Remote carry an upload ticket for it.
func checkAndAuthorize(ctx context.Context, clientCtx client.Context, dest Destination, size int64) error {
	if err := checkVaultLimit(ctx, dest.VaultURL, size); err != nil {
		return err
	}
	AuthorizeUploads(ctx, clientCtx, dest.Remote, EncryptedSizeBound(size))
	return nil
}

// confirm asks the user (unless the factory skips confirmations);
// declining is ErrNotConfirmed.
func confirm(t *Tx, summary string) error {
	ok, err := t.Confirm(summary)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotConfirmed
	}
	return nil
}

// uploadWithProgress encrypts and uploads src (Upload), showing progress
// on a terminal.
func uploadWithProgress(ctx context.Context, remote Remote, src io.Reader, size int64, key envelope.RecordKey) (Uploaded, error) {
	progress := NewProgress(src, "encrypting and uploading", size)
	up, err := Upload(ctx, remote, progress, size, key)
	progress.Finish()
	return up, err
}

// wrapNew seals the record key for readers (the owner and every scope
// grantee), bound to the record's CID, which opens its key epoch 0: the
// record id is left 0, for the chain to fill in, so uploads by any number
// of clients at once never wait for one another or seal again.
func wrapNew(clientCtx client.Context, msg *recordstypes.MsgCreateRecord, readers []accesstypes.EncryptionKey, recordKey envelope.RecordKey) error {
	var err error
	msg.Wraps, err = SealForAll(Epoch{ChainID: clientCtx.ChainID, Anchor: msg.Cid}, readers, recordKey.Bytes())
	return err
}

// OpenInput opens a regular, non-empty file to upload and returns its
// size.
func OpenInput(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() == 0 {
		f.Close()
		return nil, 0, fmt.Errorf("%s is empty: there is nothing to store", path)
	}
	return f, st.Size(), nil
}

// checkVaultLimit refuses, before anything is encrypted, a payload of size
// bytes whose upload would exceed the limit of the vault at vaultURL.
func checkVaultLimit(ctx context.Context, vaultURL string, size int64) error {
	if vaultURL == "" {
		return nil // Kubo sets no such limit
	}
	st, err := FetchVaultStatus(ctx, vaultURL)
	if err != nil {
		return err
	}
	if need := EncryptedSizeBound(size); st.MaxUploadBytes > 0 && need > st.MaxUploadBytes {
		return fmt.Errorf("%w: the file is %s, about %s encrypted, and the vault at %s accepts at most %s per upload; nothing was sent",
			ErrTooLarge, HumanBytes(size), HumanBytes(need), vaultURL, HumanBytes(st.MaxUploadBytes))
	}
	return nil
}

// createdID reads the id the chain gave a record from its transaction's
// MsgCreateRecordResponse.
func createdIDs(res *sdk.TxResponse) ([]uint64, error) {
	raw, err := hex.DecodeString(res.Data)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: its data is not hex: %w", res.TxHash, err)
	}
	var data sdk.TxMsgData
	if err := data.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("transaction %s: %w", res.TxHash, err)
	}
	var ids []uint64
	for _, r := range data.MsgResponses {
		var created recordstypes.MsgCreateRecordResponse
		if r.TypeUrl == "/"+proto.MessageName(&created) {
			if err := created.Unmarshal(r.Value); err != nil {
				return nil, fmt.Errorf("transaction %s: %w", res.TxHash, err)
			}
			ids = append(ids, created.Id)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("transaction %s created no record", res.TxHash)
	}
	return ids, nil
}
