package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/issuers/types"
)

func TestValidateWebsite(t *testing.T) {
	for _, ok := range []string{
		"",
		"https://hospital.example",
		"http://hospital.example:8080/path?q=1#top",
		"HTTPS://Hospital.Example",
		"https://[2001:db8::1]/",
	} {
		require.NoError(t, types.ValidateWebsite(ok), ok)
	}
	for _, bad := range []string{
		"hospital.example",
		"ftp://hospital.example",
		"javascript:alert(1)",
		"https://",
		"https://:443",
		"https://user:pw@hospital.example",
		"https://hospital.example/a b",
		"https://hospital.example/\n",
		"https://hospital.example/" + strings.Repeat("x", types.MaxWebsiteLength),
		"%zz",
	} {
		require.ErrorIs(t, types.ValidateWebsite(bad), types.ErrInvalidWebsite, bad)
	}
}

func TestValidateName(t *testing.T) {
	require.NoError(t, types.ValidateName("Hôpital Saint-Louis", 128))
	require.NoError(t, types.ValidateName("abc", 3))
	for _, bad := range []string{"", " ", "abcd", " abc", "ab\u0007"} {
		require.ErrorIs(t, types.ValidateName(bad, 3), types.ErrInvalidName, "%q", bad)
	}
}

func TestEnumHelpers(t *testing.T) {
	require.True(t, types.IssuerKindResearch.IsValid())
	require.False(t, types.IssuerKindUnspecified.IsValid())
	require.False(t, types.IssuerKind(6).IsValid())
	require.Equal(t, "HOSPITAL", types.IssuerKindHospital.Label())
	require.Equal(t, "SUSPENDED", types.IssuerStatusSuspended.Label())
	require.Equal(t, "LAB_TECH", types.PractitionerRoleLabTech.Label())
	require.False(t, types.PractitionerRole(-1).IsValid())

	// The CLI spellings AutoCLI accepts for enum arguments.
	require.Equal(t, "hospital, clinic, lab, insurer, research", types.ValidIssuerKinds())
	require.Equal(t, "active, suspended, revoked", types.ValidIssuerStatuses())
	require.Equal(t, "doctor, nurse, lab-tech, admin, other", types.ValidPractitionerRoles())

	require.Equal(t, types.PractitionerStatusActive, types.PractitionerStatusFor(types.IssuerStatusActive))
	require.Equal(t, types.PractitionerStatusInactive, types.PractitionerStatusFor(types.IssuerStatusSuspended))
	require.Equal(t, types.PractitionerStatusInactive, types.PractitionerStatusFor(types.IssuerStatusRevoked))
}
