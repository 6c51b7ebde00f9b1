package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"github.com/ipfs/go-cid"

	"github.com/medchain/medchain/x/records/types"
)

// checkCIDUnused refuses c if any record version ever used it: a live one
// (LiveCids) or one released by a redaction or a rotation (ReleasedCids).
// Without this a stranger could register someone else's CID under a record
// of their own and then release it, making vaults drop a payload that
// another record still points at.
//
// It refuses c's codec twins the same way (types.CodecTwins: the same
// multihash under the other accepted codec). Vaults store blocks by
// multihash, so a twin is another record's payload under a second name: a
// record that claimed it would get a read ticket for someone else's
// ciphertext. The twins are looked up in the same two collections, so the
// store layout stays as it is.
func (k Keeper) checkCIDUnused(ctx context.Context, c cid.Cid) error {
	if err := k.checkExactCIDUnused(ctx, c); err != nil {
		return err
	}
	for _, twin := range types.CodecTwins(c) {
		use, live, found, err := k.cidUse(ctx, twin)
		switch {
		case err != nil:
			return err
		case !found:
			continue
		case live:
			return errorsmod.Wrapf(types.ErrCIDCodecTwin,
				"%s has the same multihash as %s, version %d of record %d: a vault holds one block for both, so it would be "+
					"that record's payload; upload your own payload and use the CID the vault returns", c, twin, use.Version, use.RecordId)
		default:
			return errorsmod.Wrapf(types.ErrCIDCodecTwin,
				"%s has the same multihash as %s, once version %d of record %d and released since; "+
					"a payload's bytes belong to one record version for the chain's whole life, under any codec", c, twin, use.Version, use.RecordId)
		}
	}
	return nil
}

func (k Keeper) checkExactCIDUnused(ctx context.Context, c cid.Cid) error {
	use, live, found, err := k.cidUse(ctx, c)
	switch {
	case err != nil || !found:
		return err
	case live:
		return errorsmod.Wrapf(types.ErrCIDInUse,
			"%s is version %d of record %d; a CID belongs to one record version for the chain's whole life, "+
				"so upload the payload again (a fresh record key gives a new CID)", c, use.Version, use.RecordId)
	default:
		return errorsmod.Wrapf(types.ErrCIDInUse,
			"%s was version %d of record %d, released by a redaction or a key rotation; a released CID can never be used again",
			c, use.Version, use.RecordId)
	}
}

// cidUse looks c up, exactly as spelt in canonical form, among the live
// CIDs and the tombstones.
func (k Keeper) cidUse(ctx context.Context, c cid.Cid) (use types.CidUse, live, found bool, err error) {
	use, err = k.LiveCids.Get(ctx, c.String())
	switch {
	case err == nil:
		return use, true, true, nil
	case !errors.Is(err, collections.ErrNotFound):
		return use, false, false, errorsmod.Wrapf(err, "looking up CID %s", c)
	}
	use, err = k.ReleasedCids.Get(ctx, types.CIDHash(c))
	switch {
	case err == nil:
		return use, false, true, nil
	case !errors.Is(err, collections.ErrNotFound):
		return use, false, false, errorsmod.Wrapf(err, "looking up CID %s", c)
	}
	return types.CidUse{}, false, false, nil
}

// claimCID records c as the live CID of (recordID, version).
func (k Keeper) claimCID(ctx context.Context, c string, recordID, version uint64) error {
	if err := k.LiveCids.Set(ctx, c, types.CidUse{RecordId: recordID, Version: version}); err != nil {
		return errorsmod.Wrapf(err, "indexing CID %s of record %d", c, recordID)
	}
	return nil
}

// releaseCID moves c from the live index to the tombstones, unless the live
// index names another record (which uniqueness rules out; the check keeps a
// release by one record from ever touching another's CID).
func (k Keeper) releaseCID(ctx context.Context, cidStr string, recordID, version uint64) error {
	c, err := cid.Decode(cidStr)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidCID, "stored CID %q of record %d: %v", cidStr, recordID, err)
	}
	use, err := k.LiveCids.Get(ctx, c.String())
	switch {
	case err == nil && use.RecordId != recordID:
		return errorsmod.Wrapf(types.ErrCIDInUse, "CID %s is indexed for record %d, not %d", c, use.RecordId, recordID)
	case err == nil:
		version = use.Version
		if err := k.LiveCids.Remove(ctx, c.String()); err != nil {
			return errorsmod.Wrapf(err, "unindexing CID %s", c)
		}
	case !errors.Is(err, collections.ErrNotFound):
		return errorsmod.Wrapf(err, "looking up CID %s", c)
	}
	if err := k.ReleasedCids.Set(ctx, types.CIDHash(c), types.CidUse{RecordId: recordID, Version: version}); err != nil {
		return errorsmod.Wrapf(err, "keeping the tombstone of CID %s", c)
	}
	return nil
}
