package keeper_test

import (
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/sample"
	issuerstypes "github.com/medchain/medchain/x/issuers/types"
	"github.com/medchain/medchain/x/records/keeper"
	"github.com/medchain/medchain/x/records/types"
)

// TestCIDHijackRefused is the attack of a stranger with a funded account:
// a hand-built MsgCreateRecord that names another patient's CID under a
// record of their own, which they could then redact to make vaults drop
// the payload. Every kind of signer is refused, whatever state the victim's
// CID is in.
func TestCIDHijackRefused(t *testing.T) {
	f := newFixture(t)
	victim := f.mustCreate(t, f.createMsg(t, f.patient, "alice's MRI"))
	liveCID := sample.CID(cid.DagProtobuf, "alice's MRI")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, victim, "alice's MRI v2"))
	require.NoError(t, err)
	gone := f.mustCreate(t, f.createMsg(t, f.patient, "redacted scan"))
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: gone})
	require.NoError(t, err)
	rotated := f.mustCreate(t, f.createMsg(t, f.patient, "rotated scan"))
	_, err = f.rotateKey(f.freshCtx(), rotated, sample.CID(cid.DagProtobuf, "rotated scan, new key"), 2048, nil, f.patient)
	require.NoError(t, err)

	cids := map[string]string{
		"the current version of a live record": sample.CID(cid.Raw, "alice's MRI v2"),
		"an earlier version of a live record":  liveCID,
		"a redacted record's version":          sample.CID(cid.DagProtobuf, "redacted scan"),
		"a version released by a rotation":     sample.CID(cid.DagProtobuf, "rotated scan"),
	}
	// The same CID in another multibase is the same CID.
	b58, err := cid.MustParse(liveCID).StringOfBase('z')
	require.NoError(t, err)
	cids["an earlier version, spelled in base58"] = b58

	signers := map[string]struct{ creator, owner string }{
		"another patient, for themself": {f.otherPatient, f.otherPatient},
		"a stranger, for themself":      {f.stranger, f.stranger},
		"the owner, again":              {f.patient, f.patient},
		"an issuer with WRITE":          {f.hospital, f.patient},
		"a practitioner with WRITE":     {f.doctor, f.patient},
	}
	for what, c := range cids {
		for who, s := range signers {
			t.Run(who+" reusing "+what, func(t *testing.T) {
				msg := f.createMsg(t, s.creator, "unused")
				msg.Owner, msg.Cid = s.owner, c
				msg.Wraps = []types.KeyWrap{f.wrap(t, s.owner)}
				requireRejected(t, f, types.ErrCIDInUse, "", func(ctx sdk.Context) (any, error) {
					return result(f.msgServer.CreateRecord(ctx, msg))
				})
			})
		}
		t.Run("a rotation to "+what, func(t *testing.T) {
			live := f.mustCreate(t, f.createMsg(t, f.patient, "to rotate "+what))
			requireRejected(t, f, types.ErrCIDInUse, "", func(ctx sdk.Context) (any, error) {
				r, err := f.rotateKey(ctx, live, c, 2048, nil, f.patient)
				if err != nil {
					return nil, err
				}
				return r, nil
			})
		})
	}
}

// TestRedactionReleasesOnlyItsOwnCIDs: an owner's redaction releases the
// CIDs of that record and no other, and ByCid answers for every state.
func TestRedactionReleasesOnlyItsOwnCIDs(t *testing.T) {
	f := newFixture(t)
	keep := f.mustCreate(t, f.createMsg(t, f.patient, "keep"))
	drop := f.mustCreate(t, f.createMsg(t, f.patient, "drop"))
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, drop, "drop v2"))
	require.NoError(t, err)

	live := func() []types.LiveCid {
		resp, err := f.querier.LiveCids(f.ctx, &types.QueryLiveCidsRequest{})
		require.NoError(t, err)
		return resp.Cids
	}
	require.ElementsMatch(t, []types.LiveCid{
		{Cid: sample.CID(cid.DagProtobuf, "keep"), RecordId: keep, Version: 1},
		{Cid: sample.CID(cid.DagProtobuf, "drop"), RecordId: drop, Version: 1},
		{Cid: sample.CID(cid.Raw, "drop v2"), RecordId: drop, Version: 2},
	}, live())

	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: drop})
	require.NoError(t, err)
	require.Equal(t, []types.LiveCid{{Cid: sample.CID(cid.DagProtobuf, "keep"), RecordId: keep, Version: 1}}, live())

	got, err := f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: sample.CID(cid.Raw, "drop v2")})
	require.NoError(t, err)
	require.Equal(t, &types.QueryByCidResponse{Cid: sample.CID(cid.Raw, "drop v2"), RecordId: drop, Version: 2, Live: false}, got)
	got, err = f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: sample.CID(cid.DagProtobuf, "keep")})
	require.NoError(t, err)
	require.Equal(t, &types.QueryByCidResponse{Cid: sample.CID(cid.DagProtobuf, "keep"), RecordId: keep, Version: 1, Live: true}, got)
	_, err = f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: sample.CID(cid.Raw, "never used")})
	require.ErrorContains(t, err, "no record has ever used")
	_, err = f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: "garbage"})
	require.ErrorContains(t, err, "is not a CID")

	// The redacted record's CIDs are nowhere in state in the clear: the
	// tombstones hold hashes, the history holds nothing.
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NotContains(t, exported.String(), sample.CID(cid.Raw, "drop v2"))
	require.Len(t, exported.ReleasedCids, 2)
}

// TestRotationReleasesThePreviousEpoch: after a rotation only the new
// version is live, the old epoch's CIDs are tombstones, and the genesis
// round trip keeps both.
func TestRotationReleasesThePreviousEpoch(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "epoch 0"))
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, "epoch 0 v2"))
	require.NoError(t, err)
	newCID := sample.CID(cid.DagProtobuf, "epoch 1")
	_, err = f.rotateKey(f.freshCtx(), id, newCID, 4096, nil, f.patient)
	require.NoError(t, err)

	resp, err := f.querier.LiveCids(f.ctx, &types.QueryLiveCidsRequest{})
	require.NoError(t, err)
	require.Equal(t, []types.LiveCid{{Cid: newCID, RecordId: id, Version: 3}}, resp.Cids)
	old, err := f.querier.ByCid(f.ctx, &types.QueryByCidRequest{Cid: sample.CID(cid.DagProtobuf, "epoch 0")})
	require.NoError(t, err)
	require.False(t, old.Live)
	require.Equal(t, uint64(1), old.Version)

	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Len(t, exported.ReleasedCids, 2)
	g := newFixture(t)
	require.NoError(t, g.keeper.InitGenesis(g.ctx, exported))
	again, err := g.keeper.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	after, err := g.querier.LiveCids(g.ctx, &types.QueryLiveCidsRequest{})
	require.NoError(t, err)
	require.Equal(t, resp.Cids, after.Cids, "the live index is rebuilt on import")
	msg := g.createMsg(t, g.patient, "epoch 0")
	requireRejected(t, g, types.ErrCIDInUse, "released", func(ctx sdk.Context) (any, error) {
		return result(g.msgServer.CreateRecord(ctx, msg))
	})
}

// TestWriterCannotReplaceWraps: a writer holding WRITE but not READ adds a
// version; the owner's wraps are those of before, so every earlier version
// stays readable, and a writer who sends wraps at all is refused.
func TestWriterCannotReplaceWraps(t *testing.T) {
	f := newFixture(t)
	id := f.mustCreate(t, f.createMsg(t, f.patient, "v1"))
	before := len(f.access.wrapped)

	garbage := types.KeyWrap{Grantee: f.patient, KeyId: "k", Ciphertext: []byte("random bytes, not a wrap"), RecordId: id}
	msg := f.versionMsg(t, f.hospital, id, "v2 by the hospital")
	msg.Wraps = []types.KeyWrap{garbage}
	requireRejected(t, f, types.ErrInvalidWraps, "only the owner may replace the wraps", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.AddVersion(ctx, msg))
	})

	msg.Wraps = nil
	_, err := f.msgServer.AddVersion(f.freshCtx(), msg)
	require.NoError(t, err)
	require.Equal(t, before, len(f.access.wrapped), "a writer's version hands no wraps to x/access, so the stored ones stay")
}

// TestMigrate1to2BuildsTheCIDIndex: a chain of consensus version 1 has
// records but no CID index; the migration builds the same index the
// handlers would have kept (live versions, rotation tombstones).
func TestMigrate1to2BuildsTheCIDIndex(t *testing.T) {
	f := newFixture(t)
	a := f.mustCreate(t, f.createMsg(t, f.patient, "a"))
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, a, "a v2"))
	require.NoError(t, err)
	b := f.mustCreate(t, f.createMsg(t, f.patient, "b"))
	_, err = f.rotateKey(f.freshCtx(), b, sample.CID(cid.DagProtobuf, "b rotated"), 10, nil, f.patient)
	require.NoError(t, err)
	want, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	live, err := f.querier.LiveCids(f.ctx, &types.QueryLiveCidsRequest{})
	require.NoError(t, err)

	require.NoError(t, f.keeper.LiveCids.Clear(f.ctx, nil))
	require.NoError(t, f.keeper.ReleasedCids.Clear(f.ctx, nil))
	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate1to2(f.ctx))

	got, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, want, got)
	again, err := f.querier.LiveCids(f.ctx, &types.QueryLiveCidsRequest{})
	require.NoError(t, err)
	require.Equal(t, live.Cids, again.Cids)
	msg := f.createMsg(t, f.otherPatient, "a")
	msg.Owner, msg.Wraps = f.otherPatient, []types.KeyWrap{f.wrap(t, f.otherPatient)}
	requireRejected(t, f, types.ErrCIDInUse, "", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.CreateRecord(ctx, msg))
	})
}

// TestPlacementQuery: the placement lists replication_factor of the ACTIVE
// hospitals with vaults, the same for a CID in any spelling, and all of
// them when there are fewer.
func TestPlacementQuery(t *testing.T) {
	f := newFixture(t)
	for i, name := range []string{"h-a", "h-b", "h-c", "h-d"} {
		addr, err := f.addressCodec.BytesToString(sample.Addr(name))
		require.NoError(t, err)
		f.issuers.vaults = append(f.issuers.vaults, issuerstypes.Issuer{Address: addr, VaultUrl: fmt.Sprintf("http://127.0.0.1:%d", 27005+10*i)})
	}
	c := sample.CID(cid.DagProtobuf, "payload")
	got, err := f.querier.Placement(f.ctx, &types.QueryPlacementRequest{Cid: c})
	require.NoError(t, err)
	require.EqualValues(t, types.DefaultReplicationFactor, got.ReplicationFactor)
	require.Len(t, got.Replicas, 3)
	b58, err := cid.MustParse(c).StringOfBase('z')
	require.NoError(t, err)
	again, err := f.querier.Placement(f.ctx, &types.QueryPlacementRequest{Cid: b58})
	require.NoError(t, err)
	require.Equal(t, got, again)

	vaults, err := f.querier.Vaults(f.ctx, &types.QueryVaultsRequest{})
	require.NoError(t, err)
	require.Len(t, vaults.Vaults, 4)

	f.issuers.vaults = f.issuers.vaults[:2]
	got, err = f.querier.Placement(f.ctx, &types.QueryPlacementRequest{Cid: c})
	require.NoError(t, err)
	require.Len(t, got.Replicas, 2, "fewer hospitals than the factor: all of them")
	_, err = f.querier.Placement(f.ctx, &types.QueryPlacementRequest{Cid: "nope"})
	require.Error(t, err)
}

// TestMigrate2to3ErasesPlaintextLabels: version 2 stored labels in the
// clear, and their bytes now decode as sealed_label; the migration erases
// them, sets the epoch CID the handlers would have set, and changes nothing
// else.
func TestMigrate2to3ErasesPlaintextLabels(t *testing.T) {
	f := newFixture(t)
	a := f.mustCreate(t, f.createMsg(t, f.patient, "a"))
	b := f.mustCreate(t, f.createMsg(t, f.patient, "b"))
	for _, id := range []uint64{a, b} {
		r, err := f.keeper.Records.Get(f.ctx, id)
		require.NoError(t, err)
		r.SealedLabel = nil
		require.NoError(t, f.keeper.Records.Set(f.ctx, id, r))
	}
	want, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	r, err := f.keeper.Records.Get(f.ctx, a)
	require.NoError(t, err)
	r.SealedLabel = []byte("MRI knee") // as version 2 stored it
	r.EpochCid = ""                    // new in version 3
	require.NoError(t, f.keeper.Records.Set(f.ctx, a, r))

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate2to3(f.ctx))
	got, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NoError(t, got.Validate(addresscodec.NewBech32Codec(bech32Prefix)))
}

// twinOf is c under the other codec a record may use (raw <-> dag-pb):
// the same multihash, so the same block in every vault.
func twinOf(t testing.TB, c string) string {
	t.Helper()
	parsed := cid.MustParse(c)
	codec := uint64(cid.Raw)
	if parsed.Type() == cid.Raw {
		codec = cid.DagProtobuf
	}
	return cid.NewCidV1(codec, parsed.Hash()).String()
}

// TestCodecTwinRefused is the codec-twin attack: alice's payload is one
// raw block; bob registers, for a record of his own, the dag-pb CID with
// the same multihash, whose read ticket a vault would honour with alice's
// ciphertext. A CID whose multihash any record version ever used, under
// either codec, live or released, is refused to every kind of signer, in
// every message that claims a CID, and nothing is written.
func TestCodecTwinRefused(t *testing.T) {
	f := newFixture(t)
	alice := f.mustCreate(t, f.createMsg(t, f.patient, "alice's letter"))
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, alice, "alice's letter v2"))
	require.NoError(t, err)
	gone := f.mustCreate(t, f.createMsg(t, f.patient, "redacted note"))
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: gone})
	require.NoError(t, err)
	rotated := f.mustCreate(t, f.createMsg(t, f.patient, "rotated note"))
	_, err = f.rotateKey(f.freshCtx(), rotated, sample.CID(cid.Raw, "rotated note, new key"), 2048, nil, f.patient)
	require.NoError(t, err)

	twins := map[string]string{
		"the dag-pb twin of a live raw CID":       twinOf(t, sample.CID(cid.Raw, "alice's letter v2")),
		"the raw twin of a live dag-pb CID":       twinOf(t, sample.CID(cid.DagProtobuf, "alice's letter")),
		"the raw twin of a redacted version":      twinOf(t, sample.CID(cid.DagProtobuf, "redacted note")),
		"the raw twin of a version rotated away":  twinOf(t, sample.CID(cid.DagProtobuf, "rotated note")),
		"the dag-pb twin of a rotation's new CID": twinOf(t, sample.CID(cid.Raw, "rotated note, new key")),
	}
	b58, err := cid.MustParse(twins["the dag-pb twin of a live raw CID"]).StringOfBase('z')
	require.NoError(t, err)
	twins["the dag-pb twin of a live raw CID, in base58"] = b58

	signers := map[string]struct{ creator, owner string }{
		"another patient, for themself": {f.otherPatient, f.otherPatient},
		"a stranger, for themself":      {f.stranger, f.stranger},
		"the owner, again":              {f.patient, f.patient},
		"an issuer with WRITE":          {f.hospital, f.patient},
		"a practitioner with WRITE":     {f.doctor, f.patient},
	}
	for what, c := range twins {
		for who, s := range signers {
			t.Run(who+" registering "+what, func(t *testing.T) {
				msg := f.createMsg(t, s.creator, "unused")
				msg.Owner, msg.Cid = s.owner, c
				msg.Wraps = []types.KeyWrap{f.wrap(t, s.owner)}
				requireRejected(t, f, types.ErrCIDCodecTwin, "same multihash", func(ctx sdk.Context) (any, error) {
					return result(f.msgServer.CreateRecord(ctx, msg))
				})
			})
		}
		t.Run("a new version with "+what, func(t *testing.T) {
			own := f.mustCreate(t, f.createMsg(t, f.patient, "own record for "+what))
			msg := f.versionMsg(t, f.patient, own, "unused")
			msg.Cid = c
			requireRejected(t, f, types.ErrCIDCodecTwin, "same multihash", func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.AddVersion(ctx, msg))
			})
		})
		t.Run("a rotation to "+what, func(t *testing.T) {
			own := f.mustCreate(t, f.createMsg(t, f.patient, "to rotate to "+what))
			requireRejected(t, f, types.ErrCIDCodecTwin, "same multihash", func(ctx sdk.Context) (any, error) {
				r, err := f.rotateKey(ctx, own, c, 2048, nil, f.patient)
				if err != nil {
					return nil, err
				}
				return r, nil
			})
		})
	}
}
