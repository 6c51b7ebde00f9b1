// Package mhd builds IHE MHD (FHIR R4) test bundles: an ITI-65 Provide
// Document Bundle as an EHR sends it, for the bridge's tests.
package mhd

import (
	"crypto/sha1" //nolint:gosec // MHD's attachment hash is SHA-1
	"encoding/base64"
	"fmt"
)

// SubmissionSetSystem codes a List as an MHD SubmissionSet.
const SubmissionSetSystem = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"

// Doc is one document of a bundle.
type Doc struct {
	Data        []byte
	ContentType string
	TypeCode    string // a LOINC document type
	TypeDisplay string
}

// Bundle is an ITI-65 Provide Document Bundle as an EHR sends it: the
// Patient with its identifier, the SubmissionSet, and per document a
// DocumentReference and its Binary, referring to each other by urn:uuid.
func Bundle(system, patientIdentifier string, docs ...Doc) map[string]any {
	patientURL := "urn:uuid:6f1e4c52-9c1e-4f5e-8d8a-0c4f5b1d2e01"
	var entries, listEntries []any
	entries = append(entries, map[string]any{
		"fullUrl": patientURL,
		"resource": map[string]any{
			"resourceType": "Patient",
			"identifier":   []any{map[string]any{"use": "usual", "system": system, "value": patientIdentifier}},
			"name":         []any{map[string]any{"family": "Doe", "given": []any{"Jane"}}},
			"gender":       "female",
			"birthDate":    "1961-07-14",
		},
		"request": map[string]any{"method": "POST", "url": "Patient"},
	})
	var docEntries []any
	for i, d := range docs {
		docURL := fmt.Sprintf("urn:uuid:0c287d32-01e3-4d87-9953-9fcc9404eb%02d", i)
		binURL := fmt.Sprintf("urn:uuid:3b1a9f4e-7d2c-4a8b-9e6f-5c4d3b2a19%02d", i)
		sum := sha1.Sum(d.Data) //nolint:gosec
		listEntries = append(listEntries, map[string]any{"item": map[string]any{"reference": docURL}})
		docEntries = append(docEntries,
			map[string]any{
				"fullUrl": docURL,
				"resource": map[string]any{
					"resourceType":     "DocumentReference",
					"meta":             map[string]any{"profile": []any{"https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.DocumentReference"}},
					"masterIdentifier": map[string]any{"system": "urn:ietf:rfc:3986", "value": fmt.Sprintf("urn:oid:1.2.840.113619.2.62.994044785528.%d", 114289542805+i)},
					"status":           "current",
					"type": map[string]any{"coding": []any{map[string]any{
						"system": "http://loinc.org", "code": d.TypeCode, "display": d.TypeDisplay}}},
					"subject":     map[string]any{"reference": patientURL},
					"date":        "2024-05-02T14:10:00Z",
					"description": "Written for Jane Doe by Dr. Smith",
					"content": []any{map[string]any{"attachment": map[string]any{
						"contentType": d.ContentType, "url": binURL, "size": len(d.Data),
						"hash": base64.StdEncoding.EncodeToString(sum[:]), "creation": "2024-05-02T14:00:00Z",
					}}},
				},
				"request": map[string]any{"method": "POST", "url": "DocumentReference"},
			},
			map[string]any{
				"fullUrl": binURL,
				"resource": map[string]any{
					"resourceType": "Binary", "contentType": d.ContentType, "data": base64.StdEncoding.EncodeToString(d.Data),
				},
				"request": map[string]any{"method": "POST", "url": "Binary"},
			})
	}
	entries = append(entries, map[string]any{
		"fullUrl": "urn:uuid:a4c0e9a2-59b8-4a4e-a7d2-35b3a0d1c001",
		"resource": map[string]any{
			"resourceType": "List",
			"meta":         map[string]any{"profile": []any{"https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.SubmissionSet"}},
			"identifier":   []any{map[string]any{"use": "official", "system": "urn:ietf:rfc:3986", "value": "urn:oid:1.3.6.1.4.1.21367.2005.3.7.1"}},
			"status":       "current",
			"mode":         "working",
			"code": map[string]any{"coding": []any{map[string]any{
				"system": SubmissionSetSystem, "code": "submissionset"}}},
			"subject": map[string]any{"reference": patientURL},
			"date":    "2024-05-02T14:10:00Z",
			"entry":   listEntries,
		},
		"request": map[string]any{"method": "POST", "url": "List"},
	})
	entries = append(entries, docEntries...)
	return map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries}
}
