package medclient

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Downloaded is what DownloadRecord wrote.
type Downloaded struct {
	RecordID uint64
	Version  uint64
	CID      string
	Kind     string // KindName of the record's kind
	Bytes    int64  // plaintext bytes written
	Path     string
}

// DownloadRecord fetches version (0 for the current one) of record
// recordID from remote, verifies every block against the version's CID,
// decrypts it with the record key that clientCtx's --from account opens
// (its own wrap, a grant's, or an emergency access's) and writes it to
// path. The plaintext goes to a temporary file beside path, renamed only
// when complete: on any error path is left as it was. A redacted record,
// a version of an earlier key epoch and an account without access are
// each refused with a sentence that says so, before anything is fetched.
func DownloadRecord(ctx context.Context, clientCtx client.Context, remote Remote, recordID, version uint64, path string) (*Downloaded, error) {
	r, err := prepareRead(ctx, clientCtx, remote, recordID, version)
	if err != nil {
		return nil, err
	}
	n, err := DownloadFile(ctx, remote, r.root, r.key, path)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w (nothing was written to %s)", recordID, err, path)
	}
	return &Downloaded{RecordID: recordID, Version: r.payload.Version, CID: r.payload.Cid, Kind: KindName(r.record.Kind), Bytes: n, Path: path}, nil
}

// StreamRecord is DownloadRecord into w, for programs that consume the
// plaintext as it arrives (the DICOMweb bridge) and keep none of it on
// disk. Every block is verified before its bytes are decrypted, and the
// decryption authenticates each chunk before it is written; an error may
// come after some bytes were written, so w must be discarded then.
func StreamRecord(ctx context.Context, clientCtx client.Context, remote Remote, recordID, version uint64, w io.Writer) (*Downloaded, error) {
	r, err := prepareRead(ctx, clientCtx, remote, recordID, version)
	if err != nil {
		return nil, err
	}
	n, err := Download(ctx, remote, r.root, r.key, w)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", recordID, err)
	}
	return &Downloaded{RecordID: recordID, Version: r.payload.Version, CID: r.payload.Cid, Kind: KindName(r.record.Kind), Bytes: n}, nil
}

// aRead is what a download needs, once the checks before any fetch passed.
type aRead struct {
	record  recordstypes.Record
	payload recordstypes.RecordVersion
	root    cid.Cid
	key     envelope.RecordKey
}

// prepareRead checks that record recordID is active and that clientCtx's
// --from account may read it, opens its key, picks the version and
// authorises remote's reads of it.
func prepareRead(ctx context.Context, clientCtx client.Context, remote Remote, recordID, version uint64) (aRead, error) {
	resp, err := recordstypes.NewQueryClient(clientCtx).Record(ctx, &recordstypes.QueryRecordRequest{Id: recordID})
	if err != nil {
		return aRead{}, fmt.Errorf("record %d: %w", recordID, err)
	}
	record := resp.Record
	if record.Status != recordstypes.RecordStatusActive {
		return aRead{}, fmt.Errorf("record %d was redacted by its owner: there is nothing to download", recordID)
	}
	kp, err := FromKeyPair(clientCtx)
	if err != nil {
		return aRead{}, err
	}
	recordKey, _, err := OpenRecordKey(ctx, clientCtx, kp, recordID, clientCtx.FromAddress.String())
	if err != nil {
		return aRead{}, err
	}
	payload, err := VersionPayload(ctx, clientCtx, record, version)
	if err != nil {
		return aRead{}, err
	}
	root, err := recordstypes.ValidateCID(payload.Cid)
	if err != nil {
		return aRead{}, err
	}
	BoundFetch(remote, payload.SizeBytes)
	// A vault with its access gate on serves only to a signed ticket,
	// bound to that vault, and burns it: each vault tried gets its own.
	if err := AuthorizeReads(ctx, clientCtx, remote, recordID, payload.Version, payload.Cid); err != nil {
		return aRead{}, err
	}
	return aRead{record: record, payload: payload, root: root, key: recordKey}, nil
}

// VersionPayload returns the version of record to read: the current one
// for 0, else that version from the history, which must be of the record's
// current key epoch (a reader's wrap opens only that key).
func VersionPayload(ctx context.Context, clientCtx client.Context, record recordstypes.Record, version uint64) (recordstypes.RecordVersion, error) {
	if version == 0 || version == record.Version {
		return recordstypes.RecordVersion{RecordId: record.Id, Version: record.Version, Cid: record.Cid, KeyEpoch: record.KeyEpoch,
			SizeBytes: record.SizeBytes}, nil
	}
	if version > record.Version {
		return recordstypes.RecordVersion{}, fmt.Errorf("record %d has %d versions; there is no version %d", record.Id, record.Version, version)
	}
	resp, err := recordstypes.NewQueryClient(clientCtx).History(ctx, &recordstypes.QueryHistoryRequest{
		RecordId: record.Id, Pagination: &query.PageRequest{Offset: version - 1, Limit: 1},
	})
	if err != nil {
		return recordstypes.RecordVersion{}, fmt.Errorf("history of record %d: %w", record.Id, err)
	}
	if len(resp.Versions) != 1 || resp.Versions[0].Version != version {
		return recordstypes.RecordVersion{}, fmt.Errorf("history of record %d has no version %d", record.Id, version)
	}
	v := resp.Versions[0]
	if v.KeyEpoch != record.KeyEpoch {
		return recordstypes.RecordVersion{}, fmt.Errorf("version %d of record %d is of key epoch %d; the key was rotated to epoch %d "+
			"when a reader was revoked, and the older payloads were released with it", version, record.Id, v.KeyEpoch, record.KeyEpoch)
	}
	return v, nil
}
