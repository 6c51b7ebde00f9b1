package medclient

import (
	"context"
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/medchain/medchain/envelope"
	"github.com/medchain/medchain/envelope/sizeclass"
	accesstypes "github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

// Revocation is the revocation of a READ grant with key rotation: every
// record the grant covered is re-encrypted under a new record key, wrapped
// for the owner and the readers that remain, so the revoked grantee cannot
// open what the record points at afterwards.
//
// PlanRevocation builds Msg with a placeholder CID in each rotation, which
// the chain can be asked about (a simulation) before any data moves;
// Reencrypt then re-encrypts each payload through a remote and fills in
// the real CIDs and wraps. A Revocation that is never sent changes nothing
// on chain: the uploads are unpinned payloads the vaults collect.
type Revocation struct {
	Grant accesstypes.Grant
	Msg   *accesstypes.MsgRevokeAccess
	plans []rotationPlan
}

type rotationPlan struct {
	record         recordstypes.Record
	oldKey, newKey envelope.RecordKey
	readers        []accesstypes.EncryptionKey
	next           Epoch // the new key epoch; its anchor is the re-encrypted CID
	rotation       int   // index in Msg.Rotations
}

// Records is how many records the revocation re-encrypts.
func (r *Revocation) Records() int { return len(r.plans) }

// PlanRevocation plans the revocation of READ grant g by its owner, whose
// key pair kp opens each covered record's key: new record keys, the
// remaining readers' wraps and the labels re-sealed.
func PlanRevocation(ctx context.Context, clientCtx client.Context, kp *envelope.KeyPair, g accesstypes.Grant) (*Revocation, error) {
	if g.Permission != accesstypes.PermissionRead {
		return nil, fmt.Errorf("grant %d gives %s, not READ: it never gave a key, so there is nothing to rotate", g.Id, g.Permission.Label())
	}
	records, err := CoveredRecords(ctx, clientCtx, g)
	if err != nil {
		return nil, err
	}
	rev := &Revocation{Grant: g, Msg: &accesstypes.MsgRevokeAccess{Owner: g.Owner, GrantId: g.Id}}
	for _, r := range records {
		oldKey, epoch, err := OpenRecordKey(ctx, clientCtx, kp, r.Id, g.Owner)
		if err != nil {
			return nil, err
		}
		newKey, err := envelope.NewRecordKey()
		if err != nil {
			return nil, err
		}
		readers, err := RemainingReaders(ctx, clientCtx, r, g.Id)
		if err != nil {
			return nil, err
		}
		// Sealed for the simulation with the placeholder CID as anchor, and
		// again once the re-encrypted payload's CID is known.
		next := Epoch{ChainID: clientCtx.ChainID, Anchor: PlaceholderCID(r.Cid), RecordID: r.Id, KeyEpoch: epoch.KeyEpoch + 1}
		wraps, err := SealForAll(next, readers, newKey.Bytes())
		if err != nil {
			return nil, err
		}
		// The label is re-sealed under the new key, which is all the
		// remaining readers will hold.
		label, err := envelope.OpenLabel(oldKey, r.Owner, r.SealedLabel)
		if err != nil {
			return nil, fmt.Errorf("record %d: its label: %w", r.Id, err)
		}
		sealedLabel, err := envelope.SealLabel(newKey, r.Owner, label)
		if err != nil {
			return nil, err
		}
		size, err := RotatedSize(r.SizeBytes)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", r.Id, err)
		}
		rev.Msg.Rotations = append(rev.Msg.Rotations, accesstypes.Rotation{
			RecordId: r.Id, Cid: next.Anchor, SizeBytes: size, Wraps: wraps, SealedLabel: sealedLabel,
		})
		rev.plans = append(rev.plans, rotationPlan{record: r, oldKey: oldKey, newKey: newKey, readers: readers, next: next, rotation: len(rev.Msg.Rotations) - 1})
	}
	return rev, nil
}

// Reencrypt re-encrypts every covered payload through remote (reading the
// old version, uploading the new one) and puts the new CIDs, sizes and
// wraps into Msg. A failure leaves the grant in force and nothing changed
// on chain.
func (r *Revocation) Reencrypt(ctx context.Context, clientCtx client.Context, remote Remote) error {
	var largest uint64
	for _, p := range r.plans {
		largest = max(largest, p.record.SizeBytes)
	}
	AuthorizeUploads(ctx, clientCtx, remote, EncryptedSizeBound(int64(largest)))
	BoundFetch(remote, largest)
	for _, p := range r.plans {
		root, err := recordstypes.ValidateCID(p.record.Cid)
		if err != nil {
			return err
		}
		if err := AuthorizeReads(ctx, clientCtx, remote, p.record.Id, p.record.Version, p.record.Cid); err != nil {
			return err
		}
		up, err := Reencrypt(ctx, remote, root, int64(p.record.SizeBytes), p.oldKey, p.newKey)
		if err != nil {
			return fmt.Errorf("re-encrypting record %d failed; grant %d is still in force, nothing changed on chain: %w", p.record.Id, r.Grant.Id, err)
		}
		rot := &r.Msg.Rotations[p.rotation]
		rot.Cid, rot.SizeBytes = up.CID.String(), uint64(up.Size)
		if rot.Receipt, err = up.RequireReceipt(); err != nil {
			return fmt.Errorf("record %d: %w", p.record.Id, err)
		}
		p.next.Anchor = rot.Cid
		if rot.Wraps, err = SealForAll(p.next, p.readers, p.newKey.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// CoveredRecords lists the owner's ACTIVE records grant g covers.
func CoveredRecords(ctx context.Context, clientCtx client.Context, g accesstypes.Grant) ([]recordstypes.Record, error) {
	qc := recordstypes.NewQueryClient(clientCtx)
	if g.RecordId != 0 {
		resp, err := qc.Record(ctx, &recordstypes.QueryRecordRequest{Id: g.RecordId})
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", g.RecordId, err)
		}
		return []recordstypes.Record{resp.Record}, nil
	}
	var out []recordstypes.Record
	err := EachPage(func(page *query.PageRequest) (*query.PageResponse, error) {
		resp, err := qc.RecordsByOwner(ctx, &recordstypes.QueryRecordsByOwnerRequest{
			Owner: g.Owner, Status: recordstypes.RecordStatusActive, Pagination: page,
		})
		if err != nil {
			return nil, err
		}
		for _, r := range resp.Records {
			if accesstypes.CoversKind(g.Kinds, r.Kind) {
				out = append(out, r)
			}
		}
		return resp.Pagination, nil
	})
	return out, err
}

// RotatedSize is the encrypted size of a payload of encryptedSize bytes
// once re-encrypted: the same size class, or for a payload stored before
// padding existed, the class its plaintext pads to now.
func RotatedSize(encryptedSize uint64) (uint64, error) {
	if sizeclass.IsClass(encryptedSize) {
		return encryptedSize, nil
	}
	plain, err := envelope.LegacyPlaintextSize(int64(encryptedSize))
	if err != nil {
		return 0, err
	}
	padded, err := envelope.EncryptedSize(plain)
	return uint64(padded), err
}
