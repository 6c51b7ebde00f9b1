package types_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/medchain/medchain/x/issuers/types"
)

var ac = addresscodec.NewBech32Codec("med")

func addr(t *testing.T, name string) string {
	t.Helper()
	bz := make([]byte, 20)
	copy(bz, name)
	s, err := ac.BytesToString(sdk.AccAddress(bz))
	require.NoError(t, err)
	return s
}

func validGenesis(t *testing.T) *types.GenesisState {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return types.NewGenesisState(types.NewParams(64, 2),
		[]types.Issuer{
			{Address: addr(t, "hospital"), Name: "Hospital", Kind: types.IssuerKindHospital, Status: types.IssuerStatusActive, Website: "https://h.example", AddedAt: at, UpdatedAt: at},
			{Address: addr(t, "lab"), Name: "Lab", Kind: types.IssuerKindLab, Status: types.IssuerStatusSuspended},
		},
		[]types.Practitioner{
			{Address: addr(t, "doctor"), Organisation: addr(t, "hospital"), Role: types.PractitionerRoleDoctor, AddedAt: at},
			{Address: addr(t, "nurse"), Organisation: addr(t, "hospital"), Role: types.PractitionerRoleNurse},
			{Address: addr(t, "tech"), Organisation: addr(t, "lab"), Role: types.PractitionerRoleLabTech},
		},
	)
}

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate(ac))
	require.NoError(t, types.NewGenesisState(types.NewParams(32, 3), nil, nil).Validate(ac))
	require.NoError(t, validGenesis(t).Validate(ac))

	err := types.GenesisState{}.Validate(ac)
	require.ErrorIs(t, err, types.ErrInvalidParams)

	err = types.NewGenesisState(types.NewParams(128, 0), nil, nil).Validate(ac)
	require.ErrorIs(t, err, types.ErrInvalidParams)
	require.ErrorContains(t, err, "max_practitioners_per_organisation")

	require.Error(t, validGenesis(t).Validate(nil), "an address codec is required")
}

func TestGenesisValidateRejects(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(gs *types.GenesisState)
		wantErr error
		wantMsg string
	}{
		{"duplicate issuer", func(gs *types.GenesisState) {
			gs.Issuers = append(gs.Issuers, gs.Issuers[0])
		}, types.ErrIssuerExists, "issuers[2]"},
		{"duplicate issuer spelled in upper case", func(gs *types.GenesisState) {
			dup := gs.Issuers[0]
			dup.Address = strings.ToUpper(dup.Address)
			gs.Issuers = append(gs.Issuers, dup)
		}, types.ErrIssuerExists, ""},
		{"bad issuer address", func(gs *types.GenesisState) { gs.Issuers[1].Address = "med1xyz" }, types.ErrInvalidAddress, "issuers[1]"},
		{"issuer of another chain", func(gs *types.GenesisState) {
			gs.Issuers[1].Address = "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"
		}, types.ErrInvalidAddress, ""},
		{"unspecified kind", func(gs *types.GenesisState) { gs.Issuers[0].Kind = types.IssuerKindUnspecified }, types.ErrInvalidKind, "issuers[0]"},
		{"unspecified status", func(gs *types.GenesisState) { gs.Issuers[0].Status = types.IssuerStatusUnspecified }, types.ErrInvalidStatus, ""},
		{"empty name", func(gs *types.GenesisState) { gs.Issuers[0].Name = "" }, types.ErrInvalidName, ""},
		{"name over the param limit", func(gs *types.GenesisState) { gs.Issuers[0].Name = strings.Repeat("n", 65) }, types.ErrInvalidName, "max_name_length"},
		{"bad website", func(gs *types.GenesisState) { gs.Issuers[0].Website = "h.example" }, types.ErrInvalidWebsite, ""},
		{"long license id", func(gs *types.GenesisState) { gs.Issuers[0].LicenseId = strings.Repeat("1", 129) }, types.ErrInvalidLicenseID, ""},
		{"long jurisdiction", func(gs *types.GenesisState) { gs.Issuers[0].Jurisdiction = strings.Repeat("j", 65) }, types.ErrInvalidJurisdiction, ""},

		{"duplicate practitioner", func(gs *types.GenesisState) {
			dup := gs.Practitioners[0]
			dup.Organisation = gs.Issuers[1].Address
			gs.Practitioners = append(gs.Practitioners, dup)
		}, types.ErrAlreadyPractitioner, "exactly one organisation"},
		{"practitioner of an unknown organisation", func(gs *types.GenesisState) {
			gs.Practitioners[2].Organisation = addr(t, "nowhere")
		}, types.ErrIssuerNotFound, "practitioners[2]"},
		{"practitioner that is also an issuer", func(gs *types.GenesisState) {
			gs.Practitioners[2].Address = gs.Issuers[0].Address
		}, types.ErrIsIssuer, ""},
		{"bad practitioner address", func(gs *types.GenesisState) { gs.Practitioners[0].Address = "doctor" }, types.ErrInvalidAddress, ""},
		{"bad organisation address", func(gs *types.GenesisState) { gs.Practitioners[0].Organisation = "" }, types.ErrInvalidAddress, "organisation"},
		{"unspecified role", func(gs *types.GenesisState) { gs.Practitioners[0].Role = types.PractitionerRoleUnspecified }, types.ErrInvalidRole, ""},
		{"undefined role", func(gs *types.GenesisState) { gs.Practitioners[0].Role = 12 }, types.ErrInvalidRole, ""},
		{"practitioner status set", func(gs *types.GenesisState) {
			gs.Practitioners[0].Status = types.PractitionerStatusActive
		}, types.ErrInvalidStatus, "derived"},
		{"more members than the param allows", func(gs *types.GenesisState) {
			gs.Practitioners = append(gs.Practitioners, types.Practitioner{
				Address: addr(t, "third"), Organisation: gs.Issuers[0].Address, Role: types.PractitionerRoleAdmin,
			})
		}, types.ErrTooManyPractitioners, "more than 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := validGenesis(t)
			tc.mutate(gs)
			err := gs.Validate(ac)
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			require.ErrorContains(t, err, "invalid issuers genesis")
		})
	}
}
