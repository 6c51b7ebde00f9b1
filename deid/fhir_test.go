package deid

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const patientBundle = `{
  "resourceType": "Bundle", "type": "collection",
  "entry": [
    {"resource": {
      "resourceType": "Patient",
      "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.1.4.1", "value": "9434765919"}],
      "name": [{"family": "Doe", "given": ["Jane"]}],
      "telecom": [{"system": "phone", "value": "+44 20 7946 0000"}],
      "address": [{"line": ["1 Baker Street"], "city": "London"}],
      "gender": "female",
      "birthDate": "1980-07-14",
      "text": {"status": "generated", "div": "<div>Jane Doe, born 14 July 1980</div>"},
      "contact": [{"name": {"family": "Doe", "given": ["John"]}, "telecom": [{"value": "+44 20 7946 0001"}]}]
    }},
    {"resource": {
      "resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
      "valueQuantity": {"value": 72, "unit": "beats/minute"},
      "performer": [{"identifier": {"value": "GMC-1234567"}, "display": "Dr House"}]
    }}
  ]
}`

func TestFHIRRemovesIdentifiers(t *testing.T) {
	var out bytes.Buffer
	rep, err := FHIR(strings.NewReader(patientBundle), &out)
	require.NoError(t, err)
	for _, ident := range []string{"9434765919", "Doe", "Jane", "John", "7946", "Baker Street", "London",
		"1980-07-14", "14 July", "GMC-1234567"} {
		require.NotContains(t, out.String(), ident)
	}
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	entries := doc["entry"].([]any)
	patient := entries[0].(map[string]any)["resource"].(map[string]any)
	require.Equal(t, "1980", patient["birthDate"])
	require.Equal(t, "female", patient["gender"])
	obs := entries[1].(map[string]any)["resource"].(map[string]any)
	require.Equal(t, 72.0, obs["valueQuantity"].(map[string]any)["value"], "clinical content stays")
	require.Contains(t, out.String(), `"value": 72`, "numbers are copied exactly")
	require.Equal(t, 1, rep.DatesReduced)
	require.Equal(t, 8, rep.Removed) // patient 5, its contact 2, the performer 1
}

func TestFHIRRejects(t *testing.T) {
	for _, in := range []string{`not json`, `[{"resourceType":"Patient"}]`, `{"name":"x"}`, ``} {
		_, err := FHIR(strings.NewReader(in), &bytes.Buffer{})
		require.ErrorIs(t, err, ErrNotFHIR, in)
	}
}
