package deid

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	fhirTestKey   = []byte("medchain-test-key-0123456789")
	fhirTestNow   = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	fhirTestOpts  = FHIROptions{Key: fhirTestKey, Now: fhirTestNow}
	fhirTestHexID = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// A US Core patient carrying every identifier Safe Harbor lists that a
// Patient can hold.
const fhirPatient = `{
  "resourceType": "Patient",
  "id": "pat-0042",
  "meta": {"versionId": "7", "lastUpdated": "2024-03-05T10:11:12.123+01:00", "source": "#epic-node-17",
    "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane Q. Doe, MRN 44-1234-77</div>"},
  "extension": [
    {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F"},
    {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "Grimaldi"}
  ],
  "identifier": [
    {"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
     "system": "urn:oid:1.2.36.146.595.217.0.1", "value": "MRN-8812345", "assigner": {"display": "Boston General Hospital"}},
    {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]},
     "system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"}
  ],
  "active": true,
  "name": [{"use": "official", "family": "Doe", "given": ["Jane", "Quincy"]}, {"use": "maiden", "family": "Pemberton"}],
  "telecom": [
    {"system": "phone", "value": "(617) 555-0142", "use": "home"},
    {"system": "fax", "value": "617-555-0199"},
    {"system": "email", "value": "jane.doe@example.com"}
  ],
  "gender": "female",
  "birthDate": "1974-12-25",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1974-12-25T14:35:45-05:00"}]},
  "address": [
    {"use": "home", "line": ["534 Erewhon St", "Apt 2B"], "city": "Boston", "district": "Suffolk", "state": "MA",
     "postalCode": "02134-1234", "country": "US", "period": {"start": "2010-03-23"},
     "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/geolocation", "extension": [
       {"url": "latitude", "valueDecimal": 42.3601}, {"url": "longitude", "valueDecimal": -71.0589}]}]},
    {"use": "old", "line": ["9 Hollow Rd"], "city": "Walpole", "state": "NH", "postalCode": "03608", "country": "USA"},
    {"use": "old", "line": ["12 Mill Lane"], "city": "Colebrook", "state": "NH", "postalCode": "03576"},
    {"use": "temp", "line": ["221B Baker Street"], "city": "London", "postalCode": "NW1 6XE", "country": "GB"}
  ],
  "photo": [{"contentType": "image/jpeg", "data": "/9j/4AAQSkZJRgABAQEASABIAAD", "title": "Jane at the beach"}],
  "contact": [{"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}]}],
    "name": {"family": "Doe", "given": ["Richard"]}, "telecom": [{"system": "phone", "value": "+1 617 555 0177"}],
    "address": {"line": ["534 Erewhon St"], "city": "Boston", "postalCode": "02134"}}],
  "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en-US", "display": "English (United States)"}], "text": "English"}}],
  "generalPractitioner": [{"reference": "Practitioner/prac-77", "display": "Dr Gregory House"}],
  "managingOrganization": {"reference": "Organization/org-bgh-1", "display": "Boston General Hospital"},
  "link": [{"other": {"reference": "Patient/pat-0041"}, "type": "seealso"}]
}`

const fhirObservation = `{
  "resourceType": "Observation",
  "id": "obs-hr-3391",
  "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}], "text": "Heart rate"},
  "subject": {"reference": "Patient/pat-0042", "display": "Jane Doe"},
  "encounter": {"reference": "Encounter/enc-5521"},
  "effectiveDateTime": "2024-03-04T08:15:00-05:00",
  "issued": "2024-03-04T09:00:00.000Z",
  "performer": [{"reference": "Practitioner/prac-77", "display": "Dr Gregory House"}],
  "valueQuantity": {"value": 72.50, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"},
  "note": [{"authorString": "Nurse Ratched", "time": "2024-03-04T08:20:00Z", "text": "Anxious; husband Richard present"}],
  "device": {"reference": "Device/dev-pump-9", "display": "Jane's infusion pump"}
}`

const fhirEncounter = `{
  "resourceType": "Encounter",
  "id": "enc-5521",
  "status": "finished",
  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
  "subject": {"reference": "Patient/pat-0042"},
  "period": {"start": "2024-02-28T22:10:00-05:00", "end": "2024-03-06T11:30:00-05:00"},
  "reasonCode": [{"text": "chest pain"}],
  "hospitalization": {"preAdmissionIdentifier": {"system": "http://bgh.example/pre", "value": "PRE-77812"},
    "dischargeDisposition": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/discharge-disposition", "code": "home"}]}},
  "location": [{"location": {"reference": "Location/loc-ward-7B", "display": "Ward 7B bed 12"},
    "period": {"start": "2024-02-28T23:00:00-05:00"}}]
}`

const fhirDevice = `{
  "resourceType": "Device",
  "id": "dev-pump-9",
  "identifier": [{"system": "http://acme.example/devices", "value": "AMID-342135-8464"}],
  "udiCarrier": [{"deviceIdentifier": "09504000059118", "issuer": "http://hl7.org/fhir/NamingSystem/gs1-di",
    "carrierHRF": "(01)09504000059118(17)141120(10)7654321D(21)10987654d321", "entryType": "barcode"}],
  "status": "active",
  "distinctIdentifier": "DI-ACME-2231",
  "manufacturer": "Acme Devices, Inc",
  "manufactureDate": "2013-02-01",
  "expirationDate": "2014-11-20",
  "lotNumber": "7654321D",
  "serialNumber": "10987654d321",
  "deviceName": [{"name": "Jane's infusion pump", "type": "user-friendly-name"}],
  "modelNumber": "AP-100",
  "type": {"coding": [{"system": "http://snomed.info/sct", "code": "469829001", "display": "Infusion pump"}]},
  "patient": {"reference": "Patient/pat-0042"},
  "url": "http://10.20.30.40/pump-status"
}`

const fhirCoverage = `{
  "resourceType": "Coverage",
  "id": "cov-9876B1",
  "identifier": [{"system": "http://benefitsinc.example/certificate", "value": "CERT-12345"}],
  "status": "active",
  "subscriber": {"reference": "Patient/pat-0042"},
  "subscriberId": "AB9876543",
  "beneficiary": {"reference": "Patient/pat-0042"},
  "dependent": "01",
  "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "code": "self"}]},
  "period": {"start": "2011-05-23", "end": "2012-05-23"},
  "payor": [{"reference": "Organization/org-ins-2", "display": "Acme Health Insurance of Boston"}],
  "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "group"}]},
    "value": "CB135", "name": "Corporate Baker's Inc. Local #35"}]
}`

// A practitioner's licence is a qualification identifier.
const fhirPractitioner = `{
  "resourceType": "Practitioner",
  "id": "prac-77",
  "name": [{"family": "House", "given": ["Gregory"], "prefix": ["Dr"]}],
  "telecom": [{"system": "email", "value": "g.house@bgh.example"}],
  "qualification": [{"identifier": [{"system": "http://ma.example/licence", "value": "LIC-MD-556677"}],
    "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "MD"}]},
    "period": {"start": "1995-06-30"}}]
}`

// A condition whose onset was at 95.
const fhirConditionAge95 = `{
  "resourceType": "Condition",
  "id": "cond-1",
  "subject": {"reference": "Patient/pat-0042"},
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006", "display": "Myocardial infarction"}]},
  "onsetAge": {"value": 95, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"},
  "abatementAge": {"value": 1150, "unit": "months", "system": "http://unitsofmeasure.org", "code": "mo"},
  "recordedDate": "2019-11-02",
  "evidence": [{"detail": [{"reference": "Observation/obs-hr-3391"}]}]
}`

// Strings whose values hold an email address, a URL or an IP address.
const fhirFreeText = `{
  "resourceType": "Observation",
  "id": "obs-free-1",
  "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "72133-2"}], "text": "see http://portal.bgh.example/u/8812"},
  "valueString": "write to jane.doe@example.com",
  "component": [
    {"code": {"text": "upload host"}, "valueString": "uploaded from 192.168.14.22"},
    {"code": {"text": "upload host v6"}, "valueString": "from fe80::1ff:fe23:4567:890a"},
    {"code": {"text": "site"}, "valueString": "www.janedoe-blog.example"},
    {"code": {"text": "smoking"}, "valueString": "never smoked"}
  ],
  "extension": [{"url": "http://example.org/fhir/StructureDefinition/homepage", "valueUrl": "https://janedoe.example/me"},
    {"url": "http://example.org/fhir/StructureDefinition/ward", "valueString": "7B"}],
  "bodySite": {"text": "left forearm"}
}`

// A Bundle whose entries reference each other in every form: relative,
// absolute, urn:uuid and contained.
const fhirBundle = `{
  "resourceType": "Bundle",
  "id": "bundle-xyz-1",
  "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
  "type": "transaction",
  "timestamp": "2024-03-06T12:00:00+01:00",
  "link": [{"relation": "self", "url": "https://fhir.bgh.example/r4/Patient?identifier=MRN-8812345"}],
  "entry": [
    {"fullUrl": "https://fhir.bgh.example/r4/Patient/pat-0042",
     "resource": {"resourceType": "Patient", "id": "pat-0042", "name": [{"family": "Doe"}], "birthDate": "1974-12-25"},
     "request": {"method": "PUT", "url": "Patient/pat-0042"}},
    {"fullUrl": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource": {"resourceType": "Encounter", "status": "finished",
       "subject": {"reference": "Patient/pat-0042"}, "period": {"start": "2024-02-28"}},
     "request": {"method": "POST", "url": "Encounter", "ifNoneExist": "identifier=ENC-5521"}},
    {"fullUrl": "https://fhir.bgh.example/r4/Observation/obs-hr-3391",
     "resource": {"resourceType": "Observation", "id": "obs-hr-3391", "status": "final",
       "contained": [{"resourceType": "Practitioner", "id": "p1", "name": [{"family": "Ratched"}]}],
       "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
       "subject": {"reference": "https://fhir.bgh.example/r4/Patient/pat-0042"},
       "encounter": {"reference": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"},
       "performer": [{"reference": "#p1"}],
       "effectiveDateTime": "2024-03-04T08:15:00-05:00"},
     "request": {"method": "PUT", "url": "Observation/obs-hr-3391"}}
  ]
}`

func fhirRun(t *testing.T, in string, opts FHIROptions) (map[string]any, string, FHIRReport) {
	t.Helper()
	var out bytes.Buffer
	rep, err := FHIR(strings.NewReader(in), &out, opts)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc), out.String())
	return doc, out.String(), rep
}

// fhirAt follows a path of keys and indexes.
func fhirAt(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "%v is not an object at %q", v, k)
			v = m[k]
		case int:
			a, ok := v.([]any)
			require.True(t, ok && k < len(a), "%v has no item %d", v, k)
			v = a[k]
		}
	}
	return v
}

// fhirIdentifying collects the identifying values of a resource: every
// string of an element that names, locates, contacts or identifies, every
// id and reference, the displays of references and every full date.
func fhirIdentifying(t *testing.T, in string) []string {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(in), &doc))
	keys := map[string]bool{"id": true, "reference": true, "fullUrl": true, "family": true, "given": true,
		"line": true, "city": true, "district": true, "postalCode": true, "div": true, "data": true, "title": true,
		"serialNumber": true, "lotNumber": true, "deviceIdentifier": true, "carrierHRF": true, "distinctIdentifier": true,
		"subscriberId": true, "valueString": true, "authorString": true, "ifNoneExist": true}
	var vals []string
	var walk func(v any, key string, parent map[string]any)
	walk = func(v any, key string, parent map[string]any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, k, x)
			}
		case []any:
			for _, c := range x {
				walk(c, key, parent)
			}
		case string:
			_, isExt := parent["valueString"]
			_, hasCode := parent["code"]
			_, hasSystem := parent["system"]
			switch {
			case keys[key] && !(key == "valueString" && (x == "never smoked" || x == "7B")),
				key == "value" && !hasCode, // Identifier, ContactPoint, Coverage.class
				key == "display" && !hasCode && !hasSystem,
				key == "url" && !isExt && strings.Contains(x, "//") && parent["valueDecimal"] == nil && parent["extension"] == nil && parent["valueDateTime"] == nil && parent["valueCode"] == nil,
				key == "text" && parent["authorString"] != nil,
				fhirDate.MatchString(x) && len(x) >= 10:
				vals = append(vals, x)
			}
		}
	}
	walk(doc, "", nil)
	return vals
}

func requireNoneLeft(t *testing.T, out string, values []string) {
	t.Helper()
	for _, v := range values {
		require.NotContains(t, out, v, "the de-identified copy still holds %q", v)
	}
}

func TestFHIRSafeHarbor(t *testing.T) {
	cases := []struct {
		name        string
		in          string
		identifying []string // besides those fhirIdentifying collects
		check       func(t *testing.T, doc map[string]any, out string, rep FHIRReport)
	}{
		{"1 names", fhirPatient, []string{"Doe", "Jane", "Quincy", "Pemberton", "Richard", "Grimaldi"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "name")
				require.NotContains(t, doc, "contact")
				require.NotContains(t, out, "mothersMaidenName")
			}},
		{"2 geographic subdivisions", fhirPatient, []string{"Erewhon", "Apt 2B", "Boston", "Suffolk", "Hollow",
			"Colebrook", "Walpole", "Baker Street", "London", "NW1", "42.36", "71.05"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				addr := doc["address"].([]any)
				require.Len(t, addr, 4)
				require.Equal(t, map[string]any{"use": "home", "state": "MA", "postalCode": "021", "country": "US",
					"period": map[string]any{"start": "2010"}}, addr[0], "state and country kept, ZIP cut to 3 digits")
				require.Equal(t, map[string]any{"use": "old", "state": "NH", "postalCode": "000", "country": "USA"}, addr[1],
					"restricted prefix 036")
				require.Equal(t, map[string]any{"use": "old", "state": "NH", "postalCode": "035"}, addr[2], "a ZIP without country")
				require.Equal(t, map[string]any{"use": "temp", "country": "GB"}, addr[3], "a non-US postal code goes")
				require.Equal(t, 3, rep.PostalCodes)
			}},
		{"3 dates", fhirObservation, nil, func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
			require.Equal(t, "2024", doc["effectiveDateTime"])
			require.Equal(t, "2024", doc["issued"])
			require.Equal(t, 2, rep.DatesGeneralised)
		}},
		{"3 dates: birth date and birth time", fhirPatient, []string{"14:35", "12-25"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.Equal(t, "1974", doc["birthDate"])
				require.Equal(t, "1974", fhirAt(t, doc, "_birthDate", "extension", 0, "valueDateTime"))
				require.Equal(t, "2024", fhirAt(t, doc, "meta", "lastUpdated"))
			}},
		{"3 dates: period", fhirEncounter, nil, func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
			require.Equal(t, map[string]any{"start": "2024", "end": "2024"}, doc["period"])
			require.Equal(t, "2024", fhirAt(t, doc, "location", 0, "period", "start"))
			require.Equal(t, "chest pain", fhirAt(t, doc, "reasonCode", 0, "text"), "clinical text kept")
			require.NotContains(t, doc["hospitalization"], "preAdmissionIdentifier")
		}},
		{"3 ages over 89", fhirConditionAge95, nil, func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
			require.Equal(t, map[string]any{"value": 90.0, "comparator": ">=", "unit": "years",
				"system": "http://unitsofmeasure.org", "code": "a"}, doc["onsetAge"])
			require.Equal(t, map[string]any{"value": 90.0, "comparator": ">=", "unit": "years",
				"system": "http://unitsofmeasure.org", "code": "a"}, doc["abatementAge"], "1150 months is over 89 years")
			require.NotContains(t, out, `"value": 95`)
			require.NotContains(t, out, `"value": 1150`)
			require.Equal(t, 2, rep.AgesAggregated)
		}},
		{"4-6 telephone, fax, email", fhirPatient, []string{"555-0142", "555-0199", "555 0177", "jane.doe@"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "telecom")
			}},
		{"7-8 SSN and MRN", fhirPatient, []string{"123-45-6789", "MRN-8812345", "44-1234-77"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "identifier")
				require.NotContains(t, doc, "text", "the narrative goes")
			}},
		{"9 health plan beneficiary numbers", fhirCoverage, []string{"AB9876543", "CERT-12345", "CB135", "Corporate Baker"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "subscriberId")
				require.NotContains(t, doc, "dependent")
				require.NotContains(t, doc, "class", "group and plan numbers go")
				require.Equal(t, "self", fhirAt(t, doc, "relationship", "coding", 0, "code"))
				require.Equal(t, fhirAt(t, doc, "subscriber", "reference"), fhirAt(t, doc, "beneficiary", "reference"))
			}},
		{"11 licence numbers", fhirPractitioner, []string{"LIC-MD-556677", "House", "Gregory", "g.house"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.Equal(t, map[string]any{"code": map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "MD"}}}, "period": map[string]any{"start": "1995"}},
					fhirAt(t, doc, "qualification", 0))
			}},
		{"13 device identifiers and serial numbers", fhirDevice, []string{"AMID-342135-8464", "09504000059118", "7654321D",
			"10987654d321", "DI-ACME", "10.20.30.40", "Jane's"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				for _, k := range []string{"identifier", "udiCarrier", "distinctIdentifier", "lotNumber", "serialNumber", "url"} {
					require.NotContains(t, doc, k)
				}
				require.Equal(t, []any{map[string]any{"type": "user-friendly-name"}}, doc["deviceName"])
				require.Equal(t, "AP-100", doc["modelNumber"])
				require.Equal(t, "2013", doc["manufactureDate"])
				require.Equal(t, "Infusion pump", fhirAt(t, doc, "type", "coding", 0, "display"))
			}},
		{"14-15 URLs and IP addresses in values", fhirFreeText, []string{"portal.bgh", "jane.doe@example.com", "192.168.14.22",
			"fe80::", "janedoe-blog", "janedoe.example", "homepage"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "valueString")
				require.Equal(t, map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "72133-2"}}}, doc["code"])
				comps := doc["component"].([]any)
				require.Len(t, comps, 4)
				for _, c := range comps[:3] {
					require.NotContains(t, c, "valueString")
				}
				require.Equal(t, "never smoked", fhirAt(t, comps[3], "valueString"))
				require.Equal(t, "left forearm", fhirAt(t, doc, "bodySite", "text"))
				require.Equal(t, []any{map[string]any{"url": "http://example.org/fhir/StructureDefinition/ward", "valueString": "7B"}},
					doc["extension"], "an extension whose value went goes, its URL with it")
			}},
		{"14 structural URLs kept", fhirPatient, nil, func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
			require.Equal(t, []any{map[string]any{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
				"valueCode": "F"}}, doc["extension"])
			require.Equal(t, []any{"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"}, fhirAt(t, doc, "meta", "profile"))
			require.Equal(t, map[string]any{"coding": []any{map[string]any{"system": "urn:ietf:bcp:47", "code": "en-US",
				"display": "English (United States)"}}, "text": "English"}, fhirAt(t, doc, "communication", 0, "language"))
			require.Equal(t, "http://hl7.org/fhir/StructureDefinition/patient-birthTime", fhirAt(t, doc, "_birthDate", "extension", 0, "url"))
		}},
		{"17 photos", fhirPatient, []string{"/9j/4AAQ", "beach"}, func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
			require.NotContains(t, doc, "photo")
		}},
		{"18 ids, references, free text", fhirObservation, []string{"Ratched", "Richard", "Jane", "House"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.Regexp(t, fhirTestHexID, doc["id"])
				require.Regexp(t, `^Patient/[0-9a-f]{32}$`, fhirAt(t, doc, "subject", "reference"))
				require.Equal(t, map[string]any{"reference": fhirAt(t, doc, "subject", "reference")}, doc["subject"], "display removed")
				require.Regexp(t, `^Practitioner/[0-9a-f]{32}$`, fhirAt(t, doc, "performer", 0, "reference"))
				require.NotContains(t, doc, "note")
				require.Equal(t, "Heart rate", fhirAt(t, doc, "code", "coding", 0, "display"), "coding displays kept")
				require.Equal(t, "Heart rate", fhirAt(t, doc, "code", "text"))
				require.Contains(t, out, `"value": 72.50`, "numbers copied exactly")
				require.Equal(t, 5, rep.Pseudonymised)
			}},
		{"18 other links", fhirPatient, []string{"pat-0041", "org-bgh-1", "prac-77", "Boston General", "epic-node"},
			func(t *testing.T, doc map[string]any, out string, rep FHIRReport) {
				require.NotContains(t, doc, "link")
				require.Equal(t, map[string]any{"lastUpdated": "2024", "profile": []any{
					"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"}}, doc["meta"])
				require.Equal(t, "female", doc["gender"])
				require.Equal(t, true, doc["active"])
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, out, rep := fhirRun(t, c.in, fhirTestOpts)
			c.check(t, doc, out, rep)
			collected := fhirIdentifying(t, c.in)
			require.NotEmpty(t, collected)
			requireNoneLeft(t, out, append(collected, c.identifying...))
			require.Positive(t, rep.Removed+rep.Pseudonymised)
		})
	}
}

// TestFHIROver89: a birth date giving an age over 89, today or at any
// date of the resource, is removed altogether, even its year.
func TestFHIROver89(t *testing.T) {
	born1920 := `{"resourceType": "Patient", "id": "old-1", "gender": "male", "birthDate": "1920-04-02",
	  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1920-04-02T06:00:00Z"}]},
	  "deceasedDateTime": "2001-03-03"}`
	for _, opts := range []FHIROptions{fhirTestOpts, {Key: fhirTestKey, Now: fhirTestNow, DateShiftDays: -400}} {
		doc, out, rep := fhirRun(t, born1920, opts)
		require.NotContains(t, doc, "birthDate")
		require.Equal(t, map[string]any{"extension": []any{map[string]any{
			"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}}}, doc["_birthDate"])
		require.NotContains(t, out, "1920")
		require.NotContains(t, out, "1919")
		require.Equal(t, 1, rep.AgesAggregated)
	}

	// 88 today, but 90 at a later date the bundle holds.
	later := `{"resourceType": "Bundle", "type": "collection", "entry": [
	  {"resource": {"resourceType": "Patient", "birthDate": "1936-08-01"}},
	  {"resource": {"resourceType": "Appointment", "status": "booked", "start": "2026-09-01T09:00:00Z"}}]}`
	doc, _, _ := fhirRun(t, later, FHIROptions{Key: fhirTestKey, Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NotContains(t, fhirAt(t, doc, "entry", 0, "resource"), "birthDate")

	// 88 at every date: the year stays.
	doc, _, rep := fhirRun(t, `{"resourceType": "Patient", "birthDate": "1936-08-01"}`,
		FHIROptions{Key: fhirTestKey, Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.Equal(t, "1936", doc["birthDate"])
	require.Zero(t, rep.AgesAggregated)
}

// TestFHIRDateShift: with DateShiftDays every date moves by exactly that
// many days, keeping its precision, time of day and zone.
func TestFHIRDateShift(t *testing.T) {
	days, err := ShiftDays([]byte("the patient's date-shift secret"))
	require.NoError(t, err)
	in := `{"resourceType": "Bundle", "type": "collection", "timestamp": "2024-03-06T12:00:00+01:00", "entry": [
	  {"resource": ` + fhirObservation + `},
	  {"resource": ` + fhirEncounter + `},
	  {"resource": {"resourceType": "Patient", "birthDate": "1974-12-25"}},
	  {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
	    "authoredOn": "2024-03", "dosageInstruction": [{"timing": {"event": ["2024-03-07T08:00:00Z", "2024-03-08T08:00:00.5Z"]}}]}}]}`
	doc, out, rep := fhirRun(t, in, FHIROptions{Key: fhirTestKey, Now: fhirTestNow, DateShiftDays: days})

	pairs := []struct {
		orig string
		path []any
	}{
		{"2024-03-06T12:00:00+01:00", []any{"timestamp"}},
		{"2024-03-04T08:15:00-05:00", []any{"entry", 0, "resource", "effectiveDateTime"}},
		{"2024-03-04T09:00:00.000Z", []any{"entry", 0, "resource", "issued"}},
		{"2024-02-28T22:10:00-05:00", []any{"entry", 1, "resource", "period", "start"}},
		{"2024-03-06T11:30:00-05:00", []any{"entry", 1, "resource", "period", "end"}},
		{"2024-03-07T08:00:00Z", []any{"entry", 3, "resource", "dosageInstruction", 0, "timing", "event", 0}},
		{"2024-03-08T08:00:00.5Z", []any{"entry", 3, "resource", "dosageInstruction", 0, "timing", "event", 1}},
	}
	for _, p := range pairs {
		got := fhirAt(t, doc, p.path...).(string)
		require.Equal(t, p.orig[10:], got[10:], "time of day and zone kept in %s", got)
		o, err := time.Parse(time.RFC3339Nano, p.orig)
		require.NoError(t, err)
		g, err := time.Parse(time.RFC3339Nano, got)
		require.NoError(t, err)
		require.Equal(t, time.Duration(days)*24*time.Hour, g.Sub(o), "%s -> %s", p.orig, got)
		require.NotContains(t, out, p.orig[:10])
	}
	require.Equal(t, time.Date(1974, 12, 25, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format("2006-01-02"),
		fhirAt(t, doc, "entry", 2, "resource", "birthDate"))
	require.Equal(t, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format("2006-01"),
		fhirAt(t, doc, "entry", 3, "resource", "authoredOn"), "a month stays a month")
	require.Equal(t, 10, rep.DatesShifted)
	require.Zero(t, rep.DatesGeneralised)
}

// TestFHIRBundleReferences: pseudonymised references still resolve within
// the Bundle; one key gives the same pseudonyms every time, another key
// different ones.
func TestFHIRBundleReferences(t *testing.T) {
	doc, out, rep := fhirRun(t, fhirBundle, fhirTestOpts)
	requireNoneLeft(t, out, append(fhirIdentifying(t, fhirBundle), "fhir.bgh.example", "MRN-8812345", "ENC-5521", "Ratched",
		"0c3151bd", "61ebe359"))
	require.NotContains(t, doc, "identifier")
	require.NotContains(t, doc, "link")
	require.Regexp(t, fhirTestHexID, doc["id"])

	entries := doc["entry"].([]any)
	byFullURL := map[string]map[string]any{}
	byTypeID := map[string]map[string]any{}
	for _, e := range entries {
		full := fhirAt(t, e, "fullUrl").(string)
		res := fhirAt(t, e, "resource").(map[string]any)
		byFullURL[full] = res
		if id, ok := res["id"].(string); ok {
			require.Regexp(t, fhirTestHexID, id)
			byTypeID[res["resourceType"].(string)+"/"+id] = res
			require.Equal(t, FHIRPseudonymBase+res["resourceType"].(string)+"/"+id, full, "a RESTful fullUrl ends in type/id")
		} else {
			require.Regexp(t, `^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, full)
		}
	}
	resolve := func(ref string) map[string]any {
		if r, ok := byFullURL[ref]; ok {
			return r
		}
		return byTypeID[ref]
	}
	patient := resolve(fhirAt(t, entries[1], "resource", "subject", "reference").(string))
	require.NotNil(t, patient, "Encounter.subject (relative) resolves")
	require.Equal(t, "Patient", patient["resourceType"])
	obs := fhirAt(t, entries[2], "resource").(map[string]any)
	require.Equal(t, patient, byFullURL[fhirAt(t, obs, "subject", "reference").(string)], "an absolute reference resolves")
	enc := resolve(fhirAt(t, obs, "encounter", "reference").(string))
	require.NotNil(t, enc, "a urn:uuid reference resolves")
	require.Equal(t, "Encounter", enc["resourceType"])
	require.Equal(t, "#"+fhirAt(t, obs, "contained", 0, "id").(string), fhirAt(t, obs, "performer", 0, "reference"),
		"a contained reference resolves")
	require.Equal(t, "Patient/"+patient["id"].(string), fhirAt(t, entries[0], "request", "url"))
	require.Equal(t, "Encounter", fhirAt(t, entries[1], "request", "url"))
	require.NotContains(t, fhirAt(t, entries[1], "request"), "ifNoneExist")
	require.Positive(t, rep.Pseudonymised)

	// Same key, same pseudonyms (a separate resource included); another
	// key, other ones.
	again, out2, _ := fhirRun(t, fhirBundle, fhirTestOpts)
	require.Equal(t, out, out2)
	single, _, _ := fhirRun(t, fhirObservation, fhirTestOpts)
	require.Equal(t, "Patient/"+patient["id"].(string), fhirAt(t, single, "subject", "reference"))
	require.Equal(t, doc, again)
	other, _, _ := fhirRun(t, fhirBundle, FHIROptions{Key: []byte("another key, also long enough"), Now: fhirTestNow})
	require.NotEqual(t, patient["id"], fhirAt(t, other, "entry", 0, "resource", "id"))
	require.NotEqual(t, fhirAt(t, entries[1], "fullUrl"), fhirAt(t, other, "entry", 1, "fullUrl"))
}

// TestFHIRAttachments: attachment content and URLs go, whatever the
// resource; their type and size stay.
func TestFHIRAttachments(t *testing.T) {
	in := `{"resourceType": "DocumentReference", "status": "current",
	  "subject": {"reference": "Patient/pat-0042"},
	  "content": [{"attachment": {"contentType": "application/pdf", "language": "en", "size": 18211,
	    "data": "JVBERi0xLjcKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI", "url": "https://docs.bgh.example/letters/8812345.pdf",
	    "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "title": "Discharge letter for Jane Doe", "creation": "2024-03-06T10:00:00Z"}}],
	  "description": "Letter to Dr House about Jane Doe"}`
	doc, out, _ := fhirRun(t, in, fhirTestOpts)
	require.Equal(t, map[string]any{"contentType": "application/pdf", "language": "en", "size": 18211.0, "creation": "2024"},
		fhirAt(t, doc, "content", 0, "attachment"))
	require.NotContains(t, doc, "description")
	requireNoneLeft(t, out, append(fhirIdentifying(t, in), "JVBERi", "docs.bgh", "2jmj7l", "Jane", "House"))
}

// TestFHIRKeepsClinicalStrings: the patterns that remove a string do not
// catch ordinary clinical text, codes or structural URIs.
func TestFHIRKeepsClinicalStrings(t *testing.T) {
	kept := []string{"BP 120/80 mmHg", "Temp 38.5 C", "take 1.5 tablets twice daily", "10:30 after breakfast",
		"HbA1c 7.2%", "never smoked", "ECOG 2", "Stage IIIA (T2 N2 M0)"}
	var comps []string
	for _, v := range kept {
		comps = append(comps, `{"code": {"text": "x"}, "valueString": "`+v+`"}`)
	}
	in := `{"resourceType": "Observation", "status": "final",
	  "code": {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.1", "code": "1.2.3.4", "version": "2.74"}]},
	  "questionnaire": "http://example.org/Questionnaire/intake",
	  "component": [` + strings.Join(comps, ",") + `]}`
	doc, _, _ := fhirRun(t, in, fhirTestOpts)
	for i, v := range kept {
		require.Equal(t, v, fhirAt(t, doc, "component", i, "valueString"))
	}
	require.Equal(t, "1.2.3.4", fhirAt(t, doc, "code", "coding", 0, "code"))
	require.Equal(t, "urn:oid:2.16.840.1.113883.6.1", fhirAt(t, doc, "code", "coding", 0, "system"))
	require.Equal(t, "http://example.org/Questionnaire/intake", doc["questionnaire"])
}

// TestFHIRParameters: a Parameters resource keeps its parameter names,
// which are structural.
func TestFHIRParameters(t *testing.T) {
	doc, _, _ := fhirRun(t, `{"resourceType": "Parameters", "parameter": [{"name": "count", "valueInteger": 3},
	  {"name": "patient", "resource": {"resourceType": "Patient", "name": [{"family": "Doe"}]}}]}`, fhirTestOpts)
	require.Equal(t, "count", fhirAt(t, doc, "parameter", 0, "name"))
	require.Equal(t, map[string]any{"resourceType": "Patient"}, fhirAt(t, doc, "parameter", 1, "resource"))
}

func TestFHIRRejects(t *testing.T) {
	for _, in := range []string{`not json`, `[{"resourceType":"Patient"}]`, `{"name":"x"}`, ``, `"Patient"`,
		`{"resourceType": 7}`, `{"resourceType":"Patient"} {"resourceType":"Patient"}`} {
		var out bytes.Buffer
		_, err := FHIR(strings.NewReader(in), &out, fhirTestOpts)
		require.ErrorIs(t, err, ErrNotFHIR, in)
		require.Zero(t, out.Len(), "nothing written for %q", in)
	}
	_, err := FHIR(strings.NewReader(`{"resourceType":"Patient"}`), &bytes.Buffer{}, FHIROptions{Key: []byte("short")})
	require.ErrorContains(t, err, "16 bytes")
}
