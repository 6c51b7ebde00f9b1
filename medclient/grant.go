package medclient

import (
	"context"

	"github.com/cosmos/cosmos-sdk/client"

	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// GrantWraps seals, for the READ grant msg makes, the key of every record
// it covers (its one record, or each of the owner's ACTIVE records of its
// kinds, CoveredRecords) to the grantee's current encryption key, opening
// each with the owner's own wrap: the wraps MsgGrantAccess must carry. A
// grantee without a registered key is refused before any record key is
// opened.
func GrantWraps(ctx context.Context, clientCtx client.Context, msg *accesstypes.MsgGrantAccess) ([]recordstypes.KeyWrap, error) {
	key, err := EncryptionKeyOf(ctx, clientCtx, msg.Grantee)
	if err != nil {
		return nil, err
	}
	records, err := CoveredRecords(ctx, clientCtx, accesstypes.Grant{Owner: msg.Owner, RecordId: msg.RecordId, Kinds: msg.Kinds})
	if err != nil {
		return nil, err
	}
	kp, err := FromKeyPair(clientCtx)
	if err != nil {
		return nil, err
	}
	wraps := make([]recordstypes.KeyWrap, 0, len(records))
	for _, r := range records {
		recordKey, epoch, err := OpenRecordKey(ctx, clientCtx, kp, r.Id, msg.Owner)
		if err != nil {
			return nil, err
		}
		w, err := SealRecordKey(epoch, key, recordKey.Bytes())
		if err != nil {
			return nil, err
		}
		wraps = append(wraps, w)
	}
	return wraps, nil
}
