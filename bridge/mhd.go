package bridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // Attachment.hash is SHA-1 (FHIR R4 §2.24.0.12): it is checked, not trusted for security
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// IHE Mobile access to Health Documents (MHD, ITI TF-2 §3.65, §3.67,
// §3.68), the subset a hospital's EHR needs to file documents into
// patients' records and find and read them back:
//
//   - ITI-65 Provide Document Bundle: POST /fhir/ with a transaction
//     Bundle of a SubmissionSet List, DocumentReferences and their
//     Binaries (and optionally the Patient). Each DocumentReference with
//     its Binary becomes one record of kind FHIR owned by the patient.
//   - ITI-67 Find Document References: GET /fhir/DocumentReference?
//     patient.identifier=system|value.
//   - ITI-68 Retrieve Document: GET /fhir/Binary/<record id>.

// tableFHIRDocuments caches what the bridge read of FHIR records: record
// id / CID -> mhdDocument, in the encrypted Store.
const tableFHIRDocuments = "fhir-documents"

// mhdSubmissionSetSystem is the code system of MHD's List types
// (submissionset, folder).
const mhdSubmissionSetSystem = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"

// submittedDoc is one DocumentReference of an ITI-65 bundle, with its
// Binary.
type submittedDoc struct {
	entry, binary int            // indexes of the request entries
	docRef        map[string]any // canonical JSON of the DocumentReference
	binaryID      string
	contentType   string
	content       []byte
	label         string
	stored        Stored
}

// submission is a parsed and checked ITI-65 bundle.
type submission struct {
	types   []string // resourceType of each request entry
	docs    []*submittedDoc
	patient Patient
	// subject is the identifier of the patient as the payloads name it.
	subject fhirIdentifier
}

// provideDocuments is ITI-65 Provide Document Bundle. The bundle is a
// transaction: every check is made before anything is stored, and a
// refusal stores nothing.
func (s *Server) provideDocuments(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != fhirJSON && mt != "application/json") {
		writeOutcome(w, http.StatusUnsupportedMediaType, issue("not-supported", "ITI-65 takes a FHIR R4 transaction Bundle as "+fhirJSON))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxRequestBytes()))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeOutcome(w, http.StatusRequestEntityTooLarge, issue("too-costly", fmt.Sprintf("a Provide Document Bundle is at most %d bytes here: send fewer documents per bundle (nothing of this one was stored)", s.maxRequestBytes())))
			return
		}
		writeOutcome(w, http.StatusBadRequest, issue("structure", "reading the request: "+err.Error()))
		return
	}
	sub, ferr := s.parseSubmission(r.Context(), body)
	if ferr != nil {
		s.log.Info("ITI-65 refused", "client", callerOf(r.Context()).client, "status", ferr.status, "why", ferr.Error())
		writeFHIRError(w, ferr)
		return
	}
	for i, d := range sub.docs {
		if err := s.storeDocument(r.Context(), sub, d); err != nil {
			s.log.Error("ITI-65: a document could not be stored", "document", i, "err", err)
			status, code := statusOf(err), "exception"
			if errors.Is(err, ErrNoConsent) {
				code = "forbidden"
			}
			issues := []fhirIssue{issue(code, "storing the document: "+err.Error(), fmt.Sprintf("Bundle.entry[%d]", d.entry))}
			if i > 0 {
				// Records on chain cannot be taken back: say which
				// documents are stored, so that they are not sent again.
				var made []string
				for _, done := range sub.docs[:i] {
					made = append(made, fmt.Sprintf("Bundle.entry[%d] is DocumentReference/%d", done.entry, done.stored.RecordID))
				}
				issues = append(issues, fhirIssue{Severity: "warning", Code: "incomplete",
					Diagnostics: "the documents before this one were stored: " + strings.Join(made, ", ")})
			}
			writeOutcome(w, status, issues...)
			return
		}
	}
	s.log.Info("ITI-65", "client", callerOf(r.Context()).client, "documents", len(sub.docs), "took", time.Since(began).Round(time.Millisecond))
	writeFHIR(w, http.StatusOK, transactionResponse(sub))
}

func (s *Server) maxRequestBytes() int64 {
	if s.cfg.MaxRequestBytes > 0 {
		return s.cfg.MaxRequestBytes
	}
	return DefaultMaxRequestBytes
}

// parseSubmission parses and validates an ITI-65 bundle with the FHIR
// library, and checks it as MHD asks: one SubmissionSet, each
// DocumentReference with exactly one content whose attachment.url names a
// Binary of the bundle, one patient for all, enrolled here, who lets the
// hospital write FHIR records.
func (s *Server) parseSubmission(ctx context.Context, body []byte) (*submission, *fhirError) {
	canonical, ferr := parseFHIR(body)
	if ferr != nil {
		return nil, ferr
	}
	var head fhirResource
	if err := json.Unmarshal(canonical, &head); err != nil {
		return nil, refuse(http.StatusInternalServerError, "exception", "reading the parsed resource: %v", err)
	}
	if head.ResourceType != "Bundle" {
		return nil, refuseAt(http.StatusBadRequest, "invalid", head.ResourceType, "ITI-65 takes a Bundle of type transaction, not a %s", head.ResourceType)
	}
	var b fhirBundle
	if err := json.Unmarshal(canonical, &b); err != nil {
		return nil, refuse(http.StatusInternalServerError, "exception", "reading the parsed bundle: %v", err)
	}
	if b.Type != "transaction" {
		return nil, refuseAt(http.StatusBadRequest, "invalid", "Bundle.type", "ITI-65 takes a Bundle of type transaction, not %q", b.Type)
	}
	if len(b.Entry) == 0 {
		return nil, refuseAt(http.StatusBadRequest, "required", "Bundle.entry", "the bundle holds no entry")
	}

	sub := &submission{types: make([]string, len(b.Entry))}
	// Where each entry can be referred to from: its fullUrl and, for an
	// entry with an id (its own, or its fullUrl's or PUT URL's), Type/id.
	byRef := map[string]int{}
	heads := make([]fhirResource, len(b.Entry))
	lists, patients := []int{}, []int{}
	var docs []int
	for i, e := range b.Entry {
		at := fmt.Sprintf("Bundle.entry[%d]", i)
		if len(e.Resource) == 0 {
			return nil, refuseAt(http.StatusBadRequest, "required", at+".resource", "every entry of an ITI-65 bundle holds a resource")
		}
		var h fhirResource
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			return nil, refuseAt(http.StatusBadRequest, "structure", at+".resource", "%v", err)
		}
		heads[i], sub.types[i] = h, h.ResourceType
		if e.Request == nil || (e.Request.Method != "POST" && e.Request.Method != "PUT") {
			return nil, refuseAt(http.StatusBadRequest, "invalid", at+".request.method", "each entry of a Provide Document Bundle is created: request.method POST (or PUT for the Patient)")
		}
		switch h.ResourceType {
		case "List":
			lists = append(lists, i)
		case "DocumentReference":
			docs = append(docs, i)
		case "Binary":
		case "Patient":
			patients = append(patients, i)
		default:
			return nil, refuseAt(http.StatusBadRequest, "not-supported", at+".resource",
				"the resource %s has no place in a Provide Document Bundle here: it holds a SubmissionSet List, DocumentReferences, their Binaries and optionally the Patient", h.ResourceType)
		}
		for _, key := range entryRefs(e, h) {
			if j, dup := byRef[key]; dup && j != i {
				return nil, refuseAt(http.StatusBadRequest, "invalid", at+".fullUrl", "two entries are both %s (entries %d and %d)", key, j, i)
			}
			byRef[key] = i
		}
	}
	if len(lists) != 1 {
		return nil, refuseAt(http.StatusBadRequest, "invalid", "Bundle.entry", "an ITI-65 bundle holds exactly one SubmissionSet List, this one holds %d Lists", len(lists))
	}
	if len(docs) == 0 {
		return nil, refuseAt(http.StatusBadRequest, "required", "Bundle.entry", "the bundle holds no DocumentReference")
	}
	var list fhirList
	if err := json.Unmarshal(b.Entry[lists[0]].Resource, &list); err != nil {
		return nil, refuse(http.StatusBadRequest, "structure", "%v", err)
	}
	if list.Code != nil && !hasCoding(list.Code, mhdSubmissionSetSystem, "submissionset") {
		return nil, refuseAt(http.StatusBadRequest, "invalid", fmt.Sprintf("Bundle.entry[%d].resource.code", lists[0]),
			"the List is not a SubmissionSet: its code is %s#submissionset", mhdSubmissionSetSystem)
	}

	// Each DocumentReference with its Binary.
	usedBinary := map[int]int{}
	var subjects []subjectAt
	for _, i := range docs {
		at := fmt.Sprintf("Bundle.entry[%d].resource", i)
		var dr fhirDocumentReference
		if err := json.Unmarshal(b.Entry[i].Resource, &dr); err != nil {
			return nil, refuseAt(http.StatusBadRequest, "structure", at, "%v", err)
		}
		if len(dr.Content) != 1 {
			return nil, refuseAt(http.StatusBadRequest, "invalid", at+".content",
				"an MHD DocumentReference has exactly one content, this one has %d: one document per DocumentReference", len(dr.Content))
		}
		att := dr.Content[0].Attachment
		if att.URL == "" {
			return nil, refuseAt(http.StatusBadRequest, "required", at+".content[0].attachment.url",
				"the attachment names its Binary in the bundle (url: its fullUrl, urn:uuid:..., or Binary/id)")
		}
		j, ok := byRef[att.URL]
		if !ok || sub.types[j] != "Binary" {
			return nil, refuseAt(http.StatusBadRequest, "not-found", at+".content[0].attachment.url",
				"%q names no Binary of the bundle: the document's Binary is missing", att.URL)
		}
		if k, twice := usedBinary[j]; twice {
			return nil, refuseAt(http.StatusBadRequest, "invalid", at+".content[0].attachment.url",
				"the Binary %q is the document of entries %d and %d: each DocumentReference has a Binary of its own", att.URL, k, i)
		}
		usedBinary[j] = i
		var bin fhirBinary
		if err := json.Unmarshal(b.Entry[j].Resource, &bin); err != nil {
			return nil, refuseAt(http.StatusBadRequest, "structure", fmt.Sprintf("Bundle.entry[%d].resource", j), "%v", err)
		}
		content, err := base64.StdEncoding.DecodeString(bin.Data)
		if err != nil || len(content) == 0 {
			return nil, refuseAt(http.StatusBadRequest, "required", fmt.Sprintf("Bundle.entry[%d].resource.data", j), "the Binary holds no document (data, base64)")
		}
		if att.ContentType != "" && !sameMediaType(att.ContentType, bin.ContentType) {
			return nil, refuseAt(http.StatusBadRequest, "invalid", at+".content[0].attachment.contentType",
				"the attachment says %q, its Binary %q", att.ContentType, bin.ContentType)
		}
		if att.Size != nil && *att.Size != int64(len(content)) {
			return nil, refuseAt(http.StatusBadRequest, "invalid", at+".content[0].attachment.size",
				"the attachment says %d bytes, its Binary holds %d", *att.Size, len(content))
		}
		if att.Hash != "" {
			sum := sha1.Sum(content) //nolint:gosec // the hash FHIR defines
			if att.Hash != base64.StdEncoding.EncodeToString(sum[:]) {
				return nil, refuseAt(http.StatusBadRequest, "invalid", at+".content[0].attachment.hash",
					"the attachment's SHA-1 hash is not its Binary's: the document was damaged or is not the one described")
			}
		}
		if dr.Subject == nil {
			return nil, refuseAt(http.StatusBadRequest, "required", at+".subject", "an MHD DocumentReference names its patient (subject)")
		}
		subjects = append(subjects, subjectAt{at + ".subject", *dr.Subject})

		var docRef map[string]any
		if err := decodeJSON(b.Entry[i].Resource, &docRef); err != nil {
			return nil, refuseAt(http.StatusBadRequest, "structure", at, "%v", err)
		}
		d := &submittedDoc{entry: i, binary: j, docRef: docRef, contentType: bin.ContentType, content: content, label: documentLabel(dr)}
		d.binaryID = bin.ID
		if d.binaryID == "" {
			d.binaryID = idOf(b.Entry[j].FullURL)
		}
		if docRef["id"] == nil {
			if id := idOf(b.Entry[i].FullURL); id != "" {
				docRef["id"] = id
			}
		}
		sub.docs = append(sub.docs, d)
	}
	for j, h := range heads {
		if h.ResourceType == "Binary" {
			if _, ok := usedBinary[j]; !ok {
				return nil, refuseAt(http.StatusBadRequest, "invalid", fmt.Sprintf("Bundle.entry[%d]", j), "no DocumentReference names this Binary")
			}
		}
	}
	if list.Subject != nil {
		subjects = append(subjects, subjectAt{fmt.Sprintf("Bundle.entry[%d].resource.subject", lists[0]), *list.Subject})
	}

	// One patient, enrolled here.
	for _, sa := range subjects {
		ids, ferr := subjectIdentifiers(sa, b, byRef, sub.types)
		if ferr != nil {
			return nil, ferr
		}
		pt, id, ferr := s.enrolledPatient(sa.at, ids)
		if ferr != nil {
			return nil, ferr
		}
		if sub.patient.Address == "" {
			sub.patient, sub.subject = pt, id
		} else if pt.Address != sub.patient.Address {
			return nil, refuseAt(http.StatusUnprocessableEntity, "business-rule", sa.at,
				"the documents of one submission are of one patient: this subject is another patient than %s", sub.subject)
		}
	}

	// The patient's consent.
	ok, why, err := s.chain.WriteConsent(ctx, sub.patient.Address, recordstypes.RecordKindFHIR)
	if err != nil {
		return nil, refuse(statusOf(err), "transient", "the chain could not be asked for the patient's consent: %v", err)
	}
	if !ok {
		return nil, refuse(http.StatusForbidden, "forbidden", "%s (nothing of this bundle was stored)", why)
	}
	return sub, nil
}

type subjectAt struct {
	at  string
	ref fhirReference
}

// subjectIdentifiers are the identifiers of the patient a subject names:
// the identifiers of the Patient of the bundle it refers to, or the
// reference's own identifier.
func subjectIdentifiers(sa subjectAt, b fhirBundle, byRef map[string]int, types []string) ([]fhirIdentifier, *fhirError) {
	ref := sa.ref
	if ref.Reference != "" {
		if i, ok := byRef[ref.Reference]; ok {
			if types[i] != "Patient" {
				return nil, refuseAt(http.StatusBadRequest, "invalid", sa.at, "the subject is a %s, not a Patient", types[i])
			}
			var p fhirPatient
			if err := json.Unmarshal(b.Entry[i].Resource, &p); err != nil {
				return nil, refuseAt(http.StatusBadRequest, "structure", sa.at, "%v", err)
			}
			if len(p.Identifier) == 0 {
				return nil, refuseAt(http.StatusUnprocessableEntity, "required", fmt.Sprintf("Bundle.entry[%d].resource.identifier", i),
					"the Patient has no identifier: the bridge knows patients by the identifiers they enrolled with (system|value)")
			}
			return p.Identifier, nil
		}
	}
	if ref.Identifier != nil && ref.Identifier.Value != "" {
		return []fhirIdentifier{*ref.Identifier}, nil
	}
	if ref.Reference != "" {
		return nil, refuseAt(http.StatusUnprocessableEntity, "not-found", sa.at,
			"the subject %q is not a Patient of the bundle and the reference has no identifier: put the Patient in the bundle, or give subject.identifier (system|value)", ref.Reference)
	}
	return nil, refuseAt(http.StatusBadRequest, "required", sa.at, "the subject names no patient")
}

// enrolledPatient is the patient enrolled here under one of ids (issuer
// = system, id = value); identifiers that map to two accounts are refused.
func (s *Server) enrolledPatient(at string, ids []fhirIdentifier) (Patient, fhirIdentifier, *fhirError) {
	var found Patient
	var as fhirIdentifier
	var tried []string
	for _, id := range ids {
		if id.Value == "" {
			continue
		}
		tried = append(tried, id.String())
		pt, err := s.patients.Lookup(id.System, id.Value)
		if errors.Is(err, ErrUnknownPatient) {
			continue
		}
		if err != nil {
			return Patient{}, as, refuseAt(http.StatusInternalServerError, "exception", at, "the patient table: %v", err)
		}
		if found.Address != "" && found.Address != pt.Address {
			return Patient{}, as, refuseAt(http.StatusUnprocessableEntity, "conflict", at,
				"the patient's identifiers %s and %s are enrolled as two different patients: the front desk corrects the enrolment", as, id)
		}
		if found.Address == "" {
			found, as = pt, id
		}
	}
	if found.Address == "" {
		return Patient{}, as, refuseAt(http.StatusUnprocessableEntity, "not-found", at,
			"unknown patient: no patient is enrolled at this hospital as %s; the patient enrols first (medchaind bridge enrol CODE --patient-id VALUE --issuer SYSTEM)",
			strings.Join(tried, " or "))
	}
	return found, as, nil
}

// storeDocument stores one DocumentReference with its Binary as a record
// of kind FHIR of the patient.
func (s *Server) storeDocument(ctx context.Context, sub *submission, d *submittedDoc) error {
	payload, err := documentPayload(d, sub.subject)
	if err != nil {
		return err
	}
	st, err := s.chain.Create(ctx, sub.patient.Address, recordstypes.RecordKindFHIR, d.label, bytes.NewReader(payload), int64(len(payload)))
	if err != nil {
		return err
	}
	d.stored = st
	s.log.Info("document stored as a new FHIR record", "record", st.RecordID, "bytes", len(payload), "height", st.Height)
	return nil
}

// documentPayload is the record's payload: a FHIR Bundle of type
// collection with the DocumentReference (its attachment.url Binary/<id>
// within the payload, its subject the patient's identifier) and the
// Binary, checked with the FHIR library before it is stored.
func documentPayload(d *submittedDoc, subject fhirIdentifier) ([]byte, error) {
	if d.binaryID == "" {
		d.binaryID = newFHIRID()
	}
	docRef := d.docRef
	content, _ := docRef["content"].([]any)
	if len(content) != 1 {
		return nil, errors.New("the DocumentReference has no content")
	}
	c0, _ := content[0].(map[string]any)
	att, _ := c0["attachment"].(map[string]any)
	if att == nil {
		return nil, errors.New("the DocumentReference has no attachment")
	}
	att["url"] = "Binary/" + d.binaryID
	if att["contentType"] == nil {
		att["contentType"] = d.contentType
	}
	// The subject is named by the identifier the patient enrolled with,
	// not by a reference into the submitted bundle, which the payload
	// does not hold.
	ref := map[string]any{"type": "Patient", "identifier": map[string]any{"value": subject.Value}}
	if subject.System != "" {
		ref["identifier"].(map[string]any)["system"] = subject.System
	}
	docRef["subject"] = ref
	bundle := map[string]any{
		"resourceType": "Bundle",
		"type":         "collection",
		"entry": []any{
			map[string]any{"resource": docRef},
			map[string]any{"resource": map[string]any{
				"resourceType": "Binary", "id": d.binaryID, "contentType": d.contentType,
				"data": base64.StdEncoding.EncodeToString(d.content),
			}},
		},
	}
	raw, err := json.Marshal(bundle)
	if err != nil {
		return nil, err
	}
	canonical, ferr := parseFHIR(raw)
	if ferr != nil {
		return nil, fmt.Errorf("the record's payload does not validate as FHIR: %w", ferr)
	}
	return canonical, nil
}

// transactionResponse is ITI-65's answer: one entry per request entry.
func transactionResponse(sub *submission) map[string]any {
	entries := make([]any, len(sub.types))
	for i, t := range sub.types {
		resp := map[string]any{"status": "200 OK"}
		switch t {
		case "Patient":
			resp["outcome"] = informational("the Patient is the patient enrolled at this hospital as " + sub.subject.String() + "; the bridge keeps no Patient resource")
		case "List":
			resp["outcome"] = informational("the SubmissionSet is not kept as a resource of its own: each DocumentReference with its Binary is one record of the patient")
		}
		entries[i] = map[string]any{"response": resp}
	}
	for _, d := range sub.docs {
		entries[d.entry] = map[string]any{"response": map[string]any{
			"status": "201 Created", "location": fmt.Sprintf("DocumentReference/%d", d.stored.RecordID), "etag": fmt.Sprintf(`W/"%d"`, d.stored.Version)}}
		entries[d.binary] = map[string]any{"response": map[string]any{
			"status": "201 Created", "location": fmt.Sprintf("Binary/%d", d.stored.RecordID), "etag": fmt.Sprintf(`W/"%d"`, d.stored.Version)}}
	}
	return map[string]any{"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
}

func informational(msg string) map[string]any {
	return map[string]any{"resourceType": "OperationOutcome", "issue": []any{
		map[string]any{"severity": "information", "code": "informational", "diagnostics": msg}}}
}

// entryRefs are the references by which other entries can name e.
func entryRefs(e fhirEntry, h fhirResource) []string {
	var refs []string
	if e.FullURL != "" {
		refs = append(refs, e.FullURL)
		if t, id, ok := typeAndID(e.FullURL); ok && t == h.ResourceType {
			refs = append(refs, t+"/"+id)
		}
	}
	if h.ID != "" {
		refs = append(refs, h.ResourceType+"/"+h.ID)
	}
	if e.Request != nil && e.Request.Method == "PUT" {
		if t, id, ok := typeAndID(e.Request.URL); ok && t == h.ResourceType {
			refs = append(refs, t+"/"+id)
		}
	}
	return dedupe(refs)
}

// typeAndID splits the last two segments of a RESTful URL (.../Type/id,
// or .../Type/id/_history/version).
func typeAndID(u string) (string, string, bool) {
	u, _, _ = strings.Cut(u, "?")
	parts := strings.Split(strings.TrimSuffix(u, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || parts[n-1] == "" {
		return "", "", false
	}
	t, id := parts[n-2], parts[n-1]
	if t == "" || t[0] < 'A' || t[0] > 'Z' {
		return "", "", false
	}
	return t, id, true
}

// idOf is a resource id from an entry's fullUrl: the UUID of
// urn:uuid:..., or the id of .../Type/id.
func idOf(fullURL string) string {
	if u, ok := strings.CutPrefix(fullURL, "urn:uuid:"); ok && validFHIRID(u) {
		return u
	}
	if _, id, ok := typeAndID(fullURL); ok && validFHIRID(id) {
		return id
	}
	return ""
}

func validFHIRID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func newFHIRID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func hasCoding(cc *fhirCodeableConcept, system, code string) bool {
	for _, c := range cc.Coding {
		if c.System == system && c.Code == code {
			return true
		}
	}
	return false
}

func sameMediaType(a, b string) bool {
	ma, _, errA := mime.ParseMediaType(a)
	mb, _, errB := mime.ParseMediaType(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(a, b)
	}
	return ma == mb
}

// documentLabel is the record's label, sealed to its readers: the
// document's type and date.
func documentLabel(dr fhirDocumentReference) string {
	l := "FHIR document"
	if dr.Type != nil {
		switch {
		case dr.Type.Text != "":
			l = dr.Type.Text
		case len(dr.Type.Coding) > 0 && dr.Type.Coding[0].Display != "":
			l = dr.Type.Coding[0].Display
		}
	}
	if len(dr.Date) >= 10 {
		l += " of " + dr.Date[:10]
	}
	return truncate(l, 120)
}

// decodeJSON decodes keeping numbers exactly as written.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// recordID parses a record id of a URL.
func recordID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id > 0
}
