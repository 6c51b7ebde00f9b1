package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/medchain/medchain/x/records/types"
)

// SetArchiveConsent records the owner's choice whether hospitals may
// archive the record's ciphertext to Filecoin (Record.archive_allowed),
// which params archive_policy CONSENT asks for. Only the owner chooses, and
// only for an ACTIVE record. Withdrawing consent refuses new entries and
// renewals from the next message on; the entries already recorded stay
// ARCHIVED, because a Filecoin deal cannot be deleted before it ends. What
// they hold stays ciphertext, and a redaction shreds it.
func (k msgServer) SetArchiveConsent(ctx context.Context, msg *types.MsgSetArchiveConsent) (*types.MsgSetArchiveConsentResponse, error) {
	record, err := k.ownedRecord(ctx, "owner", msg.Owner, msg.RecordId, "allow or forbid archiving it")
	if err != nil {
		return nil, err
	}
	if record.Status == types.RecordStatusRedacted {
		return nil, errorsmod.Wrapf(types.ErrRecordRedacted,
			"record %d is redacted: nothing of it may be archived, and its archive entries are shredded", record.Id)
	}

	record.ArchiveAllowed = msg.Allow
	if err := k.Records.Set(ctx, record.Id, record); err != nil {
		return nil, errorsmod.Wrapf(err, "storing record %d", record.Id)
	}
	if err := emit(ctx, &types.EventArchiveConsentSet{RecordId: record.Id, Owner: record.Owner, Allow: msg.Allow}); err != nil {
		return nil, err
	}
	return &types.MsgSetArchiveConsentResponse{}, nil
}
