package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/types"
)

// RecordArchive records that the ciphertext of record versions is stored in
// one Filecoin piece, by an ACTIVE hospital that made the deal. Each
// version gets an ArchiveEntry under (record, version, piece). Every item
// is checked before anything is written, so a message with one bad item
// records nothing:
//
//   - the signer is an ACTIVE hospital itself (not a practitioner, another
//     kind of organisation, a suspended hospital or a patient);
//   - the piece (CommP, size), the provider, the deal reference and an
//     expiry after the block time are well formed;
//   - 1 to types.MaxArchivedVersionsPerMsg versions, none twice;
//   - each version exists, is live (its CID is in the live index: the record
//     is ACTIVE and the version is of its current key epoch), and params
//     archive_policy lets its record be archived (NONE: none; CONSENT:
//     only records whose owner allowed it; ALL: all);
//   - the version holds fewer than params max_archive_entries_per_version
//     entries, unless this one exists already;
//   - an existing entry (same record, version and piece) is the signer's:
//     then it is a renewal, which replaces provider, deal_ref and
//     expires_at. Another hospital's entry is refused.
func (k msgServer) RecordArchive(ctx context.Context, msg *types.MsgRecordArchive) (*types.MsgRecordArchiveResponse, error) {
	hospital, err := k.archivingHospital(ctx, msg.Hospital)
	if err != nil {
		return nil, err
	}
	piece, err := types.ValidatePieceCID(msg.PieceCid)
	if err != nil {
		return nil, err
	}
	if err := types.ValidatePieceSize(msg.PieceSize); err != nil {
		return nil, err
	}
	if err := types.ValidateProvider(msg.Provider); err != nil {
		return nil, err
	}
	if err := types.ValidateDealRef(msg.DealRef); err != nil {
		return nil, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if !msg.ExpiresAt.After(now) {
		return nil, errorsmod.Wrapf(types.ErrInvalidExpiry,
			"expires_at %s is not after the block time %s: record a deal that is still running",
			msg.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if err := types.ValidateArchivedVersionsShape(msg.Versions); err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if params.ArchivePolicy == types.ArchivePolicyNone {
		return nil, errorsmod.Wrap(types.ErrArchiveNotAllowed,
			"params archive_policy is ARCHIVE_POLICY_NONE: governance allows no record to be archived")
	}

	proposed := types.ArchiveEntry{
		PieceCid: piece.String(), PieceSize: msg.PieceSize, Hospital: hospital,
		Provider: msg.Provider, DealRef: msg.DealRef, ExpiresAt: msg.ExpiresAt,
		RecordedAt: now, Status: types.ArchiveStatusArchived,
	}
	entries := make([]types.ArchiveEntry, 0, len(msg.Versions))
	var (
		renewed   uint32
		recordIDs []uint64
		listed    = map[uint64]bool{}
	)
	for i, v := range msg.Versions {
		entry, renewal, err := k.plannedArchiveEntry(ctx, params, proposed, v)
		if err != nil {
			return nil, errorsmod.Wrapf(err, "versions[%d]", i)
		}
		if renewal {
			renewed++
		}
		entries = append(entries, entry)
		if !listed[v.RecordId] {
			listed[v.RecordId] = true
			recordIDs = append(recordIDs, v.RecordId)
		}
	}

	for _, e := range entries {
		if err := k.Archives.Set(ctx, collections.Join3(e.RecordId, e.Version, e.PieceCid), e); err != nil {
			return nil, errorsmod.Wrapf(err, "storing the archive entry of version %d of record %d", e.Version, e.RecordId)
		}
	}
	if err := emit(ctx, &types.EventArchiveRecorded{
		Hospital: hospital, PieceCid: proposed.PieceCid, Count: uint32(len(entries)), RecordIds: recordIDs,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRecordArchiveResponse{Added: uint32(len(entries)) - renewed, Renewed: renewed}, nil
}

// archivingHospital checks that addr is an ACTIVE hospital acting as
// itself, and returns its canonical address. Only a hospital runs a vault
// and makes deals for its ciphertext; its practitioners act for it on
// records, not on its storage.
func (k Keeper) archivingHospital(ctx context.Context, addr string) (string, error) {
	bz, err := k.decodeAddress("hospital", addr)
	if err != nil {
		return "", err
	}
	canonical, err := k.addressCodec.BytesToString(bz)
	if err != nil {
		return "", err
	}
	auth, err := k.issuers.IsAuthorised(ctx, bz)
	if err != nil {
		return "", err
	}
	switch {
	case auth.Organisation == "":
		return "", errorsmod.Wrapf(types.ErrNotHospital,
			"%s is not a registered hospital (%s): only a hospital records where its vault archived records", canonical, auth.Reason)
	case auth.Organisation != canonical:
		return "", errorsmod.Wrapf(types.ErrNotHospital,
			"%s is a practitioner of %s; the hospital itself signs its archive entries", canonical, auth.Organisation)
	case auth.Kind != issuerstypes.IssuerKindHospital:
		return "", errorsmod.Wrapf(types.ErrNotHospital,
			"%s is registered as a %s, not a HOSPITAL: only hospitals run vaults and archive them", canonical, auth.Kind.Label())
	case !auth.Authorised:
		return "", errorsmod.Wrapf(types.ErrNotHospital, "%s may not record archive entries: %s", canonical, auth.Reason)
	}
	return canonical, nil
}

// plannedArchiveEntry checks one version of a MsgRecordArchive against
// state and returns the entry to store: proposed for that version, or the
// signer's existing entry renewed (renewal true). It writes nothing.
func (k Keeper) plannedArchiveEntry(ctx context.Context, params types.Params, proposed types.ArchiveEntry, v types.ArchivedVersion) (types.ArchiveEntry, bool, error) {
	record, err := k.getRecord(ctx, v.RecordId)
	if err != nil {
		return types.ArchiveEntry{}, false, err
	}
	if record.Status == types.RecordStatusRedacted {
		return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrRecordRedacted,
			"record %d is redacted: nothing of it may be archived", record.Id)
	}
	hv, err := k.History.Get(ctx, collections.Join(v.RecordId, v.Version))
	if errors.Is(err, collections.ErrNotFound) {
		return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrVersionNotFound,
			"record %d has no version %d (its versions are 1 to %d)", record.Id, v.Version, record.Version)
	}
	if err != nil {
		return types.ArchiveEntry{}, false, err
	}
	if live, err := k.isLiveVersion(ctx, hv); err != nil {
		return types.ArchiveEntry{}, false, err
	} else if !live {
		return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrVersionNotLive,
			"version %d of record %d was released by a key rotation (key epoch %d, the record is at %d): "+
				"archive versions of the current key epoch only", v.Version, record.Id, hv.KeyEpoch, record.KeyEpoch)
	}
	if why := types.ArchiveRefusal(params, record); why != "" {
		return types.ArchiveEntry{}, false, errorsmod.Wrap(types.ErrArchiveNotAllowed, why)
	}

	key := collections.Join3(v.RecordId, v.Version, proposed.PieceCid)
	existing, err := k.Archives.Get(ctx, key)
	switch {
	case err == nil:
		if existing.Hospital != proposed.Hospital {
			return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrArchiveEntryTaken,
				"%s recorded version %d of record %d in piece %s; only it may renew that entry", existing.Hospital, v.Version, v.RecordId, proposed.PieceCid)
		}
		if existing.PieceSize != proposed.PieceSize {
			return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrInvalidPieceSize,
				"piece %s was recorded with piece_size %d, not %d: a piece CID commits to its size", proposed.PieceCid, existing.PieceSize, proposed.PieceSize)
		}
		existing.Provider, existing.DealRef, existing.ExpiresAt = proposed.Provider, proposed.DealRef, proposed.ExpiresAt
		return existing, true, nil
	case !errors.Is(err, collections.ErrNotFound):
		return types.ArchiveEntry{}, false, err
	}

	count, mine, err := k.countArchiveEntries(ctx, v.RecordId, v.Version, proposed.Hospital)
	if err != nil {
		return types.ArchiveEntry{}, false, err
	}
	if count >= uint64(params.MaxArchiveEntriesPerVersion) {
		return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrTooManyArchiveEntries,
			"version %d of record %d is in %d pieces and the limit (params max_archive_entries_per_version) is %d; "+
				"renew one of its entries instead (the same piece CID)", v.Version, v.RecordId, count, params.MaxArchiveEntriesPerVersion)
	}
	if share := types.ArchiveEntriesPerHospital(params); mine >= share {
		return types.ArchiveEntry{}, false, errorsmod.Wrapf(types.ErrTooManyArchiveEntries,
			"%s holds %d of the %d archive entries version %d of record %d may have, and one hospital may hold at most %d "+
				"(half, so that no hospital can take every slot); renew one of its entries instead (the same piece CID)",
			proposed.Hospital, mine, params.MaxArchiveEntriesPerVersion, v.Version, v.RecordId, share)
	}
	entry := proposed
	entry.RecordId, entry.Version = v.RecordId, v.Version
	return entry, false, nil
}

// isLiveVersion reports whether a history entry's CID is in the live index
// under that very version.
func (k Keeper) isLiveVersion(ctx context.Context, v types.RecordVersion) (bool, error) {
	if v.Cid == "" {
		return false, nil
	}
	use, err := k.LiveCids.Get(ctx, v.Cid)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the live index: %w", err)
	}
	return use.RecordId == v.RecordId && use.Version == v.Version, nil
}

// countArchiveEntries counts the archive entries of one record version,
// and how many of them hospital recorded.
func (k Keeper) countArchiveEntries(ctx context.Context, recordID, version uint64, hospital string) (all, mine uint64, err error) {
	rng := collections.NewSuperPrefixedTripleRange[uint64, uint64, string](recordID, version)
	err = k.Archives.Walk(ctx, rng, func(_ collections.Triple[uint64, uint64, string], e types.ArchiveEntry) (bool, error) {
		all++
		if e.Hospital == hospital {
			mine++
		}
		return false, nil
	})
	return all, mine, err
}

// releaseArchives marks the ARCHIVED entries of versions a key rotation
// released RELEASED at the block time: their pieces hold ciphertext under
// the earlier record key, no longer a live payload. It returns how many it
// marked.
func (k Keeper) releaseArchives(ctx context.Context, versions []types.RecordVersion) (int, error) {
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	var released []types.ArchiveEntry
	for _, v := range versions {
		err := k.Archives.Walk(ctx, collections.NewSuperPrefixedTripleRange[uint64, uint64, string](v.RecordId, v.Version),
			func(_ collections.Triple[uint64, uint64, string], e types.ArchiveEntry) (bool, error) {
				if e.Status == types.ArchiveStatusArchived {
					released = append(released, e)
				}
				return false, nil
			})
		if err != nil {
			return 0, fmt.Errorf("reading the archive entries of version %d of record %d: %w", v.Version, v.RecordId, err)
		}
	}
	for _, e := range released {
		e.Status, e.ReleasedAt = types.ArchiveStatusReleased, &now
		if err := k.Archives.Set(ctx, collections.Join3(e.RecordId, e.Version, e.PieceCid), e); err != nil {
			return 0, fmt.Errorf("releasing the archive entry of version %d of record %d: %w", e.Version, e.RecordId, err)
		}
	}
	return len(released), nil
}

// shredArchives marks every ARCHIVED or RELEASED entry of a record SHREDDED at the
// block time: the record's redaction deleted the wraps of its key, so the
// ciphertext the pieces keep until their deals end opens for nobody. It
// returns the entries it marked and the pieces that held them, each once.
func (k Keeper) shredArchives(ctx context.Context, recordID uint64) (uint32, []string, error) {
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	var shredded []types.ArchiveEntry
	err := k.Archives.Walk(ctx, collections.NewPrefixedTripleRange[uint64, uint64, string](recordID),
		func(_ collections.Triple[uint64, uint64, string], e types.ArchiveEntry) (bool, error) {
			if e.Status == types.ArchiveStatusArchived || e.Status == types.ArchiveStatusReleased {
				shredded = append(shredded, e)
			}
			return false, nil
		})
	if err != nil {
		return 0, nil, fmt.Errorf("reading the archive entries of record %d: %w", recordID, err)
	}
	var (
		pieces []string
		seen   = map[string]bool{}
	)
	for _, e := range shredded {
		e.Status, e.ShreddedAt = types.ArchiveStatusShredded, &now
		if err := k.Archives.Set(ctx, collections.Join3(e.RecordId, e.Version, e.PieceCid), e); err != nil {
			return 0, nil, fmt.Errorf("shredding the archive entry of version %d of record %d: %w", e.Version, e.RecordId, err)
		}
		if !seen[e.PieceCid] {
			seen[e.PieceCid] = true
			pieces = append(pieces, e.PieceCid)
		}
	}
	return uint32(len(shredded)), pieces, nil
}
