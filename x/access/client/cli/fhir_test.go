package cli_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/x/access/client/cli"
	"github.com/medchain/medchain/x/access/types"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const (
	patient = "med17cu8qv2psem0x6h9cwdsejty7gkz5447fxuurn"
	doctor  = "med128sa4nn4yqg3x60dmjn7x40t3vzms8ra7zw2k9"
)

// decoded turns a value into generic JSON, as a FHIR server would read it.
func decoded(t *testing.T, v any) map[string]any {
	t.Helper()
	bz, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(bz, &m))
	return m
}

func TestConsentOfARecordGrant(t *testing.T) {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	expires := created.Add(30 * 24 * time.Hour)
	g := types.Grant{
		Id: 7, Owner: patient, Grantee: doctor, RecordId: 42,
		Permission: types.PermissionRead, Purpose: types.PurposeTreatment,
		ExpiresAt: &expires, CreatedAt: created,
	}
	c := decoded(t, cli.ConsentOf(g, created.Add(time.Hour)))

	// The elements FHIR R4 requires of a Consent: status, scope, category,
	// patient, and a policy rule (ppc-1).
	require.Equal(t, "Consent", c["resourceType"])
	require.Equal(t, "active", c["status"])
	require.Equal(t, "patient-privacy", c["scope"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, "59284-0", c["category"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, map[string]any{"identifier": map[string]any{"system": "urn:medchain:account", "value": patient}}, c["patient"])
	require.Equal(t, "OPTIN", c["policyRule"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, "2026-03-01T09:00:00Z", c["dateTime"])

	p := c["provision"].(map[string]any)
	require.Equal(t, "permit", p["type"])
	require.Equal(t, map[string]any{"start": "2026-03-01T09:00:00Z", "end": "2026-03-31T09:00:00Z"}, p["period"])
	actor := p["actor"].([]any)[0].(map[string]any)
	require.Equal(t, "IRCP", actor["role"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, doctor, actor["reference"].(map[string]any)["identifier"].(map[string]any)["value"])
	require.Equal(t, "access", p["action"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, "TREAT", p["purpose"].([]any)[0].(map[string]any)["code"])
	data := p["data"].([]any)[0].(map[string]any)
	require.Equal(t, "instance", data["meaning"])
	require.Equal(t, map[string]any{"system": "urn:medchain:record", "value": "42"}, data["reference"].(map[string]any)["identifier"])
	require.NotContains(t, p, "class")
}

func TestConsentOfAScopeWriteGrant(t *testing.T) {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g := types.Grant{
		Id: 8, Owner: patient, Grantee: doctor,
		Kinds:      []recordstypes.RecordKind{recordstypes.RecordKindDICOM, recordstypes.RecordKindPDF},
		Permission: types.PermissionWrite, Purpose: types.PurposeEmergency, CreatedAt: created,
	}
	p := decoded(t, cli.ConsentOf(g, created))["provision"].(map[string]any)
	require.Equal(t, "collect", p["action"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, "ETREAT", p["purpose"].([]any)[0].(map[string]any)["code"])
	require.Equal(t, []any{
		map[string]any{"system": "urn:medchain:record-kind", "code": "DICOM"},
		map[string]any{"system": "urn:medchain:record-kind", "code": "PDF"},
	}, p["class"])
	require.NotContains(t, p, "data", "a scope grant covers records by kind, not one instance")
	require.Equal(t, map[string]any{"start": "2026-03-01T09:00:00Z"}, p["period"], "no end without expiry")
}

func TestConsentStatusFollowsExpiry(t *testing.T) {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	expires := created.Add(time.Minute)
	g := types.Grant{Id: 9, Owner: patient, Grantee: doctor, RecordId: 1, Permission: types.PermissionRead,
		Purpose: types.PurposeResearch, ExpiresAt: &expires, CreatedAt: created}
	require.Equal(t, "active", cli.ConsentOf(g, expires.Add(-time.Nanosecond)).Status)
	require.Equal(t, "inactive", cli.ConsentOf(g, expires).Status, "expiry is exclusive, as on chain")
}

func TestConsentBundle(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	b := decoded(t, cli.ConsentBundle([]types.Grant{
		{Id: 1, Owner: patient, Grantee: doctor, RecordId: 1, Permission: types.PermissionRead, Purpose: types.PurposeTreatment, CreatedAt: now},
		{Id: 2, Owner: patient, Grantee: doctor, Permission: types.PermissionWrite, Purpose: types.PurposeOperations, CreatedAt: now},
	}, now))
	require.Equal(t, "Bundle", b["resourceType"])
	require.Equal(t, "collection", b["type"])
	require.NotContains(t, b, "total", "bdl-1: total only on search and history bundles")
	entries := b["entry"].([]any)
	require.Len(t, entries, 2)
	require.Equal(t, "urn:medchain:grant:2", entries[1].(map[string]any)["fullUrl"])
	require.Equal(t, "medchain-grant-2", entries[1].(map[string]any)["resource"].(map[string]any)["id"])

	empty := decoded(t, cli.ConsentBundle(nil, now))
	require.NotContains(t, empty, "entry", "FHIR JSON never has empty arrays")
}
