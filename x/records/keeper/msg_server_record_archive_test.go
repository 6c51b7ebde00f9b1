package keeper_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/records/types"
)

// archiveExpiry is when the tests' deals end: 540 days after genesis, as a
// Filecoin deal of about 18 months would.
var archiveExpiry = genesisTime.Add(540 * 24 * time.Hour)

// pieceSize is the tests' padded piece size: 32 GiB.
const pieceSize = 1 << 35

func av(id, version uint64) types.ArchivedVersion {
	return types.ArchivedVersion{RecordId: id, Version: version}
}

// archiveMsg is a valid MsgRecordArchive by hospital of versions in the
// piece named piece.
func archiveMsg(hospital, piece string, versions ...types.ArchivedVersion) *types.MsgRecordArchive {
	return &types.MsgRecordArchive{
		Hospital: hospital, PieceCid: sample.PieceCID(piece), PieceSize: pieceSize,
		Provider: "f01234", DealRef: "deal 1 of " + piece, ExpiresAt: archiveExpiry, Versions: versions,
	}
}

// archivable creates a record of the patient, by creator, whose owner
// allows archiving it.
func (f fixture) archivable(t testing.TB, creator, data string) uint64 {
	t.Helper()
	id := f.mustCreate(t, f.createMsg(t, creator, data))
	f.setArchiveConsent(t, id, true)
	return id
}

// mustArchive records msg, which must pass.
func (f fixture) mustArchive(t testing.TB, msg *types.MsgRecordArchive) *types.MsgRecordArchiveResponse {
	t.Helper()
	resp, err := f.msgServer.RecordArchive(f.freshCtx(), msg)
	require.NoError(t, err)
	return resp
}

// archiveEntry reads the entry of version of record id in piece.
func (f fixture) archiveEntry(t testing.TB, id, version uint64, piece string) types.ArchiveEntry {
	t.Helper()
	e, err := f.keeper.Archives.Get(f.ctx, collections.Join3(id, version, sample.PieceCID(piece)))
	require.NoError(t, err)
	return e
}

// setArchiveParams sets the archive params, keeping the others.
func (f fixture) setArchiveParams(t testing.TB, policy types.ArchivePolicy, maxEntries uint32) {
	t.Helper()
	p, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	p.ArchivePolicy, p.MaxArchiveEntriesPerVersion = policy, maxEntries
	require.NoError(t, p.Validate())
	require.NoError(t, f.keeper.Params.Set(f.ctx, p))
}

// A hospital records three versions of two records in one piece: one
// entry each, as the message said, with the piece's canonical CID, the
// block time and status ARCHIVED; one event names the piece and the
// records.
func TestRecordArchiveAccepted(t *testing.T) {
	f := newFixture(t)
	scan := f.archivable(t, f.doctor, "scan v1")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.doctor, scan, "scan v2"))
	require.NoError(t, err)
	labs := f.archivable(t, f.patient, "labs")
	untouched := f.archivable(t, f.patient, "not in this piece")

	f.ctx = f.ctx.WithBlockTime(genesisTime.Add(time.Hour))
	msg := archiveMsg(f.hospital, "aggregate 1", av(scan, 2), av(labs, 1), av(scan, 1))
	base58, err := cid.MustParse(msg.PieceCid).StringOfBase('z')
	require.NoError(t, err)
	msg.PieceCid = base58 // any multibase; stored canonical
	ctx := f.freshCtx()
	resp, err := f.msgServer.RecordArchive(ctx, msg)
	require.NoError(t, err)
	require.Equal(t, &types.MsgRecordArchiveResponse{Added: 3}, resp)
	events.RequireSingle(t, ctx, &types.EventArchiveRecorded{
		Hospital: f.hospital, PieceCid: sample.PieceCID("aggregate 1"), Count: 3, RecordIds: []uint64{scan, labs},
	})

	for _, v := range []types.ArchivedVersion{av(scan, 1), av(scan, 2), av(labs, 1)} {
		require.Equal(t, types.ArchiveEntry{
			RecordId: v.RecordId, Version: v.Version, PieceCid: sample.PieceCID("aggregate 1"), PieceSize: pieceSize,
			Hospital: f.hospital, Provider: "f01234", DealRef: "deal 1 of aggregate 1", ExpiresAt: archiveExpiry,
			RecordedAt: genesisTime.Add(time.Hour), Status: types.ArchiveStatusArchived,
		}, f.archiveEntry(t, v.RecordId, v.Version, "aggregate 1"))
	}
	resp2, err := f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: untouched})
	require.NoError(t, err)
	require.Empty(t, resp2.Entries)
}

// Who may record an archive entry: an ACTIVE hospital itself, whichever
// hospital issued the record. Everyone else is refused and nothing is
// written.
func TestRecordArchiveSigners(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.doctor, "scan")

	for name, hospital := range map[string]string{
		"the hospital of the record's practitioner": f.hospital,
		"another hospital":                          f.hospitalB,
		"the hospital whose vault took the upload":  f.vault.Address,
	} {
		t.Run(name, func(t *testing.T) {
			resp := f.mustArchive(t, archiveMsg(hospital, "piece of "+name, av(id, 1)))
			require.Equal(t, uint32(1), resp.Added)
			require.Equal(t, hospital, f.archiveEntry(t, id, 1, "piece of "+name).Hospital)
		})
	}

	for _, tc := range []struct {
		name, signer string
		wantErr      error
		wantMsg      string
	}{
		{"the record's owner", f.patient, types.ErrNotHospital, "is not a registered hospital"},
		{"another patient", f.otherPatient, types.ErrNotHospital, "is not a registered hospital"},
		{"a grantee of the owner", f.grantee, types.ErrNotHospital, "is not a registered hospital"},
		{"the record's practitioner (its issuer)", f.doctor, types.ErrNotHospital, "is a practitioner of " + f.hospital},
		{"a practitioner of another organisation", f.clinicNurse, types.ErrNotHospital, "is a practitioner of " + f.clinic},
		{"a clinic", f.clinic, types.ErrNotHospital, "is registered as a CLINIC, not a HOSPITAL"},
		{"an insurer", f.insurer, types.ErrNotHospital, "is registered as a INSURER, not a HOSPITAL"},
		{"a suspended hospital", f.suspended, types.ErrNotHospital, "SUSPENDED"},
		{"a practitioner of a suspended hospital", f.suspendedDoctor, types.ErrNotHospital, "is a practitioner of " + f.suspended},
		{"a stranger", f.stranger, types.ErrNotHospital, "not a registered issuer or practitioner"},
		{"the governance authority", f.authority, types.ErrNotHospital, "is not a registered hospital"},
		{"a malformed address", "med1garbage", types.ErrInvalidAddress, "hospital"},
		{"no signer", "", types.ErrInvalidAddress, "hospital is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, archiveMsg(tc.signer, "refused piece", av(id, 1))))
			})
		})
	}
}

// Each field of the message at and past its bounds: the last accepted
// value passes, the first refused one is refused with its own error and
// writes nothing.
func TestRecordArchiveBoundaries(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "scan")
	n := 0
	edited := func(edit func(m *types.MsgRecordArchive)) *types.MsgRecordArchive {
		n++
		m := archiveMsg(f.hospital, fmt.Sprintf("boundary piece %d", n), av(id, 1))
		edit(m)
		return m
	}
	f.setArchiveParams(t, types.ArchivePolicyConsent, types.MaxArchiveEntriesPerVersionCap)

	accepted := map[string]func(m *types.MsgRecordArchive){
		"piece_size 128 (the smallest piece)": func(m *types.MsgRecordArchive) { m.PieceSize = 128 },
		"piece_size 2^36 (64 GiB)":            func(m *types.MsgRecordArchive) { m.PieceSize = 1 << 36 },
		"provider of 64 bytes":                func(m *types.MsgRecordArchive) { m.Provider = "f0" + strings.Repeat("1", 62) },
		"provider of 1 byte":                  func(m *types.MsgRecordArchive) { m.Provider = "f" },
		"deal_ref of 128 bytes":               func(m *types.MsgRecordArchive) { m.DealRef = strings.Repeat("d", 128) },
		"no deal_ref":                         func(m *types.MsgRecordArchive) { m.DealRef = "" },
		"deal_ref with spaces":                func(m *types.MsgRecordArchive) { m.DealRef = "deal 42 / renewal 2" },
		"expires_at a second after the block": func(m *types.MsgRecordArchive) { m.ExpiresAt = genesisTime.Add(time.Second) },
	}
	for name, edit := range accepted {
		t.Run("accepts "+name, func(t *testing.T) {
			f.mustArchive(t, edited(edit))
		})
	}

	for _, tc := range []struct {
		name    string
		edit    func(m *types.MsgRecordArchive)
		wantErr error
		wantMsg string
	}{
		{"piece_size 64", func(m *types.MsgRecordArchive) { m.PieceSize = 64 }, types.ErrInvalidPieceSize, "outside 128 bytes"},
		{"piece_size 0", func(m *types.MsgRecordArchive) { m.PieceSize = 0 }, types.ErrInvalidPieceSize, "outside 128 bytes"},
		{"piece_size 2^36+1", func(m *types.MsgRecordArchive) { m.PieceSize = 1<<36 + 1 }, types.ErrInvalidPieceSize, "(64 GiB)"},
		{"piece_size 2^37", func(m *types.MsgRecordArchive) { m.PieceSize = 1 << 37 }, types.ErrInvalidPieceSize, "(64 GiB)"},
		{"piece_size not a power of two", func(m *types.MsgRecordArchive) { m.PieceSize = 3 << 20 }, types.ErrInvalidPieceSize, "not a power of two"},
		{"provider of 65 bytes", func(m *types.MsgRecordArchive) { m.Provider = "f0" + strings.Repeat("1", 63) }, types.ErrInvalidProvider, "65 bytes long; at most 64"},
		{"no provider", func(m *types.MsgRecordArchive) { m.Provider = "" }, types.ErrInvalidProvider, "provider is empty"},
		{"provider with a space", func(m *types.MsgRecordArchive) { m.Provider = "f0 1234" }, types.ErrInvalidProvider, "without spaces"},
		{"provider with a newline", func(m *types.MsgRecordArchive) { m.Provider = "f01234\n" }, types.ErrInvalidProvider, "without spaces"},
		{"provider not ASCII", func(m *types.MsgRecordArchive) { m.Provider = "f0１２" }, types.ErrInvalidProvider, "printable ASCII"},
		{"deal_ref of 129 bytes", func(m *types.MsgRecordArchive) { m.DealRef = strings.Repeat("d", 129) }, types.ErrInvalidDealRef, "129 bytes long; at most 128"},
		{"deal_ref with a tab", func(m *types.MsgRecordArchive) { m.DealRef = "deal\t1" }, types.ErrInvalidDealRef, "printable ASCII"},
		{"expires_at at the block time", func(m *types.MsgRecordArchive) { m.ExpiresAt = genesisTime }, types.ErrInvalidExpiry, "is not after the block time"},
		{"expires_at before the block time", func(m *types.MsgRecordArchive) { m.ExpiresAt = genesisTime.Add(-time.Hour) }, types.ErrInvalidExpiry, "is not after the block time"},
		{"expires_at unset", func(m *types.MsgRecordArchive) { m.ExpiresAt = time.Time{} }, types.ErrInvalidExpiry, "is not after the block time"},
		{"no versions", func(m *types.MsgRecordArchive) { m.Versions = nil }, types.ErrInvalidArchivedVersions, "versions is empty"},
		{"a version twice", func(m *types.MsgRecordArchive) { m.Versions = []types.ArchivedVersion{av(id, 1), av(id, 1)} }, types.ErrInvalidArchivedVersions, "versions[1]: version 1 of record 1 is also versions[0]"},
		{"version 0", func(m *types.MsgRecordArchive) { m.Versions = []types.ArchivedVersion{av(id, 0)} }, types.ErrInvalidArchivedVersions, "start at 1"},
		{"record 0", func(m *types.MsgRecordArchive) { m.Versions = []types.ArchivedVersion{av(0, 1)} }, types.ErrInvalidArchivedVersions, "start at 1"},
		{"no piece CID", func(m *types.MsgRecordArchive) { m.PieceCid = "" }, types.ErrInvalidPieceCID, "piece_cid is empty"},
		{"garbage piece CID", func(m *types.MsgRecordArchive) { m.PieceCid = "baga-garbage" }, types.ErrInvalidPieceCID, "is not a CID"},
		{"a record's CID as the piece", func(m *types.MsgRecordArchive) { m.PieceCid = sample.CID(cid.Raw, "scan") }, types.ErrInvalidPieceCID, "has codec raw (0x55)"},
		{"CIDv0 as the piece", func(m *types.MsgRecordArchive) { m.PieceCid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" }, types.ErrInvalidPieceCID, "CIDv0"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			msg := edited(tc.edit)
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, msg))
			})
		})
	}
}

// 1000 versions go in one message; 1001 are refused before any state is
// read, and nothing is written.
func TestRecordArchiveVersionsPerMessage(t *testing.T) {
	f := newFixture(t)
	ids := importArchivableRecords(t, f, types.MaxArchivedVersionsPerMsg+1)
	versions := make([]types.ArchivedVersion, len(ids))
	for i, id := range ids {
		versions[i] = av(id, 1)
	}

	requireRejected(t, f, types.ErrInvalidArchivedVersions, "1001 versions in one message; at most 1000", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "big", versions...)))
	})
	resp := f.mustArchive(t, archiveMsg(f.hospital, "big", versions[:1000]...))
	require.Equal(t, uint32(1000), resp.Added)
	resp = f.mustArchive(t, archiveMsg(f.hospital, "big", versions[1000:]...))
	require.Equal(t, uint32(1), resp.Added, "the rest of the piece in a second message")
}

// importArchivableRecords adds n records of the patient, each with one
// version and archiving allowed, through genesis (quicker than n
// transactions), and returns their ids.
func importArchivableRecords(t testing.TB, f fixture, n int) []uint64 {
	t.Helper()
	gs := types.DefaultGenesis()
	ids := make([]uint64, n)
	for i := range ids {
		id := uint64(i + 1)
		c := sample.CID(cid.Raw, fmt.Sprintf("imported %d", id))
		gs.Records = append(gs.Records, types.Record{
			Id: id, Owner: f.patient, Issuer: f.patient, Cid: c, EpochCid: c, Kind: types.RecordKindPDF, SizeBytes: 4096,
			Version: 1, Status: types.RecordStatusActive, CreatedAt: genesisTime, UpdatedAt: genesisTime, ArchiveAllowed: true,
		})
		gs.History = append(gs.History, types.RecordVersion{RecordId: id, Version: 1, Cid: c, Issuer: f.patient, At: genesisTime, SizeBytes: 4096})
		ids[i] = id
	}
	gs.NextId = uint64(n + 1)
	require.NoError(t, f.keeper.InitGenesis(f.ctx, gs))
	return ids
}

// Each version is checked against state: it must exist, be live and be
// one that params let be archived.
func TestRecordArchiveRefusedVersions(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "v1")
	_, err := f.msgServer.AddVersion(f.freshCtx(), f.versionMsg(t, f.patient, id, "v2"))
	require.NoError(t, err)
	rotated := f.archivable(t, f.patient, "rotated v1")
	_, err = f.rotateKey(f.freshCtx(), rotated, sample.CID(cid.Raw, "rotated v2"), 2048, nil, f.patient)
	require.NoError(t, err)
	redacted := f.archivable(t, f.patient, "redacted")
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: redacted})
	require.NoError(t, err)
	noConsent := f.mustCreate(t, f.createMsg(t, f.patient, "no consent"))

	for _, tc := range []struct {
		name    string
		version types.ArchivedVersion
		wantErr error
		wantMsg string
	}{
		{"an unknown record", av(999, 1), types.ErrRecordNotFound, "versions[0]: no record with id 999"},
		{"a redacted record", av(redacted, 1), types.ErrRecordRedacted, "is redacted: nothing of it may be archived"},
		{"a version the record does not have", av(id, 3), types.ErrVersionNotFound, "record 1 has no version 3 (its versions are 1 to 2)"},
		{"a version a key rotation released", av(rotated, 1), types.ErrVersionNotLive, "released by a key rotation"},
		{"a record whose owner has not consented", av(noConsent, 1), types.ErrArchiveNotAllowed, "has not allowed archiving it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "piece", tc.version)))
			})
		})
	}
	f.mustArchive(t, archiveMsg(f.hospital, "piece", av(id, 1), av(id, 2), av(rotated, 2)))
}

// One refused version refuses the whole message: none of the good ones
// before or after it is recorded, whichever check refuses it.
func TestRecordArchiveOneBadItemWritesNothing(t *testing.T) {
	f := newFixture(t)
	a := f.archivable(t, f.patient, "a")
	b := f.archivable(t, f.patient, "b")
	c := f.archivable(t, f.patient, "c")
	noConsent := f.mustCreate(t, f.createMsg(t, f.patient, "no consent"))
	f.setArchiveParams(t, types.ArchivePolicyConsent, 1)
	f.mustArchive(t, archiveMsg(f.hospitalB, "full", av(b, 1)))

	for _, tc := range []struct {
		name     string
		versions []types.ArchivedVersion
		wantErr  error
		wantMsg  string
	}{
		{"last of three unknown", []types.ArchivedVersion{av(a, 1), av(c, 1), av(77, 1)}, types.ErrRecordNotFound, "versions[2]"},
		{"first not consented", []types.ArchivedVersion{av(noConsent, 1), av(a, 1)}, types.ErrArchiveNotAllowed, "versions[0]"},
		{"second of two full", []types.ArchivedVersion{av(a, 1), av(b, 1)}, types.ErrTooManyArchiveEntries, "versions[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "batch", tc.versions...)))
			})
		})
	}
	resp := f.mustArchive(t, archiveMsg(f.hospital, "batch", av(a, 1), av(c, 1)))
	require.Equal(t, uint32(2), resp.Added, "the good versions alone pass")
}

// archive_policy decides whose records may be archived: NONE nobody's,
// CONSENT those whose owner allowed it, ALL everyone's. A policy binds new
// entries only.
func TestRecordArchivePolicy(t *testing.T) {
	f := newFixture(t)
	allowed := f.archivable(t, f.patient, "allowed")
	notAllowed := f.mustCreate(t, f.createMsg(t, f.patient, "not allowed"))
	f.mustArchive(t, archiveMsg(f.hospital, "before", av(allowed, 1)))

	f.setArchiveParams(t, types.ArchivePolicyNone, 8)
	for _, id := range []uint64{allowed, notAllowed} {
		requireRejected(t, f, types.ErrArchiveNotAllowed, "archive_policy is ARCHIVE_POLICY_NONE", func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "none", av(id, 1))))
		})
	}
	requireRejected(t, f, types.ErrArchiveNotAllowed, "ARCHIVE_POLICY_NONE", func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "before", av(allowed, 1))))
	})
	require.Equal(t, types.ArchiveStatusArchived, f.archiveEntry(t, allowed, 1, "before").Status, "entries made before stay")

	f.setArchiveParams(t, types.ArchivePolicyConsent, 8)
	f.mustArchive(t, archiveMsg(f.hospital, "consent", av(allowed, 1)))
	requireRejected(t, f, types.ErrArchiveNotAllowed, fmt.Sprintf("set-archive-consent %d true", notAllowed), func(ctx sdk.Context) (any, error) {
		return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "consent", av(notAllowed, 1))))
	})

	f.setArchiveParams(t, types.ArchivePolicyAll, 8)
	resp := f.mustArchive(t, archiveMsg(f.hospital, "all", av(allowed, 1), av(notAllowed, 1)))
	require.Equal(t, uint32(2), resp.Added)
}

// Withdrawn consent refuses new entries and renewals; the entries already
// recorded stay as they were (a deal cannot be ended early).
func TestRecordArchiveAfterConsentWithdrawn(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "scan")
	f.mustArchive(t, archiveMsg(f.hospital, "first", av(id, 1)))
	before := f.archiveEntry(t, id, 1, "first")

	f.setArchiveConsent(t, id, false)
	for name, msg := range map[string]*types.MsgRecordArchive{
		"a new piece":                     archiveMsg(f.hospital, "second", av(id, 1)),
		"a renewal of the existing entry": archiveMsg(f.hospital, "first", av(id, 1)),
		"another hospital":                archiveMsg(f.hospitalB, "third", av(id, 1)),
	} {
		t.Run(name, func(t *testing.T) {
			requireRejected(t, f, types.ErrArchiveNotAllowed, "has not allowed archiving it", func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, msg))
			})
		})
	}
	require.Equal(t, before, f.archiveEntry(t, id, 1, "first"), "the entry stays ARCHIVED")

	f.setArchiveConsent(t, id, true)
	f.mustArchive(t, archiveMsg(f.hospital, "second", av(id, 1)))
}

// max_archive_entries_per_version: N entries of a version are accepted,
// the N+1st is refused, and one hospital holds at most half of them, so
// that no hospital can take every slot; renewing an entry is still
// accepted at either limit.
func TestRecordArchiveEntriesPerVersion(t *testing.T) {
	const limit = 4 // one hospital may hold 2
	f := newFixture(t)
	id := f.archivable(t, f.patient, "scan")
	other := f.archivable(t, f.patient, "other")
	f.setArchiveParams(t, types.ArchivePolicyConsent, limit)

	f.mustArchive(t, archiveMsg(f.hospital, "piece 1", av(id, 1)))
	f.mustArchive(t, archiveMsg(f.hospitalB, "piece 2", av(id, 1)))
	f.mustArchive(t, archiveMsg(f.hospital, "piece 3", av(id, 1), av(other, 1)))
	requireRejected(t, f, types.ErrTooManyArchiveEntries, "holds 2 of the 4 archive entries version 1 of record 1 may have",
		func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospital, "piece 5", av(id, 1))))
		})
	f.mustArchive(t, archiveMsg(f.hospitalB, "piece 4", av(id, 1)))

	requireRejected(t, f, types.ErrTooManyArchiveEntries, "version 1 of record 1 is in 4 pieces and the limit (params max_archive_entries_per_version) is 4",
		func(ctx sdk.Context) (any, error) {
			return result(f.msgServer.RecordArchive(ctx, archiveMsg(f.hospitalB, "piece 6", av(id, 1))))
		})
	renewal := archiveMsg(f.hospital, "piece 1", av(id, 1))
	renewal.ExpiresAt = archiveExpiry.Add(365 * 24 * time.Hour)
	require.Equal(t, &types.MsgRecordArchiveResponse{Renewed: 1}, f.mustArchive(t, renewal))
	f.mustArchive(t, archiveMsg(f.hospitalB, "piece 6", av(other, 1)))

	// Governance lowering the limit leaves the entries there: params bind
	// new entries only.
	f.setArchiveParams(t, types.ArchivePolicyConsent, 1)
	resp, err := f.querier.Archives(f.ctx, &types.QueryArchivesRequest{RecordId: id})
	require.NoError(t, err)
	require.Len(t, resp.Entries, limit)
}

// The same hospital recording the same (record, version, piece) again
// renews its entry: provider, deal_ref and expires_at are replaced, the
// rest kept. Another hospital may not touch it.
func TestRecordArchiveRenewal(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "scan")
	other := f.archivable(t, f.patient, "other")
	f.mustArchive(t, archiveMsg(f.hospital, "piece", av(id, 1)))
	first := f.archiveEntry(t, id, 1, "piece")

	f.ctx = f.ctx.WithBlockTime(genesisTime.Add(400 * 24 * time.Hour))
	renewal := archiveMsg(f.hospital, "piece", av(id, 1), av(other, 1))
	renewal.Provider, renewal.DealRef = "f09999", "renewed deal"
	renewal.ExpiresAt = archiveExpiry.Add(365 * 24 * time.Hour)
	ctx := f.freshCtx()
	resp, err := f.msgServer.RecordArchive(ctx, renewal)
	require.NoError(t, err)
	require.Equal(t, &types.MsgRecordArchiveResponse{Added: 1, Renewed: 1}, resp)
	events.RequireSingle(t, ctx, &types.EventArchiveRecorded{
		Hospital: f.hospital, PieceCid: sample.PieceCID("piece"), Count: 2, RecordIds: []uint64{id, other},
	})
	want := first
	want.Provider, want.DealRef, want.ExpiresAt = "f09999", "renewed deal", archiveExpiry.Add(365*24*time.Hour)
	require.Equal(t, want, f.archiveEntry(t, id, 1, "piece"), "recorded_at stays the first recording's")

	for _, tc := range []struct {
		name    string
		msg     *types.MsgRecordArchive
		wantErr error
		wantMsg string
	}{
		{"another hospital, same piece", archiveMsg(f.hospitalB, "piece", av(id, 1)), types.ErrArchiveEntryTaken,
			f.hospital + " recorded version 1 of record 1 in piece " + sample.PieceCID("piece") + "; only it may renew that entry"},
		{"the same hospital, another size for the piece", func() *types.MsgRecordArchive {
			m := archiveMsg(f.hospital, "piece", av(id, 1))
			m.PieceSize = pieceSize / 2
			return m
		}(), types.ErrInvalidPieceSize, "was recorded with piece_size 34359738368, not 17179869184"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireRejected(t, f, tc.wantErr, tc.wantMsg, func(ctx sdk.Context) (any, error) {
				return result(f.msgServer.RecordArchive(ctx, tc.msg))
			})
		})
	}
}

// A key rotation (a revocation re-encrypting the record) marks the archive
// entries of the versions it released RELEASED: their pieces hold
// ciphertext under the earlier key, no live payload any more. The new
// version is archived anew, and the redaction then shreds both kinds.
func TestRotationReleasesArchiveEntries(t *testing.T) {
	f := newFixture(t)
	id := f.archivable(t, f.patient, "v1")
	kept := f.archivable(t, f.patient, "untouched")
	f.mustArchive(t, archiveMsg(f.hospital, "old piece", av(id, 1), av(kept, 1)))

	ctx := f.freshCtx()
	_, err := f.rotateKey(ctx, id, sample.CID(cid.Raw, "v2 under a new key"), 2048, nil, f.patient)
	require.NoError(t, err)
	released := f.archiveEntry(t, id, 1, "old piece")
	require.Equal(t, types.ArchiveStatusReleased, released.Status)
	require.NotNil(t, released.ReleasedAt)
	require.True(t, released.ReleasedAt.Equal(ctx.BlockTime()))
	require.Nil(t, released.ShreddedAt)
	require.Equal(t, types.ArchiveStatusArchived, f.archiveEntry(t, kept, 1, "old piece").Status, "another record's entry in the same piece is untouched")

	f.mustArchive(t, archiveMsg(f.hospital, "new piece", av(id, 2)))
	_, err = f.msgServer.RedactRecord(f.freshCtx(), &types.MsgRedactRecord{Owner: f.patient, RecordId: id})
	require.NoError(t, err)
	for _, e := range []types.ArchiveEntry{f.archiveEntry(t, id, 1, "old piece"), f.archiveEntry(t, id, 2, "new piece")} {
		require.Equal(t, types.ArchiveStatusShredded, e.Status, "version %d", e.Version)
		require.NotNil(t, e.ShreddedAt)
	}
	require.NotNil(t, f.archiveEntry(t, id, 1, "old piece").ReleasedAt, "a shredded entry keeps when it was released")

	// Genesis carries the three states and checks them against the record.
	gs, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate(f.addressCodec))
}
