package keeper_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/x/access/keeper"
	"github.com/medchain/medchain/x/access/types"
)

// paramsWrittenBy are the access params as each earlier release's genesis
// wrote them: the fields of its own version only, the later ones absent
// from its store and so decoded as zero by today's types.
func paramsWrittenBy(version uint64) types.Params {
	p := types.Params{ // version 1 (release v0.1.0)
		MaxExpirationsPerBlock: 500,
		MaxPendingRequests:     3,
		DefaultRequestTtl:      7 * 24 * time.Hour,
		MaxRequestTtl:          90 * 24 * time.Hour,
		MaxReasonLength:        140,
		MaxWrapsPerMsg:         500,
	}
	if version >= 2 { // releases v0.2.0 and v0.3.0
		p.MaxPendingRequestsPerRecord = 16
		p.MaxExpiryWorkPerBlock = 2000
	}
	if version >= 4 { // release v0.4.0
		p.EmergencyWindow = 24 * time.Hour
		p.MaxEmergencyPerPractitioner = 5
		p.MaxCustodians = 7
		p.RecoveryDelay = 72 * time.Hour
	}
	return p
}

// lastVersion is the access module's consensus version in this tree.
const lastVersion = 5

// migrations are the access migrations by the version they start from.
func migrations(m keeper.Migrator) map[uint64]func(sdk.Context) error {
	return map[uint64]func(sdk.Context) error{1: m.Migrate1to2, 2: m.Migrate2to3, 3: m.Migrate3to4, 4: m.Migrate4to5}
}

// TestMigrate1to2: version 1 state (params without
// max_pending_requests_per_record and max_expiry_work_per_block, requests
// without the (owner, record id) index) becomes exactly the state version
// 2 would have built. It starts from the params release v0.1.0 wrote, whose
// emergency params (version 4) are unset: the migration must neither need
// them nor set them.
func TestMigrate1to2(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(2)))
	want := f.dumpStore(t, types.StoreKey)

	require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(1)))
	store := f.kvStore(t, types.StoreKey)
	indexed := 0
	for _, e := range f.dumpStore(t, types.StoreKey) {
		if bytes.HasPrefix([]byte(e.Key), types.RequestsByTargetKey) {
			store.Delete([]byte(e.Key))
			indexed++
		}
	}
	require.NotZero(t, indexed, "richState has pending requests")

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate1to2(f.ctx))
	require.Equal(t, want, f.dumpStore(t, types.StoreKey))
}

// TestMigrationsFromEveryEarlierVersion: a chain of any earlier release,
// with the params that release wrote, runs the migrations from its own
// version up in a row (as one upgrade handler does) and ends with the
// params a new chain starts with, which pass the full validation the
// upgrade handler makes at the end. Release v0.4.0 validated the whole
// params inside Migrate1to2, before Migrate3to4 had set the emergency
// params, and every node of a v0.1.0 chain halted in the upgrade.
func TestMigrationsFromEveryEarlierVersion(t *testing.T) {
	for from := uint64(1); from < lastVersion; from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			f := newFixture(t)
			richState(t, f)
			require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(from)))
			steps := migrations(keeper.NewMigrator(f.keeper))
			for v := from; v < lastVersion; v++ {
				require.NoError(t, steps[v](f.ctx), "migration %d to %d", v, v+1)
			}
			params, err := f.keeper.Params.Get(f.ctx)
			require.NoError(t, err)
			require.NoError(t, params.Validate())
			require.Equal(t, types.DefaultParams(), params)
		})
	}
}

// TestMigrationsKeepWhatGovernanceChose: a param governance changed before
// the upgrade keeps its value; a migration fills only the fields its own
// version adds.
func TestMigrationsKeepWhatGovernanceChose(t *testing.T) {
	f := newFixture(t)
	params := paramsWrittenBy(1)
	params.MaxPendingRequests = 7
	params.MaxWrapsPerMsg = 250
	require.NoError(t, f.keeper.Params.Set(f.ctx, params))
	steps := migrations(keeper.NewMigrator(f.keeper))
	for v := uint64(1); v < lastVersion; v++ {
		require.NoError(t, steps[v](f.ctx))
	}
	got, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(7), got.MaxPendingRequests)
	require.Equal(t, uint32(250), got.MaxWrapsPerMsg)
	require.Equal(t, types.DefaultEmergencyWindow, got.EmergencyWindow)
	require.Equal(t, types.DefaultMaxEmergencyPerOrganisationPerDay, got.MaxEmergencyPerOrganisationPerDay)

	// A version 4 chain whose governance changed the emergency params
	// keeps them; only the version 5 param is set.
	v4 := paramsWrittenBy(4)
	v4.EmergencyWindow = 2 * time.Hour
	v4.MaxEmergencyPerPractitioner = 2
	require.NoError(t, f.keeper.Params.Set(f.ctx, v4))
	require.NoError(t, steps[4](f.ctx))
	got, err = f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	want := v4
	want.MaxEmergencyPerOrganisationPerDay = types.DefaultMaxEmergencyPerOrganisationPerDay
	require.Equal(t, want, got)
}

// TestMigrate2to3: the reasons of version 2 requests, plaintext whose
// bytes now decode as sealed_reason, are erased; nothing else changes.
func TestMigrate2to3(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	var requests []types.AccessRequest
	require.NoError(t, f.keeper.Requests.Walk(f.ctx, nil, func(_ uint64, r types.AccessRequest) (bool, error) {
		requests = append(requests, r)
		return false, nil
	}))
	require.NotEmpty(t, requests, "richState has pending requests")
	for _, r := range requests {
		r.SealedReason = nil
		require.NoError(t, f.keeper.Requests.Set(f.ctx, r.Id, r))
	}
	want := f.dumpStore(t, types.StoreKey)
	for _, r := range requests {
		r.SealedReason = []byte("follow-up of her knee MRI") // as version 2 stored it
		require.NoError(t, f.keeper.Requests.Set(f.ctx, r.Id, r))
	}

	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate2to3(f.ctx))
	require.Equal(t, want, f.dumpStore(t, types.StoreKey))
}

// releaseAsV4 appends custodian's release to emergency access id as
// release v0.4.0's ReleaseShare stored it: the release only, nothing of
// what version 5 does when a release reaches the threshold.
func (f *fixture) releaseAsV4(t testing.TB, custodian string, id uint64) {
	t.Helper()
	a, err := f.keeper.EmergencyAccesses.Get(f.ctx, id)
	require.NoError(t, err)
	p := f.policy(t, a.Patient)
	index := p.CustodianIndex(custodian)
	require.NotZero(t, index, "%s holds no share", custodian)
	a.Releases = append(a.Releases, types.ShareRelease{
		Custodian: custodian, Index: index, Ciphertext: release(custodian, id).Ciphertext, ReleasedAt: f.ctx.BlockTime(),
	})
	require.NoError(t, f.keeper.EmergencyAccesses.Set(f.ctx, id, a))
}

// TestMigrate4to5: version 4 state as release v0.4.0 wrote it (params
// without max_emergency_per_organisation_per_day, policies that know
// nothing of being spent, no per-organisation counts, and accesses whose
// custodians released up to and beyond the threshold) becomes version 5
// state: the new param takes its default, every policy whose current key
// an access reached the threshold for is spent by the first access to
// reach it, at the release that reached it (an access closed since counts;
// a key the patient replaced since does not), the other accesses still
// open under a spent key close (POLICY_SPENT), and the per-organisation
// counts are what version 5 would have counted. Nothing else changes.
func TestMigrate4to5(t *testing.T) {
	f := newFixture(t)
	richState(t, f)
	colleague := f.addPractitioner(t, f.hospital, "doctor-colleague")
	elsewhere := f.addPractitioner(t, f.hospitalB, "doctor-elsewhere")
	closedPatient := f.str(t, "patient-closed")
	f.registerNewKey(t, closedPatient)
	reKeyed := f.str(t, "patient-rekeyed")
	f.registerNewKey(t, reKeyed)

	// Day 1: an access reaches the threshold, then its window ends.
	t0 := genesisTime
	f.optIn(t, closedPatient)
	closedSpender := f.breakGlass(t, elsewhere, closedPatient, 0)
	f.at(t0.Add(time.Minute))
	f.releaseAsV4(t, f.hospital, closedSpender)
	f.at(t0.Add(2 * time.Minute))
	f.releaseAsV4(t, f.hospitalB, closedSpender)
	t1 := t0.Add(25 * time.Hour) // the next UTC day
	f.at(t1)
	f.endBlock(t)

	// Day 2: the patient's key reaches the threshold in one access while
	// another is open; the other patient's access has one release of two;
	// a third patient re-keyed after an access reached the threshold.
	f.optIn(t, f.patient)
	f.optIn(t, f.otherPatient)
	f.optIn(t, reKeyed)
	spender := f.breakGlass(t, f.doctor, f.patient, 0)
	second := f.breakGlass(t, colleague, f.patient, 0)
	f.releaseAsV4(t, f.hospital, second)
	f.at(t1.Add(time.Minute))
	f.releaseAsV4(t, f.hospital, spender)
	spentAt := t1.Add(2 * time.Minute)
	f.at(spentAt)
	f.releaseAsV4(t, f.hospitalB, spender)
	f.releaseAsV4(t, f.hospital, f.breakGlass(t, f.doctor, f.otherPatient, 0))
	replaced := f.breakGlass(t, f.doctor, reKeyed, 0)
	f.releaseAsV4(t, f.hospital, replaced)
	f.releaseAsV4(t, f.hospitalB, replaced)
	f.optIn(t, reKeyed)

	// What version 4 did not store: the new param and the counts.
	counts := func() map[string]uint32 {
		out := map[string]uint32{}
		require.NoError(t, f.keeper.EmergencyPerOrganisationDay.Walk(f.ctx, nil, func(k collections.Pair[sdk.AccAddress, uint64], n uint32) (bool, error) {
			out[fmt.Sprintf("%s/%d", k.K1(), k.K2())] = n
			return false, nil
		}))
		return out
	}
	wantCounts := counts()
	require.Len(t, wantCounts, 2, "the hospital on day 2, hospital B on day 1")
	store := f.kvStore(t, types.StoreKey)
	for _, e := range f.dumpStore(t, types.StoreKey) {
		if bytes.HasPrefix([]byte(e.Key), types.EmergencyPerOrganisationDayKey) {
			store.Delete([]byte(e.Key))
		}
	}
	require.NoError(t, f.keeper.Params.Set(f.ctx, paramsWrittenBy(4)))
	before := f.dumpStore(t, types.StoreKey)

	upgradeAt := spentAt.Add(time.Hour)
	f.at(upgradeAt)
	ctx := f.freshCtx()
	require.NoError(t, keeper.NewMigrator(f.keeper).Migrate4to5(ctx))

	params, err := f.keeper.Params.Get(f.ctx)
	require.NoError(t, err)
	wantParams := paramsWrittenBy(4)
	wantParams.MaxEmergencyPerOrganisationPerDay = types.DefaultMaxEmergencyPerOrganisationPerDay
	require.Equal(t, wantParams, params)

	p := f.policy(t, f.patient)
	require.Equal(t, spender, p.SpentBy)
	require.Equal(t, spentAt, p.SpentAt.UTC())
	p = f.policy(t, closedPatient)
	require.Equal(t, closedSpender, p.SpentBy, "an access closed since still spent the key")
	require.Equal(t, t0.Add(2*time.Minute), p.SpentAt.UTC())
	for _, who := range []string{f.otherPatient, reKeyed} {
		p := f.policy(t, who)
		require.Nil(t, p.SpentAt, who)
		require.Zero(t, p.SpentBy, who)
	}
	events.Require(t, ctx, &types.EventEmergencyPolicySpent{
		Patient: f.patient, KeyId: f.policy(t, f.patient).KeyId, AccessId: spender, Practitioner: f.doctor, SpentAt: spentAt,
	})
	events.Require(t, ctx, &types.EventEmergencyAccessClosed{AccessId: second, Outcome: "POLICY_SPENT"})
	got, err := f.querier.EmergencyAccess(f.ctx, &types.QueryEmergencyAccessRequest{Id: second})
	require.NoError(t, err)
	require.False(t, got.Open)
	require.Equal(t, upgradeAt, got.Access.ExpiresAt.UTC())
	got, err = f.querier.EmergencyAccess(f.ctx, &types.QueryEmergencyAccessRequest{Id: spender})
	require.NoError(t, err)
	require.True(t, got.Open, "the access that spent the key keeps its window")

	require.Equal(t, wantCounts, counts())

	// Nothing outside the params, the policies, the emergency log and
	// open entries, and the counts changed.
	touched := map[byte]bool{}
	after := map[string]string{}
	for _, e := range f.dumpStore(t, types.StoreKey) {
		after[e.Key] = e.Value
	}
	for _, e := range before {
		if after[e.Key] != e.Value {
			touched[e.Key[0]] = true
		}
		delete(after, e.Key)
	}
	for k := range after {
		touched[k[0]] = true
	}
	may := map[byte]bool{
		types.ParamsKey[0]: true, types.EmergencyPoliciesKey[0]: true, types.EmergencyAccessesKey[0]: true, types.EmergencyOpenKey[0]: true,
		types.EmergencyExpiryKey[0]: true, types.EmergencyOpenByPractitionerKey[0]: true, types.EmergencyPerOrganisationDayKey[0]: true,
	}
	for prefix := range touched {
		require.True(t, may[prefix], "the migration changed store prefix %d", prefix)
	}

	// From now on the spent key opens no break-glass; the others do.
	requireRejected(t, f, types.ErrEmergencyKeySpent, fmt.Sprintf("emergency access %d", spender), sending(f.msgServer.EmergencyAccess,
		&types.MsgEmergencyAccess{Practitioner: elsewhere, Patient: f.patient, Reason: types.EmergencyReasonUnableToConsent}))
	f.breakGlass(t, elsewhere, reKeyed, 0)
	f.breakGlass(t, colleague, f.otherPatient, 0)
}
