package types_test

import (
	"crypto/hpke"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"

	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

var ac = addresscodec.NewBech32Codec("med")

// bech32 is the med address spelled from name (padded to 20 bytes).
func bech32(t testing.TB, name string) string {
	t.Helper()
	bz := []byte(name + strings.Repeat("_", 20-len(name)))
	s, err := ac.BytesToString(bz)
	require.NoError(t, err)
	return s
}

// newPublicKey returns a fresh ML-KEM-768-X25519 public key.
func newPublicKey(t testing.TB) []byte {
	t.Helper()
	priv, err := hpke.MLKEM768X25519().GenerateKey()
	require.NoError(t, err)
	return priv.PublicKey().Bytes()
}

// validGenesis has one of each kind of entry: the patient rotated its key
// (two keys, the second current), a record READ grant, a scope WRITE grant
// and an expiring record READ grant, the wraps of record 1 for its three
// readers and a pending request.
func validGenesis(t testing.TB) *types.GenesisState {
	t.Helper()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	expires := at.Add(time.Hour)
	patient, doctor, researcher := bech32(t, "patient"), bech32(t, "doctor"), bech32(t, "researcher")
	key := func(owner string) types.EncryptionKey {
		pub := newPublicKey(t)
		return types.EncryptionKey{
			Owner: owner, KeyId: types.KeyID(pub), Algorithm: types.KeyAlgorithmMLKEM768X25519, PublicKey: pub, RegisteredAt: at,
		}
	}
	keys := []types.EncryptionKey{key(patient), key(patient), key(doctor), key(researcher)}
	wrap := func(k types.EncryptionKey) types.Wrap {
		return types.Wrap{RecordId: 1, Grantee: k.Owner, KeyId: k.KeyId, Ciphertext: []byte("sealed record key")}
	}
	grant := func(id uint64, grantee string, recordID uint64, p types.Permission) types.Grant {
		return types.Grant{
			Id: id, Owner: patient, Grantee: grantee, RecordId: recordID, Permission: p, Purpose: types.PurposeTreatment, CreatedAt: at,
		}
	}
	scopeWrite := grant(2, doctor, 0, types.PermissionWrite)
	scopeWrite.Kinds = []recordstypes.RecordKind{recordstypes.RecordKindDICOM}
	expiring := grant(3, researcher, 1, types.PermissionRead)
	expiring.ExpiresAt = &expires
	return &types.GenesisState{
		Params: types.DefaultParams(),
		Keys:   keys,
		CurrentKeys: []types.CurrentKey{
			{Owner: patient, KeyId: keys[1].KeyId}, {Owner: doctor, KeyId: keys[2].KeyId}, {Owner: researcher, KeyId: keys[3].KeyId},
		},
		Grants: []types.Grant{grant(1, doctor, 1, types.PermissionRead), scopeWrite, expiring},
		Wraps:  []types.Wrap{wrap(keys[1]), wrap(keys[2]), wrap(keys[3])},
		Requests: []types.AccessRequest{{
			Id: 1, Requester: researcher, Owner: patient, Permission: types.PermissionRead, Purpose: types.PurposeResearch,
			SealedReason: types.FakeSealedReason("cohort study 42"), ExpiresAt: at.Add(types.DefaultRequestTTL), CreatedAt: at,
		}},
		NextGrantId:   4,
		NextRequestId: 2,
	}
}

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate(ac))
	require.NoError(t, validGenesis(t).Validate(ac))

	// max_pending_requests per (requester, owner) pair is allowed, and
	// requests to other owners or from other requesters do not add up.
	g := validGenesis(t)
	first := g.Requests[0]
	for id := uint64(2); id <= uint64(g.Params.MaxPendingRequests); id++ {
		r := first
		r.Id = id
		g.Requests = append(g.Requests, r)
	}
	toOther, fromOther := first, first
	toOther.Owner, fromOther.Requester = bech32(t, "doctor"), bech32(t, "doctor")
	for _, r := range []types.AccessRequest{toOther, fromOther} {
		r.Id = uint64(len(g.Requests)) + 1
		g.Requests = append(g.Requests, r)
	}
	g.NextRequestId = uint64(len(g.Requests)) + 1
	require.NoError(t, g.Validate(ac))
}

// TestGenesisValidateRejects: each defect is rejected with
// ErrInvalidGenesis (ErrInvalidParams for params) and a message naming the
// field at fault.
func TestGenesisValidateRejects(t *testing.T) {
	const unknownKeyID = "0123456789abcdef"
	for _, tc := range []struct {
		name    string
		edit    func(g *types.GenesisState)
		wantErr error
		wantMsg string
	}{
		{"bad params", func(g *types.GenesisState) { g.Params.MaxExpirationsPerBlock = 0 },
			types.ErrInvalidParams, "max_expirations_per_block"},
		{"reason limit above the cap", func(g *types.GenesisState) { g.Params.MaxReasonLength = types.MaxReasonLengthCap + 1 },
			types.ErrInvalidParams, "max_reason_length"},
		{"no pending requests per record", func(g *types.GenesisState) { g.Params.MaxPendingRequestsPerRecord = 0 },
			types.ErrInvalidParams, "max_pending_requests_per_record must be greater than 0"},
		{"no expiry work per block", func(g *types.GenesisState) { g.Params.MaxExpiryWorkPerBlock = 0 },
			types.ErrInvalidParams, "max_expiry_work_per_block must be greater than 0"},
		{"next grant id 0", func(g *types.GenesisState) { g.NextGrantId = 0 },
			types.ErrInvalidGenesis, "next_grant_id"},
		{"next request id 0", func(g *types.GenesisState) { g.NextRequestId = 0 },
			types.ErrInvalidGenesis, "next_request_id"},

		{"key id not matching the public key", func(g *types.GenesisState) { g.Keys[0].KeyId = g.Keys[1].KeyId },
			types.ErrInvalidGenesis, "keys[0]: key_id"},
		{"bad public key", func(g *types.GenesisState) { g.Keys[2].PublicKey = g.Keys[2].PublicKey[1:] },
			types.ErrInvalidGenesis, "keys[2]: public_key (1215 bytes)"},
		{"unknown algorithm", func(g *types.GenesisState) { g.Keys[0].Algorithm = types.KeyAlgorithmUnspecified },
			types.ErrInvalidGenesis, "keys[0]: key algorithm"},
		{"key listed twice", func(g *types.GenesisState) { g.Keys = append(g.Keys, g.Keys[3]) },
			types.ErrInvalidGenesis, "keys[4]: key "},
		{"key owner malformed", func(g *types.GenesisState) { g.Keys[0].Owner = "cosmos1notours" },
			types.ErrInvalidGenesis, "keys[0].owner"},

		{"current key unknown", func(g *types.GenesisState) { g.CurrentKeys[1].KeyId = unknownKeyID },
			types.ErrInvalidGenesis, "current_keys[1]: "},
		{"current key of another account", func(g *types.GenesisState) { g.CurrentKeys[1].KeyId = g.Keys[1].KeyId },
			types.ErrInvalidGenesis, "current_keys[1]: "},
		{"two current keys", func(g *types.GenesisState) {
			g.CurrentKeys = append(g.CurrentKeys, types.CurrentKey{Owner: g.Keys[0].Owner, KeyId: g.Keys[0].KeyId})
		}, types.ErrInvalidGenesis, "current_keys[3]: "},

		{"grant id 0", func(g *types.GenesisState) { g.Grants[0].Id = 0 },
			types.ErrInvalidGenesis, "grants[0]: id 0"},
		{"duplicate grant id", func(g *types.GenesisState) { g.Grants[1].Id = 1 },
			types.ErrInvalidGenesis, "grants[1]: id 1"},
		{"grant id not below next_grant_id", func(g *types.GenesisState) { g.NextGrantId = 3 },
			types.ErrInvalidGenesis, "grants[2]: id 3 is 0, repeated, or not below next_grant_id 3"},
		{"grantee is the owner", func(g *types.GenesisState) { g.Grants[0].Grantee = g.Grants[0].Owner },
			types.ErrInvalidGenesis, "grants[0]: grantee is the owner"},
		{"grantee is the owner, spelled in capitals", func(g *types.GenesisState) { g.Grants[0].Grantee = strings.ToUpper(g.Grants[0].Owner) },
			types.ErrInvalidGenesis, "grants[0]: grantee is the owner"},
		{"second record grant for the same target", func(g *types.GenesisState) {
			dup := g.Grants[0]
			dup.Id, dup.Purpose = 4, types.PurposeResearch
			g.Grants, g.NextGrantId = append(g.Grants, dup), 5
		}, types.ErrInvalidGenesis, "grants[3]: a second READ grant for the same target"},
		{"second scope grant for the same owner and grantee", func(g *types.GenesisState) {
			dup := g.Grants[1]
			dup.Id, dup.Kinds = 4, []recordstypes.RecordKind{recordstypes.RecordKindPDF}
			g.Grants, g.NextGrantId = append(g.Grants, dup), 5
		}, types.ErrInvalidGenesis, "grants[3]: a second WRITE grant for the same target"},
		{"grant owner malformed", func(g *types.GenesisState) { g.Grants[0].Owner = "med1xyz" },
			types.ErrInvalidGenesis, "grants[0].owner"},
		{"grant without purpose", func(g *types.GenesisState) { g.Grants[0].Purpose = types.PurposeUnspecified },
			types.ErrInvalidGenesis, "grants[0]: purpose"},
		{"grant of one record narrowed by kinds", func(g *types.GenesisState) {
			g.Grants[0].Kinds = []recordstypes.RecordKind{recordstypes.RecordKindDICOM}
		}, types.ErrInvalidGenesis, "grants[0]: record 1 is one record"},

		{"wrap to an unregistered key", func(g *types.GenesisState) { g.Wraps[1].KeyId = unknownKeyID },
			types.ErrInvalidGenesis, "wraps[1]: sealed to key " + unknownKeyID},
		{"wrap to another account's key", func(g *types.GenesisState) { g.Wraps[1].KeyId = g.Keys[0].KeyId },
			types.ErrInvalidGenesis, "wraps[1]: sealed to key"},
		{"wrap of record 0", func(g *types.GenesisState) { g.Wraps[0].RecordId = 0 },
			types.ErrInvalidGenesis, "wraps[0]: record_id"},
		{"wrap without ciphertext", func(g *types.GenesisState) { g.Wraps[2].Ciphertext = nil },
			types.ErrInvalidGenesis, "wraps[2]: record_id and ciphertext are required"},
		{"second wrap of a record for a reader", func(g *types.GenesisState) { g.Wraps = append(g.Wraps, g.Wraps[0]) },
			types.ErrInvalidGenesis, "wraps[3]: a second wrap of record 1"},

		{"request with a plaintext reason", func(g *types.GenesisState) { g.Requests[0].SealedReason = []byte("cohort study 42") },
			types.ErrInvalidGenesis, "requests[0]: sealed_reason is not a sealed reason"},
		{"request with a reason over the cap", func(g *types.GenesisState) {
			g.Requests[0].SealedReason = types.FakeSealedReason(strings.Repeat("a", int(types.MaxReasonLengthCap)+1))
		}, types.ErrInvalidGenesis, "requests[0]: sealed_reason holds a reason of over 497 bytes"},
		{"request id not below next_request_id", func(g *types.GenesisState) { g.NextRequestId = 1 },
			types.ErrInvalidGenesis, "requests[0]: id 1"},
		{"request requester malformed", func(g *types.GenesisState) { g.Requests[0].Requester = "" },
			types.ErrInvalidGenesis, "requests[0].requester"},
		{"request of an unknown kind", func(g *types.GenesisState) { g.Requests[0].Kinds = []recordstypes.RecordKind{99} },
			types.ErrInvalidGenesis, "requests[0]: kind 99"},
		{"request from its owner", func(g *types.GenesisState) { g.Requests[0].Requester = g.Requests[0].Owner },
			types.ErrInvalidGenesis, "requests[0]: request 1 is from its owner"},
		{"request from its owner, spelled in capitals", func(g *types.GenesisState) {
			g.Requests[0].Requester = strings.ToUpper(g.Requests[0].Owner)
		}, types.ErrInvalidGenesis, "requests[0]: request 1 is from its owner"},
		{"request without expires_at", func(g *types.GenesisState) { g.Requests[0].ExpiresAt = time.Time{} },
			types.ErrInvalidGenesis, "requests[0]: request 1 has no expires_at"},
		{"request expiring when it was made", func(g *types.GenesisState) { g.Requests[0].ExpiresAt = g.Requests[0].CreatedAt },
			types.ErrInvalidGenesis, "requests[0]: request 1 expires at 2026-03-01 09:00:00 +0000 UTC, not after it was created at"},
		{"more pending requests of a pair than max_pending_requests", func(g *types.GenesisState) {
			for id := uint64(2); id <= uint64(g.Params.MaxPendingRequests)+1; id++ {
				r := g.Requests[0]
				r.Id = id
				g.Requests = append(g.Requests, r)
			}
			g.NextRequestId = uint64(len(g.Requests)) + 1
		}, types.ErrInvalidGenesis, "requests[3]: request 4 is one more pending request of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := validGenesis(t)
			tc.edit(g)
			err := g.Validate(ac)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
		})
	}
}

// spentGenesis is validGenesis with the patient's 2-of-2 emergency policy,
// spent by access 1, which the two custodians released to.
func spentGenesis(t testing.TB) *types.GenesisState {
	t.Helper()
	g := validGenesis(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	patient, doctor, hospital := bech32(t, "patient"), bech32(t, "doctor"), bech32(t, "hospital")
	custodians := []string{hospital, bech32(t, "hospital-b")}
	policy := types.EmergencyPolicy{Patient: patient, Threshold: 2, KeyId: "00112233aabbccdd", Commitments: [][]byte{{1}, {2}}, UpdatedAt: at,
		SpentAt: &at, SpentBy: 1}
	access := types.EmergencyAccess{Id: 1, Practitioner: doctor, Organisation: hospital, Patient: patient,
		Reason: types.EmergencyReasonUnableToConsent, OpenedAt: at, ExpiresAt: at.Add(time.Hour), EmergencyKeyId: policy.KeyId}
	for i, c := range custodians {
		policy.Shares = append(policy.Shares, types.SealedShare{Custodian: c})
		access.Releases = append(access.Releases, types.ShareRelease{Custodian: c, Index: uint32(i + 1), ReleasedAt: at})
	}
	g.EmergencyPolicies = []types.EmergencyPolicy{policy}
	g.EmergencyAccesses = []types.EmergencyAccess{access}
	g.NextEmergencyId = 2
	return g
}

// TestGenesisSpentPolicies: a spent policy names an access of the log to
// its patient, under its key, that reached its threshold; an access closed
// in the block it opened (by the spending of its policy) is valid.
func TestGenesisSpentPolicies(t *testing.T) {
	require.NoError(t, spentGenesis(t).Validate(ac))

	closedAtOnce := spentGenesis(t)
	other := closedAtOnce.EmergencyAccesses[0]
	other.Id, other.Practitioner, other.Releases = 2, bech32(t, "doctor-b"), nil
	other.ExpiresAt = other.OpenedAt
	closedAtOnce.EmergencyAccesses = append(closedAtOnce.EmergencyAccesses, other)
	closedAtOnce.NextEmergencyId = 3
	require.NoError(t, closedAtOnce.Validate(ac))

	for _, tc := range []struct {
		name    string
		edit    func(g *types.GenesisState)
		wantMsg string
	}{
		{"spent_by without spent_at", func(g *types.GenesisState) { g.EmergencyPolicies[0].SpentAt = nil }, "set together"},
		{"spent_at without spent_by", func(g *types.GenesisState) { g.EmergencyPolicies[0].SpentBy = 0 }, "set together"},
		{"spent by an access not in the log", func(g *types.GenesisState) { g.EmergencyPolicies[0].SpentBy = 7 }, "spent_by 7"},
		{"spent by an access under another key", func(g *types.GenesisState) { g.EmergencyAccesses[0].EmergencyKeyId = "ffffffffffffffff" }, "spent_by 1"},
		{"spent by an access below the threshold", func(g *types.GenesisState) { g.EmergencyAccesses[0].Releases = g.EmergencyAccesses[0].Releases[:1] }, "spent_by 1"},
		{"spent by an access to another patient", func(g *types.GenesisState) { g.EmergencyAccesses[0].Patient = bech32(t, "researcher") }, "spent_by 1"},
		{"an access that ends before it opens", func(g *types.GenesisState) {
			g.EmergencyAccesses[0].ExpiresAt = g.EmergencyAccesses[0].OpenedAt.Add(-time.Second)
		}, "is before opened_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := spentGenesis(t)
			tc.edit(g)
			err := g.Validate(ac)
			require.ErrorIs(t, err, types.ErrInvalidGenesis)
			require.ErrorContains(t, err, tc.wantMsg)
		})
	}
}
