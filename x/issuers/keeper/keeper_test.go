package keeper_test

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/medchain/medchain/testutil/events"
	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/x/issuers/keeper"
	"github.com/medchain/medchain/x/issuers/types"
)

const bech32Prefix = "med"

// genesisTime is the block time of every fixture context.
var genesisTime = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// fixture is an issuers keeper on a real (in-memory) multistore, with a fake
// staking keeper.
type fixture struct {
	ctx          sdk.Context
	keeper       keeper.Keeper
	msgServer    types.MsgServer
	querier      keeper.Querier
	addressCodec address.Codec
	staking      *fakeStakingKeeper
	storeKey     *storetypes.KVStoreKey
	cdc          codec.BinaryCodec

	authority string // the gov module account, as the app wires it
	stranger  string // a well-formed account that is neither issuer nor practitioner

	// Set by newPopulatedFixture.
	hospital          string // ACTIVE HOSPITAL
	clinic            string // ACTIVE CLINIC: "another organisation"
	suspendedHospital string // SUSPENDED HOSPITAL
	revokedHospital   string // REVOKED HOSPITAL
	doctor            string // DOCTOR of hospital
	nurse             string // NURSE of hospital
	clinicNurse       string // NURSE of clinic
	suspendedDoctor   string // DOCTOR of suspendedHospital
	revokedDoctor     string // DOCTOR of revokedHospital
}

func (f fixture) bech32(t *testing.T, addr sdk.AccAddress) string {
	t.Helper()
	s, err := f.addressCodec.BytesToString(addr)
	require.NoError(t, err)
	return s
}

func (f fixture) mustAddr(t *testing.T, bech string) sdk.AccAddress {
	t.Helper()
	bz, err := f.addressCodec.StringToBytes(bech)
	require.NoError(t, err)
	return bz
}

// newFixture returns a keeper whose store is still empty (no genesis).
func newFixture(t *testing.T) fixture {
	t.Helper()

	key := storetypes.NewKVStoreKey(types.StoreKey)
	testCtx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	ctx := testCtx.Ctx.WithBlockTime(genesisTime).WithBlockHeight(10)

	registry := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)

	ac := addresscodec.NewBech32Codec(bech32Prefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	staking := newFakeStakingKeeper()
	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, staking)

	f := fixture{
		ctx:          ctx,
		keeper:       k,
		msgServer:    keeper.NewMsgServerImpl(k),
		querier:      keeper.NewQuerier(k),
		addressCodec: ac,
		staking:      staking,
		storeKey:     key,
		cdc:          cdc,
		authority:    authority,
	}
	f.stranger = f.bech32(t, sample.Addr("stranger"))
	return f
}

// newInitializedFixture returns a keeper initialised with the default genesis.
func newInitializedFixture(t *testing.T) fixture {
	t.Helper()
	f := newFixture(t)
	require.NoError(t, f.keeper.InitGenesis(f.ctx, types.DefaultGenesis()))
	return f
}

// populatedGenesis is a chain with an issuer of every standing and a few
// practitioners, in address order (as ExportGenesis writes them).
func populatedGenesis(t *testing.T, f *fixture) *types.GenesisState {
	t.Helper()
	f.hospital = f.bech32(t, sample.Addr("hospital"))
	f.clinic = f.bech32(t, sample.Addr("clinic"))
	f.suspendedHospital = f.bech32(t, sample.Addr("hospital-suspended"))
	f.revokedHospital = f.bech32(t, sample.Addr("hospital-revoked"))
	f.doctor = f.bech32(t, sample.Addr("doctor"))
	f.nurse = f.bech32(t, sample.Addr("nurse"))
	f.clinicNurse = f.bech32(t, sample.Addr("nurse-of-clinic"))
	f.suspendedDoctor = f.bech32(t, sample.Addr("doctor-suspended"))
	f.revokedDoctor = f.bech32(t, sample.Addr("doctor-revoked"))

	added := genesisTime.Add(-48 * time.Hour)
	issuer := func(addr, name string, kind types.IssuerKind, status types.IssuerStatus) types.Issuer {
		return types.Issuer{
			Address: addr, Name: name, Kind: kind, Status: status,
			Jurisdiction: "GB-ENG", LicenseId: "LIC-" + name, Website: "https://" + name + ".example",
			AddedAt: added, UpdatedAt: added,
		}
	}
	practitioner := func(addr, org string, role types.PractitionerRole) types.Practitioner {
		return types.Practitioner{Address: addr, Organisation: org, Role: role, AddedAt: added}
	}
	gs := types.NewGenesisState(types.DefaultParams(),
		[]types.Issuer{
			issuer(f.clinic, "clinic", types.IssuerKindClinic, types.IssuerStatusActive),
			issuer(f.hospital, "hospital", types.IssuerKindHospital, types.IssuerStatusActive),
			issuer(f.revokedHospital, "revoked", types.IssuerKindHospital, types.IssuerStatusRevoked),
			issuer(f.suspendedHospital, "suspended", types.IssuerKindHospital, types.IssuerStatusSuspended),
		},
		[]types.Practitioner{
			practitioner(f.doctor, f.hospital, types.PractitionerRoleDoctor),
			practitioner(f.revokedDoctor, f.revokedHospital, types.PractitionerRoleDoctor),
			practitioner(f.suspendedDoctor, f.suspendedHospital, types.PractitionerRoleDoctor),
			practitioner(f.nurse, f.hospital, types.PractitionerRoleNurse),
			practitioner(f.clinicNurse, f.clinic, types.PractitionerRoleNurse),
		},
	)
	sortGenesis(t, *f, gs)
	require.NoError(t, gs.Validate(f.addressCodec))
	return gs
}

// sortGenesis puts issuers and practitioners in address-byte order, the
// order ExportGenesis writes.
func sortGenesis(t *testing.T, f fixture, gs *types.GenesisState) {
	t.Helper()
	sort.Slice(gs.Issuers, func(i, j int) bool {
		return bytes.Compare(f.mustAddr(t, gs.Issuers[i].Address), f.mustAddr(t, gs.Issuers[j].Address)) < 0
	})
	sort.Slice(gs.Practitioners, func(i, j int) bool {
		return bytes.Compare(f.mustAddr(t, gs.Practitioners[i].Address), f.mustAddr(t, gs.Practitioners[j].Address)) < 0
	})
}

// newPopulatedFixture returns a keeper initialised with populatedGenesis.
func newPopulatedFixture(t *testing.T) fixture {
	t.Helper()
	f := newFixture(t)
	gs := populatedGenesis(t, &f)
	require.NoError(t, f.keeper.InitGenesis(f.ctx, gs))
	return f
}

// freshCtx returns the fixture context with an empty event manager.
func (f fixture) freshCtx() sdk.Context { return events.Fresh(f.ctx) }

func snapshotCounts(t *testing.T, f fixture) map[string]uint64 {
	t.Helper()
	counts := map[string]uint64{}
	require.NoError(t, f.keeper.MemberCount.Walk(f.ctx, nil, func(org sdk.AccAddress, n uint64) (bool, error) {
		counts[f.bech32(t, org)] = n
		return false, nil
	}))
	return counts
}

// fakeStakingKeeper keeps validators in a map and records Jail calls.
type fakeStakingKeeper struct {
	validators map[string]stakingtypes.Validator // by operator bytes
	jailed     []sdk.ConsAddress                 // Jail calls, in order
	valCodec   address.Codec
}

var _ types.StakingKeeper = (*fakeStakingKeeper)(nil)

func newFakeStakingKeeper() *fakeStakingKeeper {
	return &fakeStakingKeeper{
		validators: map[string]stakingtypes.Validator{},
		valCodec:   addresscodec.NewBech32Codec(bech32Prefix + "valoper"),
	}
}

// addValidator gives the account operator a validator.
func (s *fakeStakingKeeper) addValidator(t *testing.T, operator sdk.AccAddress, jailed bool) stakingtypes.Validator {
	t.Helper()
	valStr, err := s.valCodec.BytesToString(operator)
	require.NoError(t, err)
	v, err := stakingtypes.NewValidator(valStr, ed25519.GenPrivKey().PubKey(), stakingtypes.Description{Moniker: string(operator)})
	require.NoError(t, err)
	v.Jailed = jailed
	v.Status = stakingtypes.Bonded
	s.validators[string(operator)] = v
	return v
}

func (s *fakeStakingKeeper) validator(t *testing.T, operator sdk.AccAddress) stakingtypes.Validator {
	t.Helper()
	v, ok := s.validators[string(operator)]
	require.True(t, ok, "no validator for %s", operator)
	return v
}

func (s *fakeStakingKeeper) GetValidator(_ context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error) {
	v, ok := s.validators[string(addr)]
	if !ok {
		return stakingtypes.Validator{}, stakingtypes.ErrNoValidatorFound
	}
	return v, nil
}

func (s *fakeStakingKeeper) Jail(_ context.Context, consAddr sdk.ConsAddress) error {
	for op, v := range s.validators {
		addr, err := v.GetConsAddr()
		if err != nil {
			return err
		}
		if sdk.ConsAddress(addr).Equals(consAddr) {
			if v.Jailed {
				return stakingtypes.ErrValidatorJailed
			}
			v.Jailed = true
			s.validators[op] = v
			s.jailed = append(s.jailed, consAddr)
			return nil
		}
	}
	return stakingtypes.ErrNoValidatorFound
}

func (s *fakeStakingKeeper) ValidatorAddressCodec() address.Codec { return s.valCodec }

func TestNewKeeperKeepsAuthority(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, f.authority, f.keeper.GetAuthority())
	require.Equal(t, "med", f.authority[:3])
}

func TestNewKeeperRejectsMalformedAuthority(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	ac := addresscodec.NewBech32Codec(bech32Prefix)

	for _, authority := range []string{"", "not-an-address", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"} {
		require.Panics(t, func() {
			keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, authority, nil)
		}, "authority %q", authority)
	}
}

// The populated fixture's member counts are derived from its practitioners.
func TestMemberCountDerivedAtGenesis(t *testing.T) {
	f := newPopulatedFixture(t)
	for org, want := range map[string]uint64{f.hospital: 2, f.clinic: 1, f.suspendedHospital: 1, f.revokedHospital: 1} {
		n, err := f.keeper.MemberCount.Get(f.ctx, f.mustAddr(t, org))
		require.NoError(t, err)
		require.Equal(t, want, n, org)
	}
	_, err := f.keeper.MemberCount.Get(f.ctx, sample.Addr("stranger"))
	require.ErrorIs(t, err, collections.ErrNotFound)
}
