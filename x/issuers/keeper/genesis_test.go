package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/testutil/sample"
	"github.com/medchain/medchain/testutil/state"
	"github.com/medchain/medchain/x/issuers/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	for name, build := range map[string]func(f *fixture) *types.GenesisState{
		"default": func(*fixture) *types.GenesisState { return types.DefaultGenesis() },
		"custom params": func(*fixture) *types.GenesisState {
			return types.NewGenesisState(types.NewParams(1, 1), nil, nil)
		},
		"maximum params": func(*fixture) *types.GenesisState {
			return types.NewGenesisState(types.NewParams(^uint32(0), ^uint32(0)), nil, nil)
		},
		"issuers and practitioners": func(f *fixture) *types.GenesisState { return populatedGenesis(t, f) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			gs := build(&f)
			require.NoError(t, f.keeper.InitGenesis(f.ctx, gs))

			exported, err := f.keeper.ExportGenesis(f.ctx)
			require.NoError(t, err)
			require.Equal(t, gs, exported)

			// And once more through a fresh store.
			g := newFixture(t)
			require.NoError(t, g.keeper.InitGenesis(g.ctx, exported))
			again, err := g.keeper.ExportGenesis(g.ctx)
			require.NoError(t, err)
			require.Equal(t, gs, again)
		})
	}
}

// State built by messages survives export and import, indexes and member
// counts included.
func TestGenesisRoundTripAfterMessages(t *testing.T) {
	f := newPopulatedFixture(t)
	newcomer := f.bech32(t, sample.Addr("new-doctor"))
	_, err := f.msgServer.AddPractitioner(f.ctx, &types.MsgAddPractitioner{Organisation: f.hospital, Practitioner: newcomer, Role: types.PractitionerRoleAdmin})
	require.NoError(t, err)
	_, err = f.msgServer.SetIssuerStatus(f.ctx, &types.MsgSetIssuerStatus{Authority: f.authority, Address: f.clinic, Status: types.IssuerStatusSuspended})
	require.NoError(t, err)
	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate(f.addressCodec))

	g := newFixture(t)
	require.NoError(t, g.keeper.InitGenesis(g.ctx, exported))
	require.Empty(t, state.Take(f.ctx, f.storeKey).Diff(state.Take(g.ctx, g.storeKey)), "the imported store holds every byte the exported one held")

	resp, err := g.querier.Issuers(g.ctx, &types.QueryIssuersRequest{Status: types.IssuerStatusSuspended})
	require.NoError(t, err)
	require.Len(t, resp.Issuers, 2, "the status index is rebuilt")
	members, err := g.querier.Practitioners(g.ctx, &types.QueryPractitionersRequest{Organisation: f.hospital})
	require.NoError(t, err)
	require.Len(t, members.Practitioners, 3, "the organisation index is rebuilt")
}

// Timestamps left out of a genesis file take the genesis time, and
// addresses are stored in canonical form.
func TestInitGenesisDefaults(t *testing.T) {
	f := newFixture(t)
	hospital := f.bech32(t, sample.Addr("hospital"))
	doctor := f.bech32(t, sample.Addr("doctor"))
	gs := types.NewGenesisState(types.DefaultParams(),
		[]types.Issuer{{Address: strings.ToUpper(hospital), Name: "Hospital", Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive}},
		[]types.Practitioner{{Address: doctor, Organisation: strings.ToUpper(hospital), Role: types.PractitionerRoleDoctor}},
	)
	require.NoError(t, f.keeper.InitGenesis(f.ctx, gs))

	exported, err := f.keeper.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []types.Issuer{{
		Address: hospital, Name: "Hospital", Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive,
		AddedAt: genesisTime, UpdatedAt: genesisTime,
	}}, exported.Issuers)
	require.Equal(t, []types.Practitioner{{
		Address: doctor, Organisation: hospital, Role: types.PractitionerRoleDoctor, AddedAt: genesisTime,
	}}, exported.Practitioners)

	a, err := f.keeper.IsAuthorised(f.ctx, f.mustAddr(t, doctor))
	require.NoError(t, err)
	require.True(t, a.Authorised)
}

func TestInitGenesisRejectsInvalidState(t *testing.T) {
	f := newFixture(t)

	require.Error(t, f.keeper.InitGenesis(f.ctx, nil))
	err := f.keeper.InitGenesis(f.ctx, types.NewGenesisState(types.NewParams(0, 10), nil, nil))
	require.ErrorIs(t, err, types.ErrInvalidParams)

	gs := populatedGenesis(t, &f)
	gs.Practitioners[0].Organisation = f.stranger
	err = f.keeper.InitGenesis(f.ctx, gs)
	require.ErrorIs(t, err, types.ErrIssuerNotFound)

	has, err := f.keeper.Params.Has(f.ctx)
	require.NoError(t, err)
	require.False(t, has, "a rejected genesis must not write state")
	require.Empty(t, snapshotCounts(t, f), "no member count written")
	iter, err := f.keeper.Issuers.Iterate(f.ctx, nil)
	require.NoError(t, err)
	defer iter.Close()
	require.False(t, iter.Valid(), "no issuer written")
}

func TestExportGenesisBeforeInit(t *testing.T) {
	f := newFixture(t)
	_, err := f.keeper.ExportGenesis(f.ctx)
	require.Error(t, err)
}
