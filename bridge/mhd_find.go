package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	recordstypes "github.com/medchain/medchain/x/records/types"
)

// mhdDocument is what the bridge keeps of a FHIR record's payload, in its
// encrypted Store, keyed by record id and CID: the DocumentReference and
// what a search needs, never the document. Document is false for a FHIR
// record that is not an MHD document (a Bundle of other resources): it is
// not read again until it changes.
type mhdDocument struct {
	Document          bool            `json:"document"`
	DocumentReference json.RawMessage `json:"document_reference,omitempty"`
	Subject           fhirIdentifier  `json:"subject"`
	Status            string          `json:"status,omitempty"`
	ContentType       string          `json:"content_type,omitempty"`
	Size              int64           `json:"size,omitempty"`
}

// parseDocumentPayload reads a FHIR record's payload as the bridge writes
// it (documentPayload): a collection Bundle of one DocumentReference and
// the Binary its attachment names. It returns the document's bytes too.
func parseDocumentPayload(data []byte) (mhdDocument, []byte, error) {
	canonical, ferr := parseFHIR(data)
	if ferr != nil {
		return mhdDocument{}, nil, ferr
	}
	var head fhirResource
	if err := json.Unmarshal(canonical, &head); err != nil {
		return mhdDocument{}, nil, err
	}
	if head.ResourceType != "Bundle" {
		return mhdDocument{}, nil, errors.New("the payload is not a collection Bundle")
	}
	var b fhirBundle
	if err := json.Unmarshal(canonical, &b); err != nil {
		return mhdDocument{}, nil, err
	}
	if b.Type != "collection" {
		return mhdDocument{}, nil, errors.New("the payload is not a collection Bundle")
	}
	var doc mhdDocument
	var dr fhirDocumentReference
	var binaries []fhirBinary
	docs := 0
	for _, e := range b.Entry {
		var h fhirResource
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			return mhdDocument{}, nil, err
		}
		switch h.ResourceType {
		case "DocumentReference":
			docs++
			doc.DocumentReference = e.Resource
			if err := json.Unmarshal(e.Resource, &dr); err != nil {
				return mhdDocument{}, nil, err
			}
		case "Binary":
			var bin fhirBinary
			if err := json.Unmarshal(e.Resource, &bin); err != nil {
				return mhdDocument{}, nil, err
			}
			binaries = append(binaries, bin)
		}
	}
	if docs != 1 || len(dr.Content) != 1 {
		return mhdDocument{}, nil, errors.New("the payload does not hold one DocumentReference of one content")
	}
	if dr.Subject == nil || dr.Subject.Identifier == nil {
		return mhdDocument{}, nil, errors.New("the DocumentReference names its subject by no identifier")
	}
	for _, bin := range binaries {
		if "Binary/"+bin.ID != dr.Content[0].Attachment.URL {
			continue
		}
		content, err := base64.StdEncoding.DecodeString(bin.Data)
		if err != nil {
			return mhdDocument{}, nil, err
		}
		doc.Document = true
		doc.Subject = *dr.Subject.Identifier
		doc.Status = dr.Status
		doc.ContentType = bin.ContentType
		doc.Size = int64(len(content))
		return doc, content, nil
	}
	return mhdDocument{}, nil, errors.New("the payload does not hold the Binary its DocumentReference names")
}

// readPayload reads a record's plaintext through Chain.Read (the vault
// logs the read, naming the hospital), at most limit bytes.
func (s *Server) readPayload(ctx context.Context, recordID uint64, reader string) ([]byte, error) {
	w := &cappedBuffer{limit: 2 * s.maxRequestBytes()}
	if err := s.chain.Read(ctx, recordID, reader, w); err != nil {
		return nil, err
	}
	return w.buf, nil
}

type cappedBuffer struct {
	buf   []byte
	limit int64
}

var errPayloadTooLarge = errors.New("the record's payload is larger than this bridge reads into memory")

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if int64(len(c.buf)+len(p)) > c.limit {
		return 0, errPayloadTooLarge
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func documentKey(ref RecordRef) string { return fmt.Sprintf("%d/%s", ref.RecordID, ref.CID) }

// document returns what the bridge knows of ref's current version: from
// the cache, or read from a vault the first time.
func (s *Server) document(ctx context.Context, ref RecordRef, reader string) (mhdDocument, error) {
	var doc mhdDocument
	err := s.store.Get(tableFHIRDocuments, documentKey(ref), &doc)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return doc, err
	}
	data, err := s.readPayload(ctx, ref.RecordID, reader)
	if err != nil {
		return doc, err
	}
	doc, _, perr := parseDocumentPayload(data)
	if perr != nil {
		doc = mhdDocument{Document: false}
	}
	return doc, s.store.Put(tableFHIRDocuments, documentKey(ref), doc)
}

// readableDocument is an MHD document the reader may read now.
type readableDocument struct {
	ref RecordRef
	doc mhdDocument
}

// readableDocuments lists the MHD documents the caller may read now: the
// chain says which FHIR records, on every call; their DocumentReferences
// come from the cache.
func (s *Server) readableDocuments(ctx context.Context) ([]readableDocument, error) {
	reader := s.reader(ctx)
	refs, err := s.chain.Readable(ctx, reader, recordstypes.RecordKindFHIR)
	if err != nil {
		return nil, err
	}
	var out []readableDocument
	for _, ref := range refs {
		doc, err := s.document(ctx, ref, reader)
		if err != nil {
			// One unreadable record must not hide the others.
			s.log.Error("a FHIR record could not be read", "record", ref.RecordID, "err", err)
			s.metrics.refused.WithLabelValues("index_unreadable").Inc()
			continue
		}
		if doc.Document {
			out = append(out, readableDocument{ref, doc})
		}
	}
	return out, nil
}

// findDocuments is ITI-67 Find Document References: the DocumentReferences
// of the documents the hospital (and the practitioner named) may read now
// of the patient patient.identifier names, as a searchset Bundle.
func (s *Server) findDocuments(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "patient.identifier", "status", "_format":
		case "patient", "patient:Patient", "subject":
			writeOutcome(w, http.StatusBadRequest, issue("not-supported",
				"this bridge finds documents by the patient's identifier: patient.identifier=system|value (it keeps no Patient resources to refer to)", k))
			return
		default:
			writeOutcome(w, http.StatusBadRequest, issue("not-supported", fmt.Sprintf("the search parameter %q is not supported: patient.identifier and status are", k), k))
			return
		}
	}
	if len(q["patient.identifier"]) != 1 || q.Get("patient.identifier") == "" {
		writeOutcome(w, http.StatusBadRequest, issue("required", "ITI-67 names one patient: patient.identifier=system|value", "patient.identifier"))
		return
	}
	system, value, anySystem := parseToken(q.Get("patient.identifier"))
	if value == "" {
		writeOutcome(w, http.StatusBadRequest, issue("invalid", "patient.identifier has no value (system|value)", "patient.identifier"))
		return
	}
	statuses := map[string]bool{}
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				statuses[st] = true
			}
		}
	}
	// The records of the patient enrolled as the identifier are theirs,
	// whichever identifier their DocumentReference names.
	owner := ""
	if !anySystem {
		if pt, err := s.patients.Lookup(system, value); err == nil {
			owner = pt.Address
		}
	}
	all, err := s.readableDocuments(r.Context())
	if err != nil {
		writeOutcome(w, statusOf(err), issue("transient", "the chain could not be asked what this hospital may read: "+err.Error()))
		return
	}
	base := baseURL(r) + "/fhir"
	entries := []any{}
	for _, d := range all {
		match := (owner != "" && d.ref.Owner == owner) ||
			(d.doc.Subject.Value == value && (anySystem || d.doc.Subject.System == system))
		if !match || (len(statuses) > 0 && !statuses[d.doc.Status]) {
			continue
		}
		dr, err := searchDocumentReference(d, base)
		if err != nil {
			s.log.Error("a cached DocumentReference does not decode", "record", d.ref.RecordID, "err", err)
			continue
		}
		entries = append(entries, map[string]any{
			"fullUrl":  fmt.Sprintf("%s/DocumentReference/%d", base, d.ref.RecordID),
			"resource": dr,
			"search":   map[string]any{"mode": "match"},
		})
	}
	s.log.Info("ITI-67", "client", callerOf(r.Context()).client, "found", len(entries), "took", time.Since(began).Round(time.Millisecond))
	writeFHIR(w, http.StatusOK, map[string]any{
		"resourceType": "Bundle", "type": "searchset", "total": len(entries),
		"link":  []any{map[string]any{"relation": "self", "url": base + "/DocumentReference?" + r.URL.RawQuery}},
		"entry": entries,
	})
}

// parseToken splits a token search value: system|value, |value (no
// system), or value (any system).
func parseToken(v string) (system, value string, anySystem bool) {
	if s, val, ok := strings.Cut(v, "|"); ok {
		return s, val, false
	}
	return "", v, true
}

// searchDocumentReference is the DocumentReference as ITI-67 returns it:
// its id the record's, its attachment.url the bridge's ITI-68 URL.
func searchDocumentReference(d readableDocument, base string) (map[string]any, error) {
	var dr map[string]any
	if err := decodeJSON(d.doc.DocumentReference, &dr); err != nil {
		return nil, err
	}
	dr["id"] = fmt.Sprint(d.ref.RecordID)
	meta, _ := dr["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["versionId"] = fmt.Sprint(d.ref.Version)
	dr["meta"] = meta
	if content, _ := dr["content"].([]any); len(content) == 1 {
		if c0, _ := content[0].(map[string]any); c0 != nil {
			if att, _ := c0["attachment"].(map[string]any); att != nil {
				att["url"] = fmt.Sprintf("%s/Binary/%d", base, d.ref.RecordID)
				att["contentType"] = d.doc.ContentType
				att["size"] = d.doc.Size
			}
		}
	}
	return dr, nil
}

// readableDocumentByID is the document of record id if the caller may
// read it now.
func (s *Server) readableDocumentByID(ctx context.Context, id string) (readableDocument, *fhirError) {
	notFound := refuse(http.StatusNotFound, "not-found",
		"no document %s that this hospital may read: unknown, not a document, or the patient has not granted this hospital READ", id)
	rid, ok := recordID(id)
	if !ok {
		return readableDocument{}, notFound
	}
	all, err := s.readableDocuments(ctx)
	if err != nil {
		return readableDocument{}, refuse(statusOf(err), "transient", "the chain could not be asked what this hospital may read: %v", err)
	}
	for _, d := range all {
		if d.ref.RecordID == rid {
			return d, nil
		}
	}
	return readableDocument{}, notFound
}

// readDocumentReference is a read of one DocumentReference (the
// locations ITI-65 answers with).
func (s *Server) readDocumentReference(w http.ResponseWriter, r *http.Request) {
	d, ferr := s.readableDocumentByID(r.Context(), r.PathValue("id"))
	if ferr != nil {
		writeFHIRError(w, ferr)
		return
	}
	dr, err := searchDocumentReference(d, baseURL(r)+"/fhir")
	if err != nil {
		writeOutcome(w, http.StatusInternalServerError, issue("exception", err.Error()))
		return
	}
	writeFHIR(w, http.StatusOK, dr)
}

// retrieveDocument is ITI-68 Retrieve Document: the document's bytes as
// they were submitted, with their content type, read from a vault with
// the hospital's ticket; or, to a caller that asks for FHIR JSON only, the
// Binary resource.
func (s *Server) retrieveDocument(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	ctx := r.Context()
	d, ferr := s.readableDocumentByID(ctx, r.PathValue("id"))
	if ferr != nil {
		writeFHIRError(w, ferr)
		return
	}
	data, err := s.readPayload(ctx, d.ref.RecordID, s.reader(ctx))
	if err != nil {
		code := "exception"
		if errors.Is(err, ErrNoConsent) {
			writeOutcome(w, http.StatusNotFound, issue("not-found", "the document can no longer be read: "+err.Error()))
			return
		}
		writeOutcome(w, statusOf(err), issue(code, "reading the document: "+err.Error()))
		return
	}
	doc, content, err := parseDocumentPayload(data)
	if err != nil {
		writeOutcome(w, http.StatusBadGateway, issue("exception", "the record's payload is not the document it was: "+err.Error()))
		return
	}
	if wantsFHIRResource(r.Header.Get("Accept"), doc.ContentType) {
		writeFHIR(w, http.StatusOK, map[string]any{"resourceType": "Binary", "id": fmt.Sprint(d.ref.RecordID),
			"contentType": doc.ContentType, "data": base64.StdEncoding.EncodeToString(content)})
	} else {
		w.Header().Set("Content-Type", doc.ContentType)
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(content)
	}
	s.log.Info("ITI-68", "client", callerOf(ctx).client, "record", d.ref.RecordID, "bytes", len(content), "took", time.Since(began).Round(time.Millisecond))
}

// wantsFHIRResource: the caller asks for FHIR JSON, and the document is
// not itself FHIR JSON (which is then returned as it is).
func wantsFHIRResource(accept, contentType string) bool {
	if accept == "" || sameMediaType(contentType, fhirJSON) {
		return false
	}
	a := strings.ToLower(accept)
	return strings.Contains(a, fhirJSON) && !strings.Contains(a, "*/*") && !strings.Contains(a, strings.ToLower(contentType))
}

// fhirNotFound answers the FHIR paths the bridge does not serve.
func fhirNotFound(w http.ResponseWriter, r *http.Request) {
	writeOutcome(w, http.StatusNotFound, issue("not-supported",
		fmt.Sprintf("%s %s is not served: this bridge serves MHD (ITI-65 POST /fhir, ITI-67 GET /fhir/DocumentReference?patient.identifier=..., ITI-68 GET /fhir/Binary/ID)", r.Method, r.URL.Path)))
}
