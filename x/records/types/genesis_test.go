package types_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

func TestGenesisValidate(t *testing.T) {
	ac := addresscodec.NewBech32Codec("med")
	owner, err := ac.BytesToString([]byte("patient_____________"))
	require.NoError(t, err)
	other, err := ac.BytesToString([]byte("other_______________"))
	require.NoError(t, err)
	cidOf := func(data string) cid.Cid {
		h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
		require.NoError(t, err)
		return cid.NewCidV1(cid.Raw, h)
	}
	cidFor := func(id, v uint64) string { return cidOf(fmt.Sprintf("record %d v%d", id, v)).String() }
	c := cidFor(1, 1)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	record := func(id uint64) types.Record {
		return types.Record{
			Id: id, Owner: owner, Issuer: owner, Cid: cidFor(id, 1), Kind: types.RecordKindPDF, SizeBytes: 1,
			Version: 1, Status: types.RecordStatusActive, CreatedAt: at, UpdatedAt: at,
		}
	}
	version := func(id, v uint64) types.RecordVersion {
		return types.RecordVersion{RecordId: id, Version: v, Cid: cidFor(id, v), Issuer: owner, At: at}
	}
	valid := func() *types.GenesisState {
		return types.NewGenesisState(types.DefaultParams(), []types.Record{record(1), record(2)}, []types.RecordVersion{version(1, 1), version(2, 1)}, 3)
	}
	require.NoError(t, types.DefaultGenesis().Validate(ac))
	require.NoError(t, valid().Validate(ac))
	require.Error(t, valid().Validate(nil))

	for name, tc := range map[string]struct {
		edit    func(gs *types.GenesisState)
		wantErr error
	}{
		"bad params":              {func(gs *types.GenesisState) { gs.Params.MaxLabelLength = 0 }, types.ErrInvalidParams},
		"no version bound":        {func(gs *types.GenesisState) { gs.Params.MaxVersionsPerRecord = 0 }, types.ErrInvalidParams},
		"next id 0":               {func(gs *types.GenesisState) { gs.NextId = 0 }, types.ErrInvalidRecord},
		"next id not above max":   {func(gs *types.GenesisState) { gs.NextId = 2 }, types.ErrInvalidRecord},
		"duplicate record":        {func(gs *types.GenesisState) { gs.Records[1].Id = 1 }, types.ErrInvalidRecord},
		"record id 0":             {func(gs *types.GenesisState) { gs.Records[0].Id = 0 }, types.ErrInvalidRecord},
		"foreign owner":           {func(gs *types.GenesisState) { gs.Records[0].Owner = "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn" }, types.ErrInvalidAddress},
		"bad organisation":        {func(gs *types.GenesisState) { gs.Records[0].Organisation = "nope" }, types.ErrInvalidAddress},
		"CIDv0":                   {func(gs *types.GenesisState) { gs.Records[0].Cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" }, types.ErrInvalidCID},
		"non-canonical CID":       {func(gs *types.GenesisState) { gs.Records[0].Cid = mustBase58(t, c) }, types.ErrInvalidCID},
		"redacted with a CID":     {func(gs *types.GenesisState) { gs.Records[0].Status = types.RecordStatusRedacted }, types.ErrInvalidRecord},
		"no status":               {func(gs *types.GenesisState) { gs.Records[0].Status = 0 }, types.ErrInvalidRecord},
		"no kind":                 {func(gs *types.GenesisState) { gs.Records[0].Kind = 0 }, types.ErrInvalidKind},
		"plaintext label":         {func(gs *types.GenesisState) { gs.Records[0].SealedLabel = []byte("MRI knee") }, types.ErrInvalidLabel},
		"version 0":               {func(gs *types.GenesisState) { gs.Records[0].Version = 0 }, types.ErrInvalidRecord},
		"derived from itself":     {func(gs *types.GenesisState) { gs.Records[0].DerivedFrom = 1 }, types.ErrInvalidDerivedFrom},
		"derived from unknown":    {func(gs *types.GenesisState) { gs.Records[0].DerivedFrom = 9 }, types.ErrInvalidDerivedFrom},
		"derived across owners":   {func(gs *types.GenesisState) { gs.Records[1].Owner = other; gs.Records[1].DerivedFrom = 1 }, types.ErrInvalidDerivedFrom},
		"history of unknown":      {func(gs *types.GenesisState) { gs.History = append(gs.History, version(7, 1)) }, types.ErrInvalidHistory},
		"duplicate history":       {func(gs *types.GenesisState) { gs.History = append(gs.History, version(1, 1)) }, types.ErrInvalidHistory},
		"history beyond version":  {func(gs *types.GenesisState) { gs.History = append(gs.History, version(1, 2)) }, types.ErrInvalidHistory},
		"missing history":         {func(gs *types.GenesisState) { gs.History = gs.History[:1] }, types.ErrInvalidHistory},
		"history with bad issuer": {func(gs *types.GenesisState) { gs.History[0].Issuer = "x" }, types.ErrInvalidAddress},
		"one CID in two records": {func(gs *types.GenesisState) {
			gs.Records[1].Cid, gs.History[1].Cid = c, c
		}, types.ErrCIDInUse},
		"history CID other than the record's": {func(gs *types.GenesisState) { gs.History[0].Cid = cidFor(9, 9) }, types.ErrInvalidHistory},
		"live CID also released": {func(gs *types.GenesisState) {
			gs.ReleasedCids = []types.ReleasedCid{{CidHash: types.CIDHash(cidOf("record 1 v1")), Use: types.CidUse{RecordId: 1, Version: 1}}}
		}, types.ErrCIDInUse},
		"tombstone listed twice": {func(gs *types.GenesisState) {
			r := types.ReleasedCid{CidHash: types.CIDHash(cidOf("gone")), Use: types.CidUse{RecordId: 2, Version: 1}}
			gs.ReleasedCids = []types.ReleasedCid{r, r}
		}, types.ErrCIDInUse},
		"tombstone of a short hash": {func(gs *types.GenesisState) {
			gs.ReleasedCids = []types.ReleasedCid{{CidHash: []byte("short"), Use: types.CidUse{RecordId: 2, Version: 1}}}
		}, types.ErrInvalidHistory},
		"tombstone of an unknown record": {func(gs *types.GenesisState) {
			gs.ReleasedCids = []types.ReleasedCid{{CidHash: types.CIDHash(cidOf("gone")), Use: types.CidUse{RecordId: 9, Version: 1}}}
		}, types.ErrInvalidHistory},
		"history CID after redaction": {func(gs *types.GenesisState) {
			gs.Records[0].Status, gs.Records[0].Cid = types.RecordStatusRedacted, ""
		}, types.ErrInvalidRecord},
	} {
		t.Run(name, func(t *testing.T) {
			gs := valid()
			tc.edit(gs)
			require.ErrorIs(t, gs.Validate(ac), tc.wantErr)
		})
	}

	// A record with more versions than max_versions_per_record is valid:
	// params bind new writes only, and the owner's rotations take a
	// record past the bound.
	gs := valid()
	gs.Params.MaxVersionsPerRecord = 1
	gs.Records[0].Version, gs.Records[0].Cid = 2, cidFor(1, 2)
	gs.History = append(gs.History, version(1, 2))
	require.NoError(t, gs.Validate(ac))

	// A redacted record with erased history is valid.
	gs = valid()
	gs.Records[0].Status, gs.Records[0].Cid, gs.History[0].Cid = types.RecordStatusRedacted, "", ""
	require.NoError(t, gs.Validate(ac))
}

// Archive entries are checked on their own and against the records: a
// version of a record in the file, once, ARCHIVED while the record is
// ACTIVE and SHREDDED once it is redacted.
func TestGenesisValidateArchives(t *testing.T) {
	ac := addresscodec.NewBech32Codec("med")
	owner, err := ac.BytesToString([]byte("patient_____________"))
	require.NoError(t, err)
	hospital, err := ac.BytesToString([]byte("hospital____________"))
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	shreddedAt := at.Add(time.Hour)
	piece := func(name string) string { return sample.PieceCID(name) }
	recordCID := sample.CID(cid.Raw, "record 1")
	entry := func(version uint64, p string) types.ArchiveEntry {
		return types.ArchiveEntry{
			RecordId: 1, Version: version, PieceCid: piece(p), PieceSize: 1 << 30, Hospital: hospital, Provider: "f01234",
			DealRef: "deal", ExpiresAt: at.Add(365 * 24 * time.Hour), RecordedAt: at, Status: types.ArchiveStatusArchived,
		}
	}
	valid := func() *types.GenesisState {
		gs := types.NewGenesisState(types.DefaultParams(),
			[]types.Record{{
				Id: 1, Owner: owner, Issuer: owner, Cid: recordCID, Kind: types.RecordKindPDF, SizeBytes: 1,
				Version: 1, Status: types.RecordStatusActive, CreatedAt: at, UpdatedAt: at, ArchiveAllowed: true,
			}},
			[]types.RecordVersion{{RecordId: 1, Version: 1, Cid: recordCID, Issuer: owner, At: at}}, 2)
		gs.Archives = []types.ArchiveEntry{entry(1, "a"), entry(1, "b")}
		return gs
	}
	require.NoError(t, valid().Validate(ac))

	for name, tc := range map[string]struct {
		edit    func(gs *types.GenesisState)
		wantErr error
	}{
		"an unknown record":           {func(gs *types.GenesisState) { gs.Archives[0].RecordId = 2 }, types.ErrInvalidArchiveEntry},
		"a version the record lacks":  {func(gs *types.GenesisState) { gs.Archives[0].Version = 2 }, types.ErrInvalidArchiveEntry},
		"version 0":                   {func(gs *types.GenesisState) { gs.Archives[0].Version = 0 }, types.ErrInvalidArchiveEntry},
		"listed twice":                {func(gs *types.GenesisState) { gs.Archives[1] = gs.Archives[0] }, types.ErrInvalidArchiveEntry},
		"a record's CID as the piece": {func(gs *types.GenesisState) { gs.Archives[0].PieceCid = recordCID }, types.ErrInvalidPieceCID},
		"a piece CID not canonical": {func(gs *types.GenesisState) {
			gs.Archives[0].PieceCid, _ = cid.MustParse(gs.Archives[0].PieceCid).StringOfBase('z')
		}, types.ErrInvalidPieceCID},
		"a piece size not a power of two": {func(gs *types.GenesisState) { gs.Archives[0].PieceSize = 1000 }, types.ErrInvalidPieceSize},
		"a malformed hospital":            {func(gs *types.GenesisState) { gs.Archives[0].Hospital = "hospital" }, types.ErrInvalidAddress},
		"no provider":                     {func(gs *types.GenesisState) { gs.Archives[0].Provider = "" }, types.ErrInvalidProvider},
		"a deal_ref with a newline":       {func(gs *types.GenesisState) { gs.Archives[0].DealRef = "a\nb" }, types.ErrInvalidDealRef},
		"expiring when recorded":          {func(gs *types.GenesisState) { gs.Archives[0].ExpiresAt = at }, types.ErrInvalidExpiry},
		"no status":                       {func(gs *types.GenesisState) { gs.Archives[0].Status = 0 }, types.ErrInvalidArchiveEntry},
		"an unknown status":               {func(gs *types.GenesisState) { gs.Archives[0].Status = 7 }, types.ErrInvalidArchiveEntry},
		"ARCHIVED with shredded_at":       {func(gs *types.GenesisState) { gs.Archives[0].ShreddedAt = &shreddedAt }, types.ErrInvalidArchiveEntry},
		"SHREDDED without shredded_at": {func(gs *types.GenesisState) {
			gs.Records[0].Status, gs.Records[0].Cid, gs.History[0].Cid = types.RecordStatusRedacted, "", ""
			gs.Archives[0].Status, gs.Archives[1].Status, gs.Archives[1].ShreddedAt = types.ArchiveStatusShredded, types.ArchiveStatusShredded, &shreddedAt
		}, types.ErrInvalidArchiveEntry},
		"SHREDDED of an ACTIVE record": {func(gs *types.GenesisState) {
			gs.Archives[0].Status, gs.Archives[0].ShreddedAt = types.ArchiveStatusShredded, &shreddedAt
		}, types.ErrInvalidArchiveEntry},
		"ARCHIVED of a REDACTED record": {func(gs *types.GenesisState) {
			gs.Records[0].Status, gs.Records[0].Cid, gs.History[0].Cid = types.RecordStatusRedacted, "", ""
		}, types.ErrInvalidArchiveEntry},
	} {
		t.Run(name, func(t *testing.T) {
			gs := valid()
			tc.edit(gs)
			require.ErrorIs(t, gs.Validate(ac), tc.wantErr)
		})
	}

	// A redacted record's entries, all SHREDDED, are valid; so are more
	// entries than params allow now (params bind new entries only).
	gs := valid()
	gs.Records[0].Status, gs.Records[0].Cid, gs.History[0].Cid = types.RecordStatusRedacted, "", ""
	for i := range gs.Archives {
		gs.Archives[i].Status, gs.Archives[i].ShreddedAt = types.ArchiveStatusShredded, &shreddedAt
	}
	require.NoError(t, gs.Validate(ac))
	gs = valid()
	gs.Params.MaxArchiveEntriesPerVersion = 1
	require.NoError(t, gs.Validate(ac))
}

func mustBase58(t *testing.T, s string) string {
	t.Helper()
	out, err := cid.MustParse(s).StringOfBase('z')
	require.NoError(t, err)
	return out
}
