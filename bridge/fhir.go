package bridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// fhirJSON is FHIR's JSON media type.
const fhirJSON = "application/fhir+json"

// fhirMaxDepth bounds the nesting of a resource the bridge parses.
const fhirMaxDepth = 64

// fhirIssue is an issue of an OperationOutcome (R4 §6.1.3).
type fhirIssue struct {
	Severity    string   `json:"severity"` // fatal | error | warning | information
	Code        string   `json:"code"`     // IssueType: invalid, structure, required, not-found, forbidden, processing, ...
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

func issue(code, diagnostics string, expression ...string) fhirIssue {
	return fhirIssue{Severity: "error", Code: code, Diagnostics: diagnostics, Expression: expression}
}

// fhirError is a refusal: an HTTP status and the OperationOutcome's issues.
type fhirError struct {
	status int
	issues []fhirIssue
}

func (e *fhirError) Error() string {
	var msgs []string
	for _, i := range e.issues {
		m := i.Diagnostics
		if len(i.Expression) > 0 {
			m = strings.Join(i.Expression, ", ") + ": " + m
		}
		msgs = append(msgs, m)
	}
	return strings.Join(msgs, "; ")
}

func refuse(status int, code, format string, args ...any) *fhirError {
	return &fhirError{status: status, issues: []fhirIssue{issue(code, fmt.Sprintf(format, args...))}}
}

// refuseAt is refuse with the FHIRPath expression of the element at fault.
func refuseAt(status int, code, expression, format string, args ...any) *fhirError {
	return &fhirError{status: status, issues: []fhirIssue{issue(code, fmt.Sprintf(format, args...), expression)}}
}

// writeFHIR answers with a FHIR JSON resource.
func writeFHIR(w http.ResponseWriter, status int, resource any) {
	w.Header().Set("Content-Type", fhirJSON+"; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(resource)
}

// writeOutcome answers with an OperationOutcome.
func writeOutcome(w http.ResponseWriter, status int, issues ...fhirIssue) {
	writeFHIR(w, status, map[string]any{"resourceType": "OperationOutcome", "issue": issues})
}

func writeFHIRError(w http.ResponseWriter, e *fhirError) { writeOutcome(w, e.status, e.issues...) }

// parseFHIR parses and validates one FHIR R4 JSON resource with Google's
// FHIR library (github.com/google/fhir/go/jsonformat: the resource's
// structure, every element's type and cardinality, required elements,
// primitive formats and reference targets) and returns it as the library
// writes it back: the canonical JSON the bridge reads fields from and
// stores, so that nothing the library did not accept goes on. A resource
// that does not parse or validate is a 400 with what was wrong, element by
// element.
func parseFHIR(data []byte) ([]byte, *fhirError) {
	u, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		return nil, refuse(http.StatusInternalServerError, "exception", "the FHIR parser: %v", err)
	}
	u.MaxNestingDepth = fhirMaxDepth
	res, outcome, err := u.UnmarshalWithOutcome(data)
	if err != nil {
		return nil, &fhirError{status: http.StatusBadRequest, issues: parseIssues(err)}
	}
	if outcome != nil && outcome.R4Outcome != nil && len(outcome.R4Outcome.GetIssue()) > 0 {
		bad := &fhirError{status: http.StatusBadRequest}
		for _, i := range outcome.R4Outcome.GetIssue() {
			var expr []string
			for _, e := range i.GetExpression() {
				expr = append(expr, e.GetValue())
			}
			bad.issues = append(bad.issues, issue("invalid", "the resource does not validate as FHIR R4: "+i.GetDiagnostics().GetValue(), expr...))
		}
		return nil, bad
	}
	m, err := jsonformat.NewMarshaller(false, "", "", fhirversion.R4)
	if err != nil {
		return nil, refuse(http.StatusInternalServerError, "exception", "the FHIR writer: %v", err)
	}
	out, err := m.Marshal(res)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "structure", "the resource cannot be written back as FHIR R4 JSON: %v", err)
	}
	return out, nil
}

// parseIssues are the issues of the library's parse error: each of its
// UnmarshalErrors (a type of an internal package, read by its exported
// fields) with its path, what was wrong and the detail (the unknown
// element's name, the bad value), or the error's text.
func parseIssues(err error) []fhirIssue {
	v := reflect.ValueOf(err)
	var items []reflect.Value
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			items = append(items, v.Index(i))
		}
	} else {
		items = append(items, v)
	}
	var issues []fhirIssue
	for _, it := range items {
		for it.Kind() == reflect.Pointer || it.Kind() == reflect.Interface {
			if it.IsNil() {
				break
			}
			it = it.Elem()
		}
		if it.Kind() != reflect.Struct {
			return []fhirIssue{issue("structure", "not a valid FHIR R4 JSON resource: "+err.Error())}
		}
		field := func(name string) string {
			if f := it.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
				return f.String()
			}
			return ""
		}
		details, diag, path := field("Details"), field("Diagnostics"), field("Path")
		if details == "" {
			return []fhirIssue{issue("structure", "not a valid FHIR R4 JSON resource: "+err.Error())}
		}
		msg := "not a valid FHIR R4 JSON resource: " + details
		if diag != "" {
			msg += ": " + diag
		}
		if path != "" {
			issues = append(issues, issue("structure", msg, path))
		} else {
			issues = append(issues, issue("structure", msg))
		}
	}
	if len(issues) == 0 {
		return []fhirIssue{issue("structure", "not a valid FHIR R4 JSON resource: "+err.Error())}
	}
	return issues
}

// The elements of the resources the bridge reads, from the canonical JSON
// parseFHIR returns (the library has validated them).

type fhirBundle struct {
	ResourceType string       `json:"resourceType"`
	Type         string       `json:"type"`
	Entry        []fhirEntry  `json:"entry"`
	Total        *int         `json:"total,omitempty"`
	Link         []fhirLinkEl `json:"link,omitempty"`
}

type fhirLinkEl struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type fhirEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Request  *struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"request,omitempty"`
}

// fhirResource is what every resource has.
type fhirResource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

type fhirIdentifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

func (i fhirIdentifier) String() string { return i.System + "|" + i.Value }

type fhirReference struct {
	Reference  string          `json:"reference,omitempty"`
	Type       string          `json:"type,omitempty"`
	Identifier *fhirIdentifier `json:"identifier,omitempty"`
}

type fhirCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type fhirCodeableConcept struct {
	Coding []fhirCoding `json:"coding,omitempty"`
	Text   string       `json:"text,omitempty"`
}

type fhirAttachment struct {
	ContentType string `json:"contentType,omitempty"`
	URL         string `json:"url,omitempty"`
	Data        string `json:"data,omitempty"`
	Size        *int64 `json:"size,omitempty"`
	Hash        string `json:"hash,omitempty"`
}

type fhirDocumentReference struct {
	fhirResource
	Status  string               `json:"status"`
	Type    *fhirCodeableConcept `json:"type,omitempty"`
	Subject *fhirReference       `json:"subject,omitempty"`
	Date    string               `json:"date,omitempty"`
	Content []struct {
		Attachment fhirAttachment `json:"attachment"`
	} `json:"content"`
}

type fhirBinary struct {
	fhirResource
	ContentType string `json:"contentType"`
	Data        string `json:"data,omitempty"`
}

type fhirPatient struct {
	fhirResource
	Identifier []fhirIdentifier `json:"identifier,omitempty"`
}

type fhirList struct {
	fhirResource
	Code    *fhirCodeableConcept `json:"code,omitempty"`
	Subject *fhirReference       `json:"subject,omitempty"`
}
