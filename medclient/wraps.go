package medclient

import (
	"context"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// OpenRecordKey fetches reader's wrap of a record (CheckAccess) and opens
// it with kp, returning the record key and the key epoch it belongs to
// (what a new wrap of the same key must be bound to). A
// reader the chain does not let in gets an error matching
// envelope.ErrNoAccess before anything else happens.
func OpenRecordKey(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, recordID uint64, reader string) (envelope.RecordKey, Epoch, error) {
	var none envelope.RecordKey
	var noEpoch Epoch
	resp, err := accesstypes.NewQueryClient(clientCtx).CheckAccess(ctx, &accesstypes.QueryCheckAccessRequest{
		RecordId: recordID, Grantee: reader, Permission: accesstypes.PermissionRead,
	})
	if err != nil {
		return none, noEpoch, fmt.Errorf("record %d: %w", recordID, err)
	}
	if !resp.Allowed {
		return none, noEpoch, fmt.Errorf("record %d: %s may not read it (%s): %w", recordID, reader, resp.Reason, envelope.ErrNoAccess)
	}
	if resp.Wrap == nil {
		return none, noEpoch, fmt.Errorf("record %d: no wrap of key epoch %d for %s: %w", recordID, resp.KeyEpoch, reader, envelope.ErrNoAccess)
	}
	holder := reader
	if resp.ViaOrganisation != "" {
		holder = resp.ViaOrganisation
	}
	if resp.EmergencyAccessId != 0 {
		// Break-glass: the wrap is the patient's emergency reader's, and
		// its key comes from the shares custodians released to kp.
		if kp, err = RecoverEmergencyKey(ctx, clientCtx, kp, resp.EmergencyAccessId); err != nil {
			return none, noEpoch, fmt.Errorf("record %d: %w", recordID, err)
		}
		holder = resp.EmergencyReader
	}
	recordKey, err := envelope.Unwrap(kp,
		envelope.WrapInfo{KeyID: resp.Wrap.KeyId, KeyEpoch: resp.Wrap.KeyEpoch, Ciphertext: resp.Wrap.Ciphertext},
		envelope.Binding{ChainID: clientCtx.ChainID, Anchor: resp.EpochCid, RecordID: recordID, KeyEpoch: resp.KeyEpoch, Grantee: holder})
	if err != nil {
		return none, noEpoch, fmt.Errorf("record %d: %w", recordID, err)
	}
	key, err := envelope.ParseRecordKey(recordKey)
	if err != nil {
		return none, noEpoch, fmt.Errorf("record %d: %w", recordID, err)
	}
	return key, Epoch{ChainID: clientCtx.ChainID, Anchor: resp.EpochCid, RecordID: recordID, KeyEpoch: resp.KeyEpoch}, nil
}

// Epoch names the key epoch a wrap is for: the chain, the CID that opened
// the epoch (Record.epoch_cid: a new record's own CID, a rotation's
// re-encrypted payload), the record id (0 for a record not created yet) and
// the epoch number.
type Epoch struct {
	ChainID  string
	Anchor   string
	RecordID uint64
	KeyEpoch uint64
}

// SealRecordKey wraps a record key for the holder of key, bound to the
// epoch's anchor CID.
func SealRecordKey(e Epoch, key accesstypes.EncryptionKey, recordKey []byte) (recordstypes.KeyWrap, error) {
	ct, err := envelope.Wrap(key.PublicKey, recordKey, envelope.Binding{
		ChainID: e.ChainID, Anchor: e.Anchor, RecordID: e.RecordID, KeyEpoch: e.KeyEpoch, Grantee: key.Owner,
	})
	if err != nil {
		return recordstypes.KeyWrap{}, fmt.Errorf("sealing the key of %s for %s: %w", e.Anchor, key.Owner, err)
	}
	return recordstypes.KeyWrap{Grantee: key.Owner, KeyId: key.KeyId, Ciphertext: ct, RecordId: e.RecordID, KeyEpoch: e.KeyEpoch}, nil
}

// SealForAll wraps recordKey for every key in keys.
func SealForAll(e Epoch, keys []accesstypes.EncryptionKey, recordKey []byte) ([]recordstypes.KeyWrap, error) {
	wraps := make([]recordstypes.KeyWrap, 0, len(keys))
	for _, k := range keys {
		w, err := SealRecordKey(e, k, recordKey)
		if err != nil {
			return nil, err
		}
		wraps = append(wraps, w)
	}
	return wraps, nil
}

// ChainTime is the latest block time, which decides whether a grant is
// live; without a node it is the local clock.
func ChainTime(ctx context.Context, clientCtx client.Context) time.Time {
	if clientCtx.Client != nil {
		if st, err := clientCtx.Client.Status(ctx); err == nil {
			return st.SyncInfo.LatestBlockTime
		}
	}
	return time.Now()
}

// EncryptionKeyOf returns the current registered encryption key of addr,
// with an error that tells what to do when there is none.
func EncryptionKeyOf(ctx context.Context, clientCtx client.Context, addr string) (accesstypes.EncryptionKey, error) {
	resp, err := accesstypes.NewQueryClient(clientCtx).EncryptionKey(ctx, &accesstypes.QueryEncryptionKeyRequest{Address: addr})
	if err != nil {
		return accesstypes.EncryptionKey{}, fmt.Errorf("the encryption key of %s: %w (it must run `medchaind tx access register-key` first)", addr, err)
	}
	return resp.Key, nil
}

// NewRecordReaders returns the keys a new record of owner and kind must be
// wrapped for: the owner's first, then every grantee of the owner's live
// READ scope grants that cover kind, and the owner's emergency reader when
// the owner has an emergency policy that is not spent, as x/records checks
// on create.
func NewRecordReaders(ctx context.Context, clientCtx client.Context, owner string, kind recordstypes.RecordKind) ([]accesstypes.EncryptionKey, error) {
	t := ChainTime(ctx, clientCtx)
	qc := accesstypes.NewQueryClient(clientCtx)
	grantees := []string{owner}
	err := EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.GrantsByOwner(ctx, &accesstypes.QueryGrantsByOwnerRequest{Owner: owner, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, g := range resp.Grants {
			if g.RecordId == 0 && g.Permission == accesstypes.PermissionRead && g.IsLive(t) && accesstypes.CoversKind(g.Kinds, kind) {
				grantees = append(grantees, g.Grantee)
			}
		}
		return resp.Pagination, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the grants of %s: %w", owner, err)
	}
	if grantees, err = withEmergencyReader(ctx, clientCtx, owner, grantees); err != nil {
		return nil, err
	}
	return keysOf(ctx, clientCtx, grantees)
}

// RemainingReaders returns the keys a record's next key epoch must be
// wrapped for when grant except is revoked: the owner's, then every
// grantee of a live READ grant covering the record (its own grants and the
// owner's scope grants), the revoked one left out, and the owner's
// emergency reader when the owner has an emergency policy that is not
// spent. It is the set x/access
// checks a rotation against, no more and no fewer.
func RemainingReaders(ctx context.Context, clientCtx client.Context, record recordstypes.Record, except uint64) ([]accesstypes.EncryptionKey, error) {
	t := ChainTime(ctx, clientCtx)
	qc := accesstypes.NewQueryClient(clientCtx)
	grantees := []string{record.Owner}
	add := func(grants []accesstypes.Grant) {
		for _, g := range grants {
			if g.Id != except && g.Permission == accesstypes.PermissionRead && g.IsLive(t) {
				grantees = append(grantees, g.Grantee)
			}
		}
	}
	err := EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.GrantsByRecord(ctx, &accesstypes.QueryGrantsByRecordRequest{RecordId: record.Id, Pagination: page})
		if err != nil {
			return nil, err
		}
		add(resp.Grants)
		if page.Key == nil {
			add(resp.ScopeGrants) // the same on every page
		}
		return resp.Pagination, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the grants of record %d: %w", record.Id, err)
	}
	if grantees, err = withEmergencyReader(ctx, clientCtx, record.Owner, grantees); err != nil {
		return nil, err
	}
	return keysOf(ctx, clientCtx, grantees)
}

// keysOf looks up the current key of each distinct address, in order.
func keysOf(ctx context.Context, clientCtx client.Context, addrs []string) ([]accesstypes.EncryptionKey, error) {
	seen := map[string]bool{}
	keys := make([]accesstypes.EncryptionKey, 0, len(addrs))
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		k, err := EncryptionKeyOf(ctx, clientCtx, a)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// EnsureChainID fills in the chain id from the node when neither
// --chain-id nor client.toml gave one: wraps bind it.
func EnsureChainID(ctx context.Context, clientCtx client.Context) (client.Context, error) {
	if clientCtx.ChainID != "" {
		return clientCtx, nil
	}
	if clientCtx.Client == nil {
		return clientCtx, fmt.Errorf("no chain id: give --chain-id or --node")
	}
	st, err := clientCtx.Client.Status(ctx)
	if err != nil {
		return clientCtx, fmt.Errorf("no chain id and the node does not answer: %w", err)
	}
	return clientCtx.WithChainID(st.NodeInfo.Network), nil
}
