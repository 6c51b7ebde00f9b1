package bridge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"github.com/stretchr/testify/require"

	"github.com/medchain/medchain/medclient/deid"
	"github.com/medchain/medchain/testutil/mhd"
	recordstypes "github.com/medchain/medchain/x/records/types"
)

const (
	mrnSystem = "urn:oid:2.16.840.1.113883.19.5"
	mrn       = "MRN-4711"
)

// A small PDF and a FHIR JSON document (an Observation), as an EHR files
// them.
var (
	testPDF = []byte("%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n" +
		"trailer <</Root 1 0 R>>\n%%EOF\n")
	testObservation = []byte(`{"resourceType":"Observation","id":"bp","status":"final",` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}]},` +
		`"effectiveDateTime":"2024-05-01T09:30:00Z","valueQuantity":{"value":128,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`)
)

// newMHDFixture is the bridge over the fake chain. The FHIR side needs no
// DICOM file, so the corpus newFixture asks for may be an empty directory.
func newMHDFixture(t *testing.T) *fixture {
	if os.Getenv("MEDCHAIN_DICOM_CORPUS") == "" {
		t.Setenv("MEDCHAIN_DICOM_CORPUS", t.TempDir())
	}
	return newFixture(t)
}

var (
	pdfDoc = mhd.Doc{Data: testPDF, ContentType: "application/pdf", TypeCode: "18842-5", TypeDisplay: "Discharge summary"}
	obsDoc = mhd.Doc{Data: testObservation, ContentType: "application/fhir+json", TypeCode: "11506-3", TypeDisplay: "Progress note"}
)

// mhdBundle is mhd.Bundle for the test's medical record number system.
func mhdBundle(patientIdentifier string, docs ...mhd.Doc) map[string]any {
	return mhd.Bundle(mrnSystem, patientIdentifier, docs...)
}

func entryOf(b map[string]any, i int) map[string]any { return b["entry"].([]any)[i].(map[string]any) }

func resourceOf(b map[string]any, i int) map[string]any {
	return entryOf(b, i)["resource"].(map[string]any)
}

// validFHIR parses data with the FHIR library, with validation, and
// returns it as JSON.
func validFHIR(t *testing.T, data []byte) map[string]any {
	t.Helper()
	u, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	require.NoError(t, err)
	_, err = u.Unmarshal(data)
	require.NoError(t, err, "not valid FHIR R4: %s", data)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// fhirDo sends a FHIR request and returns the status and the body.
func (f *fixture) fhirDo(method, path string, body []byte, header ...string) (int, []byte, http.Header) {
	var r io.Reader
	ct := ""
	if body != nil {
		r, ct = bytes.NewReader(body), fhirJSON
	}
	resp := f.do(method, path, r, ct, header...)
	data, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, data, resp.Header
}

// provide sends an ITI-65 bundle.
func (f *fixture) provide(bundle any) (int, map[string]any) {
	body, ok := bundle.([]byte)
	if !ok {
		var err error
		body, err = json.Marshal(bundle)
		require.NoError(f.t, err)
	}
	status, data, hdr := f.fhirDo("POST", "/fhir/", body)
	require.True(f.t, strings.HasPrefix(hdr.Get("Content-Type"), fhirJSON), hdr.Get("Content-Type"))
	return status, validFHIR(f.t, data)
}

// search runs ITI-67 and returns the searchset's DocumentReferences.
func (f *fixture) search(query string, header ...string) []map[string]any {
	status, data, _ := f.fhirDo("GET", "/fhir/DocumentReference?"+query, nil, header...)
	require.Equal(f.t, http.StatusOK, status, "%s", data)
	b := validFHIR(f.t, data)
	require.Equal(f.t, "Bundle", b["resourceType"])
	require.Equal(f.t, "searchset", b["type"])
	var out []map[string]any
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		out = append(out, e.(map[string]any)["resource"].(map[string]any))
	}
	require.EqualValues(f.t, len(out), b["total"])
	return out
}

func issues(t *testing.T, oo map[string]any) string {
	t.Helper()
	require.Equal(t, "OperationOutcome", oo["resourceType"], "%v", oo)
	var msgs []string
	for _, i := range oo["issue"].([]any) {
		m := i.(map[string]any)
		msgs = append(msgs, fmt.Sprint(m["code"], ": ", m["diagnostics"], " ", m["expression"]))
	}
	return strings.Join(msgs, "\n")
}

// TestMHDProvideFindRetrieve: an ITI-65 bundle of two documents (a PDF and
// a FHIR JSON document) makes two FHIR records of the patient, each a
// collection Bundle of the DocumentReference and its Binary that the FHIR
// library parses and deid de-identifies; ITI-67 finds them only while the
// chain lets the hospital (and the practitioner named) read; ITI-68
// returns the exact bytes.
func TestMHDProvideFindRetrieve(t *testing.T) {
	f := newMHDFixture(t)
	f.enrol(mrnSystem, mrn)
	f.chain.writers[f.alice.addr] = true

	status, resp := f.provide(mhdBundle(mrn, pdfDoc, obsDoc))
	require.Equal(t, http.StatusOK, status, "%v", resp)
	require.Equal(t, "transaction-response", resp["type"])
	entries := resp["entry"].([]any)
	require.Len(t, entries, 6, "one response entry per request entry")
	statusOf := func(i int) (string, string) {
		r := entries[i].(map[string]any)["response"].(map[string]any)
		loc, _ := r["location"].(string)
		return r["status"].(string), loc
	}
	// Patient, List, then DocumentReference and Binary of each document.
	st, _ := statusOf(0)
	require.Equal(t, "200 OK", st)
	st, _ = statusOf(1)
	require.Equal(t, "200 OK", st)
	for i, want := range []string{"DocumentReference/1", "Binary/1", "DocumentReference/2", "Binary/2"} {
		st, loc := statusOf(2 + i)
		require.Equal(t, "201 Created", st)
		require.Equal(t, want, loc)
	}

	require.Len(t, f.chain.records, 2, "one record per document")
	for id, doc := range map[uint64]mhd.Doc{1: pdfDoc, 2: obsDoc} {
		rec := f.chain.records[id]
		require.Equal(t, f.alice.addr, rec.owner)
		require.Equal(t, recordstypes.RecordKindFHIR, rec.kind)
		require.Len(t, rec.versions, 1)
		payload := rec.versions[0]
		b := validFHIR(t, payload)
		require.Equal(t, "Bundle", b["resourceType"])
		require.Equal(t, "collection", b["type"])
		require.Len(t, b["entry"].([]any), 2)
		dr, bin := resourceOf(b, 0), resourceOf(b, 1)
		require.Equal(t, "DocumentReference", dr["resourceType"])
		require.Equal(t, "Binary", bin["resourceType"])
		att := dr["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
		require.Equal(t, "Binary/"+bin["id"].(string), att["url"], "the attachment names the Binary within the payload")
		require.Equal(t, doc.ContentType, bin["contentType"])
		data, err := base64.StdEncoding.DecodeString(bin["data"].(string))
		require.NoError(t, err)
		require.Equal(t, doc.Data, data)
		subject := dr["subject"].(map[string]any)["identifier"].(map[string]any)
		require.Equal(t, map[string]any{"system": mrnSystem, "value": mrn}, subject)
		require.NotContains(t, string(payload), "urn:uuid:6f1e4c52", "no reference into the submitted bundle is left")

		// medchaind tx records deidentify runs deid.FHIR on the payload.
		var out bytes.Buffer
		rep, err := deid.FHIR(bytes.NewReader(payload), &out, deid.FHIROptions{Key: []byte("a pseudonym key of 32 bytes.....")})
		require.NoError(t, err)
		require.Positive(t, rep.Removed)
		require.Positive(t, rep.Pseudonymised)
		require.NotContains(t, out.String(), mrn, "the patient's identifier is removed")
		require.NotContains(t, out.String(), "Jane Doe", "free text is removed")
		require.NotContains(t, out.String(), bin["data"].(string), "the attachment's content is removed")
		var deidentified map[string]any
		require.NoError(t, json.Unmarshal(out.Bytes(), &deidentified))
		require.Equal(t, "Bundle", deidentified["resourceType"])
	}
	require.Zero(t, f.chain.reads[hospital], "storing reads nothing back")

	// ITI-67: nothing while the chain does not let the hospital read.
	query := "patient.identifier=" + mrnSystem + "|" + mrn
	require.Empty(t, f.search(query))
	status, data, _ := f.fhirDo("GET", "/fhir/Binary/1", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, issues(t, validFHIR(t, data)), "not-found")

	f.chain.readers[hospital] = true
	found := f.search(query)
	require.Len(t, found, 2)
	byID := map[string]map[string]any{}
	for _, dr := range found {
		byID[dr["id"].(string)] = dr
	}
	require.Contains(t, byID, "1")
	att := byID["1"]["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	require.Equal(t, f.http.URL+"/fhir/Binary/1", att["url"])
	require.Equal(t, "application/pdf", att["contentType"])
	require.EqualValues(t, len(testPDF), att["size"])
	require.Len(t, f.search(query+"&status=current"), 2)
	require.Empty(t, f.search(query+"&status=superseded"))
	require.Len(t, f.search("patient.identifier="+mrn), 2, "a value of any system")
	require.Empty(t, f.search("patient.identifier="+mrnSystem+"|MRN-0"), "another patient")
	require.Empty(t, f.search("patient.identifier=urn:oid:1.2.3|"+mrn), "another system")

	// Another identifier the patient enrolled with finds her documents,
	// whichever identifier they name.
	f.enrol("urn:oid:1.2.3", "NHS-9")
	require.Len(t, f.search("patient.identifier=urn:oid:1.2.3|NHS-9"), 2)
	require.Empty(t, f.search("patient.identifier=urn:oid:1.2.3|NHS-8"))

	// Searches read each payload once, then from the cache.
	reads := f.chain.reads[hospital]
	require.Equal(t, 2, reads)
	require.Len(t, f.search(query), 2)
	require.Equal(t, reads, f.chain.reads[hospital], "a second search reads no payload")

	// The cache is in the encrypted store: nothing of the documents or the
	// patient's identifier is on the bridge's disk in the clear.
	require.NoError(t, filepath.WalkDir(f.srv.store.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, clear := range [][]byte{[]byte(mrn), []byte("Discharge summary"), testPDF[:8], []byte("Systolic")} {
			require.NotContains(t, string(data), string(clear), path)
		}
		return nil
	}))

	cached, err := os.ReadDir(filepath.Join(f.srv.store.dir, tableFHIRDocuments))
	require.NoError(t, err)
	require.Len(t, cached, 2, "one cache entry per record")

	// ITI-68: the exact bytes, with their content type, read through the
	// chain (the vault's log names the hospital).
	for id, doc := range map[int]mhd.Doc{1: pdfDoc, 2: obsDoc} {
		status, data, hdr := f.fhirDo("GET", fmt.Sprintf("/fhir/Binary/%d", id), nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, doc.ContentType, hdr.Get("Content-Type"))
		require.Equal(t, doc.Data, data)
	}
	require.Equal(t, reads+2, f.chain.reads[hospital])
	status, data, _ = f.fhirDo("GET", "/fhir/Binary/1", nil, "Accept", fhirJSON)
	require.Equal(t, http.StatusOK, status)
	bin := validFHIR(t, data)
	require.Equal(t, "Binary", bin["resourceType"])
	require.Equal(t, base64.StdEncoding.EncodeToString(testPDF), bin["data"])
	status, data, _ = f.fhirDo("GET", "/fhir/DocumentReference/2", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "DocumentReference", validFHIR(t, data)["resourceType"])
	for _, path := range []string{"/fhir/Binary/3", "/fhir/Binary/x", "/fhir/DocumentReference/9"} {
		status, data, _ = f.fhirDo("GET", path, nil)
		require.Equal(t, http.StatusNotFound, status, path)
		validFHIR(t, data)
	}

	// A practitioner the chain does not let read finds and gets nothing.
	dr := newAccount(t).addr
	require.Empty(t, f.search(query, PractitionerHeader, dr))
	status, _, _ = f.fhirDo("GET", "/fhir/Binary/1", nil, PractitionerHeader, dr)
	require.Equal(t, http.StatusNotFound, status)
	f.chain.readers[dr] = true
	require.Len(t, f.search(query, PractitionerHeader, dr), 2)

	// Revoked: gone at once, cached or not.
	f.chain.readers[hospital] = false
	require.Empty(t, f.search(query))
	status, _, _ = f.fhirDo("GET", "/fhir/Binary/2", nil)
	require.Equal(t, http.StatusNotFound, status)
}

// TestMHDSearchRefusesOtherParameters: patient= a reference, a missing
// patient.identifier and unknown parameters are 400 OperationOutcomes.
func TestMHDSearchRefusesOtherParameters(t *testing.T) {
	f := newMHDFixture(t)
	for query, want := range map[string]string{
		"patient=Patient/1":                     "patient.identifier",
		"":                                      "patient.identifier",
		"patient.identifier=" + mrnSystem + "|": "no value",
		"patient.identifier=x&date=2024":        `"date" is not supported`,
	} {
		status, data, _ := f.fhirDo("GET", "/fhir/DocumentReference?"+query, nil)
		require.Equal(t, http.StatusBadRequest, status, query)
		require.Contains(t, issues(t, validFHIR(t, data)), want, query)
	}
	status, data, _ := f.fhirDo("GET", "/fhir/Patient", nil)
	require.Equal(t, http.StatusNotFound, status)
	validFHIR(t, data)

	// Only the hospital's systems get in.
	for _, path := range []string{"/fhir/DocumentReference?patient.identifier=x", "/fhir/Binary/1", "/fhir"} {
		resp, err := http.Get(f.http.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
}

// TestMHDProvideRefusesAndStoresNothing: every refusal is an
// OperationOutcome with its status, and nothing is stored.
func TestMHDProvideRefusesAndStoresNothing(t *testing.T) {
	f := newMHDFixture(t)
	f.enrol(mrnSystem, mrn)
	f.chain.writers[f.alice.addr] = true

	without := func(b map[string]any, i int) map[string]any {
		e := b["entry"].([]any)
		b["entry"] = append(e[:i:i], e[i+1:]...)
		return b
	}
	// Entries of mhdBundle(mrn, pdfDoc): 0 Patient, 1 List, 2
	// DocumentReference, 3 Binary.
	cases := []struct {
		name   string
		bundle func() any
		status int
		want   string
	}{
		{"unknown patient", func() any { return mhdBundle("MRN-0", pdfDoc) }, http.StatusUnprocessableEntity, "unknown patient"},
		{"a patient of another system", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 0)["identifier"].([]any)[0].(map[string]any)["system"] = "urn:oid:1.2.3"
			return b
		}, http.StatusUnprocessableEntity, "unknown patient"},
		{"a subject neither in the bundle nor by identifier", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 2)["subject"] = map[string]any{"reference": "https://mpi.example/fhir/Patient/77"}
			return b
		}, http.StatusUnprocessableEntity, "not a Patient of the bundle"},
		{"not JSON", func() any { return []byte("<Bundle/>") }, http.StatusBadRequest, "structure"},
		{"not a Bundle", func() any { return resourceOf(mhdBundle(mrn, pdfDoc), 2) }, http.StatusBadRequest, "not a DocumentReference"},
		{"a collection, not a transaction", func() any {
			b := mhdBundle(mrn, pdfDoc)
			b["type"] = "collection"
			return b
		}, http.StatusBadRequest, "Bundle.type"},
		{"an element FHIR does not have", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 2)["documentTitle"] = "x"
			return b
		}, http.StatusBadRequest, "documentTitle"},
		{"a DocumentReference without its required status", func() any {
			b := mhdBundle(mrn, pdfDoc)
			delete(resourceOf(b, 2), "status")
			return b
		}, http.StatusBadRequest, "status"},
		{"a malformed date", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 2)["date"] = "yesterday"
			return b
		}, http.StatusBadRequest, "date"},
		{"the Binary missing", func() any { return without(mhdBundle(mrn, pdfDoc), 3) }, http.StatusBadRequest, "Binary is missing"},
		{"an attachment naming a List", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 2)["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)["url"] = entryOf(b, 1)["fullUrl"]
			return b
		}, http.StatusBadRequest, "Binary is missing"},
		{"a Binary no DocumentReference names", func() any {
			b := mhdBundle(mrn, pdfDoc)
			extra := mhdBundle(mrn, obsDoc)
			stray := entryOf(extra, 3)
			stray["fullUrl"] = "urn:uuid:3b1a9f4e-7d2c-4a8b-9e6f-5c4d3b2a1999"
			b["entry"] = append(b["entry"].([]any), stray)
			return b
		}, http.StatusBadRequest, "no DocumentReference names this Binary"},
		{"a resource of another type", func() any {
			b := mhdBundle(mrn, pdfDoc)
			b["entry"] = append(b["entry"].([]any), map[string]any{
				"fullUrl":  "urn:uuid:9d6b3c1a-0000-4000-8000-000000000001",
				"resource": map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "pulse"}},
				"request":  map[string]any{"method": "POST", "url": "Observation"},
			})
			return b
		}, http.StatusBadRequest, "has no place"},
		{"no SubmissionSet", func() any { return without(mhdBundle(mrn, pdfDoc), 1) }, http.StatusBadRequest, "SubmissionSet"},
		{"no DocumentReference", func() any { return without(without(mhdBundle(mrn, pdfDoc), 3), 2) }, http.StatusBadRequest, "no DocumentReference"},
		{"a hash that is not the Binary's", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 3)["data"] = base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 another document"))
			delete(resourceOf(b, 2)["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any), "size")
			return b
		}, http.StatusBadRequest, "hash"},
		{"a content type that is not the Binary's", func() any {
			b := mhdBundle(mrn, pdfDoc)
			resourceOf(b, 3)["contentType"] = "text/plain"
			return b
		}, http.StatusBadRequest, "contentType"},
		{"a GET entry", func() any {
			b := mhdBundle(mrn, pdfDoc)
			entryOf(b, 1)["request"] = map[string]any{"method": "GET", "url": "List"}
			return b
		}, http.StatusBadRequest, "request.method"},
	}
	for _, c := range cases {
		status, oo := f.provide(c.bundle())
		require.Equal(t, c.status, status, "%s: %v", c.name, oo)
		require.Contains(t, issues(t, oo), c.want, c.name)
		require.Empty(t, f.chain.records, "%s: nothing stored", c.name)
	}

	// No consent: 403, nothing stored.
	f.chain.writers[f.alice.addr] = false
	status, oo := f.provide(mhdBundle(mrn, pdfDoc))
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, issues(t, oo), "no consent")
	require.Empty(t, f.chain.records)

	// Another media type.
	body, _ := json.Marshal(mhdBundle(mrn, pdfDoc))
	resp := f.do("POST", "/fhir/", bytes.NewReader(body), "application/xml")
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	require.Empty(t, f.chain.records)

	// With consent, the same bundle is stored, at /fhir as at /fhir/;
	// the subject may also be a logical reference by identifier.
	f.chain.writers[f.alice.addr] = true
	b := without(mhdBundle(mrn, pdfDoc), 0)
	ref := map[string]any{"identifier": map[string]any{"system": mrnSystem, "value": mrn}}
	resourceOf(b, 0)["subject"] = ref
	resourceOf(b, 1)["subject"] = ref
	body, _ = json.Marshal(b)
	status, data, _ := f.fhirDo("POST", "/fhir", body)
	require.Equal(t, http.StatusOK, status, "%s", data)
	require.Equal(t, "transaction-response", validFHIR(t, data)["type"])
	require.Len(t, f.chain.records, 1)
}
