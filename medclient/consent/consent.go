// Package consent renders medchain grants as FHIR R4 Consent resources.
// It has no chain dependency, so the CLI (`query access consent`) and the
// browser portal (Go compiled to WebAssembly) print the same Bundle.
package consent

import (
	"fmt"
	"strconv"
	"time"
)

// Grant is what a Consent says of a grant, with the enums as their labels
// (x/access Permission.Label, Purpose.Label, x/records RecordKind.Label).
type Grant struct {
	ID         uint64     `json:"id"`
	Owner      string     `json:"owner"`
	Grantee    string     `json:"grantee"`
	RecordID   uint64     `json:"record_id"`
	Kinds      []string   `json:"kinds"`
	Permission string     `json:"permission"`
	Purpose    string     `json:"purpose"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// Code systems and identifier systems of the FHIR R4 Consent resources
// medchain prints. Accounts, grants and records are identified by
// medchain-specific URNs a hospital system can map to its own patients and
// practitioners.
const (
	systemAccount     = "urn:medchain:account"
	systemGrant       = "urn:medchain:grant"
	systemRecord      = "urn:medchain:record"
	systemRecordKind  = "urn:medchain:record-kind"
	systemScope       = "http://terminology.hl7.org/CodeSystem/consentscope"
	systemCategory    = "http://loinc.org"
	systemActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	systemActReason   = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	systemAction      = "http://terminology.hl7.org/CodeSystem/consentaction"
	systemParticipant = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
)

// fhirPurpose maps a grant purpose to its v3 ActReason (purpose of use).
var fhirPurpose = map[string]coding{
	"TREATMENT":       {System: systemActReason, Code: "TREAT", Display: "treatment"},
	"EMERGENCY":       {System: systemActReason, Code: "ETREAT", Display: "Emergency Treatment"},
	"RESEARCH":        {System: systemActReason, Code: "HRESCH", Display: "healthcare research"},
	"PAYMENT":         {System: systemActReason, Code: "HPAYMT", Display: "healthcare payment"},
	"OPERATIONS":      {System: systemActReason, Code: "HOPERAT", Display: "healthcare operations"},
	"PATIENT_REQUEST": {System: systemActReason, Code: "PATRQT", Display: "patient requested"},
}

// fhirAction maps a permission to a consent action: READ is access to the
// data, WRITE lets the grantee add (collect) data to the patient's records.
var fhirAction = map[string]coding{
	"READ":  {System: systemAction, Code: "access", Display: "Access"},
	"WRITE": {System: systemAction, Code: "collect", Display: "Collect"},
}

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text,omitempty"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Identifier identifier `json:"identifier"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type provisionActor struct {
	Role      codeableConcept `json:"role"`
	Reference reference       `json:"reference"`
}

type provisionData struct {
	Meaning   string    `json:"meaning"`
	Reference reference `json:"reference"`
}

type provision struct {
	Type    string            `json:"type"`
	Period  *period           `json:"period,omitempty"`
	Actor   []provisionActor  `json:"actor"`
	Action  []codeableConcept `json:"action"`
	Purpose []coding          `json:"purpose,omitempty"`
	Class   []coding          `json:"class,omitempty"`
	Data    []provisionData   `json:"data,omitempty"`
}

// Consent is a FHIR R4 Consent resource, with the elements medchain fills.
type Consent struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Identifier   []identifier      `json:"identifier"`
	Status       string            `json:"status"`
	Scope        codeableConcept   `json:"scope"`
	Category     []codeableConcept `json:"category"`
	Patient      reference         `json:"patient"`
	DateTime     string            `json:"dateTime"`
	Performer    []reference       `json:"performer"`
	PolicyRule   codeableConcept   `json:"policyRule"`
	Provision    provision         `json:"provision"`
}

// BundleEntry is one entry of a Bundle.
type BundleEntry struct {
	FullURL  string  `json:"fullUrl"`
	Resource Consent `json:"resource"`
}

// Bundle is a FHIR R4 Bundle of type collection holding Consents.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp"`
	Entry        []BundleEntry `json:"entry,omitempty"` // FHIR JSON has no empty arrays
}

func fhirTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Of expresses a grant as a FHIR R4 Consent: the patient (owner)
// permits the grantee (actor, role "information recipient") the action
// (access for READ, collect for WRITE) for the purpose of use, during the
// grant's period, on one record (data) or on the kinds of a scope grant
// (class; no class means all the patient's records). A grant whose expiry
// has passed at now, and which EndBlock has not removed yet, is inactive.
func Of(g Grant, now time.Time) Consent {
	owner := reference{Identifier: identifier{System: systemAccount, Value: g.Owner}}
	status := "active"
	if g.ExpiresAt != nil && !g.ExpiresAt.After(now) {
		status = "inactive"
	}
	p := provision{
		Type:   "permit",
		Period: &period{Start: fhirTime(g.CreatedAt)},
		Actor: []provisionActor{{
			Role:      codeableConcept{Coding: []coding{{System: systemParticipant, Code: "IRCP", Display: "information recipient"}}},
			Reference: reference{Identifier: identifier{System: systemAccount, Value: g.Grantee}},
		}},
		Action: []codeableConcept{{Coding: []coding{fhirAction[g.Permission]}}},
	}
	if g.ExpiresAt != nil {
		p.Period.End = fhirTime(*g.ExpiresAt)
	}
	if c, ok := fhirPurpose[g.Purpose]; ok {
		p.Purpose = []coding{c}
	}
	if g.RecordID != 0 {
		p.Data = []provisionData{{Meaning: "instance", Reference: reference{Identifier: identifier{System: systemRecord, Value: strconv.FormatUint(g.RecordID, 10)}}}}
	}
	for _, k := range g.Kinds {
		p.Class = append(p.Class, coding{System: systemRecordKind, Code: k})
	}
	return Consent{
		ResourceType: "Consent",
		ID:           fmt.Sprintf("medchain-grant-%d", g.ID),
		Identifier:   []identifier{{System: systemGrant, Value: strconv.FormatUint(g.ID, 10)}},
		Status:       status,
		Scope:        codeableConcept{Coding: []coding{{System: systemScope, Code: "patient-privacy", Display: "Privacy Consent"}}},
		Category:     []codeableConcept{{Coding: []coding{{System: systemCategory, Code: "59284-0", Display: "Patient Consent"}}}},
		Patient:      owner,
		DateTime:     fhirTime(g.CreatedAt),
		Performer:    []reference{owner},
		PolicyRule:   codeableConcept{Coding: []coding{{System: systemActCode, Code: "OPTIN", Display: "opt-in"}}},
		Provision:    p,
	}
}

// NewBundle puts the grants' Consents in a collection Bundle.
func NewBundle(grants []Grant, now time.Time) Bundle {
	b := Bundle{ResourceType: "Bundle", Type: "collection", Timestamp: fhirTime(now)}
	for _, g := range grants {
		c := Of(g, now)
		b.Entry = append(b.Entry, BundleEntry{FullURL: "urn:medchain:grant:" + strconv.FormatUint(g.ID, 10), Resource: c})
	}
	return b
}
