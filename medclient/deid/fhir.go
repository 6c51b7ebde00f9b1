package deid

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNotFHIR is returned for input that is not a FHIR JSON resource.
var ErrNotFHIR = errors.New("not a FHIR JSON resource (a single JSON object with a resourceType)")

// FHIRRemoved are the element names FHIR removes wherever they occur, in
// any resource and at any depth (with their primitive extensions, _name).
// Names are kept only as Parameters.parameter.name; every element whose
// name ends in "Identifier" (masterIdentifier, valueIdentifier, ...) goes
// too. The other rules (addresses, dates, ages, references, free text,
// attachments) are in the module README, "Rules for FHIR
// de-identification".
var FHIRRemoved = []string{
	"identifier", "name", "alias", "telecom", "photo", "contact", "link",
	"note", "comment", "contentString", "conclusion", "patientInstruction", "valueMarkdown", "div",
	"serialNumber", "lotNumber", "udiCarrier", "subscriberId", "dependent", "preAuthRef", "requisition",
	"signature", "valueSignature", "valueHumanName", "valueContactPoint", "valueAnnotation",
	"position", "network", "altId", "query", "ifNoneExist",
}

// FHIRRestrictedZIP3 are the three-digit ZIP code prefixes whose areas
// hold 20,000 people or fewer (HHS de-identification guidance, 2000
// census): Safe Harbor replaces them with "000".
var FHIRRestrictedZIP3 = []string{"036", "059", "063", "102", "203", "556", "692", "790", "821",
	"823", "830", "831", "878", "879", "884", "890", "893"}

// FHIRPseudonymBase is the base of every absolute RESTful URL (fullUrl,
// absolute reference) in a de-identified copy: the original server's base
// is not kept. ".invalid" never resolves (RFC 2606).
const FHIRPseudonymBase = "https://deidentified.invalid/fhir/"

// FHIROptions are the caller's choices for FHIR.
type FHIROptions struct {
	// Key (at least 16 bytes, kept secret by the caller) keys the
	// HMAC-SHA-256 pseudonyms that replace resource ids, references,
	// fullUrls and UIDs. The same key gives the same pseudonyms, so
	// references within a Bundle, and between copies made with one key,
	// still resolve; without the key they cannot be reversed.
	Key []byte
	// DateShiftDays 0 keeps only the year of every date (Safe Harbor).
	// Any other value moves every date by that many whole days instead
	// (ShiftDays gives a patient's shift), keeping precision, time of day
	// and time zone. Shifted dates are not Safe Harbor: they suit an
	// expert determination or a limited data set.
	DateShiftDays int
	// Now is the date ages are computed at for the over-89 rule; zero
	// means time.Now().
	Now time.Time
}

// FHIRReport counts what FHIR changed.
type FHIRReport struct {
	Removed          int // elements (or repetitions) removed
	DatesGeneralised int // dates cut to the year
	DatesShifted     int // dates moved by DateShiftDays
	PostalCodes      int // postal codes cut to three digits (or "000")
	AgesAggregated   int // ages over 89, and birth dates giving one, made "90 or older"
	Pseudonymised    int // ids, references, fullUrls and UIDs replaced by pseudonyms
}

// Summary is the report in one line.
func (r FHIRReport) Summary() string {
	dates := fmt.Sprintf("%d dates cut to the year", r.DatesGeneralised)
	if r.DatesShifted > 0 {
		dates = fmt.Sprintf("%d dates shifted", r.DatesShifted)
	}
	return fmt.Sprintf("%d elements removed, %s, %d postal codes truncated, %d ages aggregated, %d ids pseudonymised",
		r.Removed, dates, r.PostalCodes, r.AgesAggregated, r.Pseudonymised)
}

// FHIR de-identifies one FHIR R4 JSON resource (a Bundle with all its
// entries, contained resources included) read from r, following HIPAA
// Safe Harbor (45 CFR 164.514(b)(2)), and writes it to w, indented, keys
// sorted, numbers copied exactly. The rules, by identifier class, are in
// the module README ("Rules for FHIR de-identification"); in short,
// wherever they occur:
//
//   - names, contact points, identifiers, photos, signatures, contacts,
//     links and device identifiers (serial, lot, UDI) are removed;
//   - addresses keep only use, type, state, country and a US ZIP code cut
//     to its first three digits ("000" for FHIRRestrictedZIP3; other
//     postal codes are removed);
//   - every date, dateTime and instant keeps only its year, or with
//     opts.DateShiftDays is shifted by whole days;
//   - ages over 89 become 90 with comparator ">="; a birth date of someone
//     who is, or in any date of the input was, 90 or older is removed
//     (marked data-absent-reason "masked");
//   - resource ids, references, fullUrls and UIDs become keyed pseudonyms
//     (opts.Key), so references still resolve;
//   - free text (narrative, notes, comments, string descriptions,
//     reference displays) and attachment content are removed, and any
//     other string holding an email address, URL, IP address, phone or
//     social security number, long digit run or date is removed.
//
// Extension and coding system URLs, codes and coding displays are kept.
// Input that is not a single JSON object with a resourceType gives
// ErrNotFHIR; nothing is written then.
func FHIR(r io.Reader, w io.Writer, opts FHIROptions) (FHIRReport, error) {
	if len(opts.Key) < 16 {
		return FHIRReport{}, errors.New("deid: the FHIR pseudonym key must have at least 16 bytes")
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		if err == io.EOF {
			return FHIRReport{}, fmt.Errorf("%w: the input is empty", ErrNotFHIR)
		}
		return FHIRReport{}, fmt.Errorf("%w: %v", ErrNotFHIR, err)
	}
	doc, ok := top.(map[string]any)
	if !ok {
		return FHIRReport{}, fmt.Errorf("%w: the input is JSON but not an object", ErrNotFHIR)
	}
	if rt, _ := doc["resourceType"].(string); !fhirTypeName.MatchString(rt) {
		return FHIRReport{}, fmt.Errorf("%w: the object has no resourceType", ErrNotFHIR)
	}
	if _, err := dec.Token(); err != io.EOF {
		return FHIRReport{}, fmt.Errorf("%w: data follows the resource", ErrNotFHIR)
	}
	s := &fhirScrubber{opts: opts, now: opts.Now}
	if s.now.IsZero() {
		s.now = time.Now()
	}
	s.latest = s.now
	s.collectLatest(doc, "")
	s.object(doc, fhirWhere{})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return FHIRReport{}, err
	}
	_, err := w.Write(buf.Bytes())
	return s.rep, err
}

var (
	fhirTypeName = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
	// fhirDate is a FHIR date, dateTime or instant: year, month and day,
	// then optionally a time and zone.
	fhirDate = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$`)
	// fhirDateKey names elements whose year-only or year-month values are
	// dates (full dates are recognised by their form wherever they are).
	fhirDateKey = regexp.MustCompile(`(?i)date|time|instant|period|start|end|event|issued|recorded|updated|stamp|when|created|birth|born|deceased|onset|abatement|occurrence|effective|authored`)
	// fhirRef is a RESTful reference: [base/]Type/id[/_history/vid].
	fhirRef  = regexp.MustCompile(`^(?:(https?://.+?)/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$`)
	fhirUUID = regexp.MustCompile(`(?i)^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	fhirOID  = regexp.MustCompile(`^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$`)
	fhirZIP  = regexp.MustCompile(`^(\d{3})\d{2}(?:-?\d{4})?$`)

	// Patterns of identifying values inside a kept string.
	fhirEmail    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	fhirURL      = regexp.MustCompile(`(?i)\b(?:https?|ftp|sftp|file)://|\b(?:mailto|tel|fax|sms):|\bwww\.[a-z0-9\-]+\.|\b[a-z0-9\-]+\.(?:com|org|net|edu|gov|io|info|biz|me|us|co\.uk|de|fr)\b`)
	fhirIPToken  = regexp.MustCompile(`[0-9A-Fa-f:.]*[0-9][0-9A-Fa-f:.]*`)
	fhirSSN      = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)
	fhirPhone    = regexp.MustCompile(`\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b|\+\d[\d\s().\-]{7,}\d`)
	fhirDigits   = regexp.MustCompile(`\d{7,}`)
	fhirDateText = regexp.MustCompile(`(?i)\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/\-]\d{1,2}[/\-]\d{2,4}\b|` +
		`\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{2,4}\b|` +
		`\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{2,4}\b`)
)

// fhirStructural are elements whose strings are codes, canonical URLs or
// URIs naming definitions, never identifying: they are kept as they are,
// neither read as dates nor searched for URLs.
var fhirStructural = map[string]bool{
	"resourceType": true, "system": true, "code": true, "valueCode": true, "version": true,
	"profile": true, "questionnaire": true, "instantiatesCanonical": true, "instantiatesUri": true,
	"valueCanonical": true, "definitionCanonical": true, "definitionUri": true, "targetProfile": true,
	"valueSet": true, "implicitRules": true, "language": true, "contentType": true, "linkId": true,
	"status": true, "use": true, "gender": true, "intent": true, "priority": true, "unit": true,
	"comparator": true, "currency": true, "mode": true,
}

// fhirRemovedExtensions are extensions removed whole: their value
// identifies (a name, coordinates).
var fhirRemovedExtensions = []string{
	"http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
	"http://hl7.org/fhir/StructureDefinition/geolocation",
	"http://hl7.org/fhir/StructureDefinition/humanname-own-name",
	"http://hl7.org/fhir/StructureDefinition/humanname-partner-name",
}

// fhirAddressKept are the Address elements kept (postalCode cut).
var fhirAddressKept = map[string]bool{"use": true, "type": true, "state": true, "country": true, "postalCode": true, "period": true}

// fhirMetaKept are the Meta elements kept.
var fhirMetaKept = map[string]bool{"profile": true, "security": true, "tag": true, "lastUpdated": true, "_lastUpdated": true}

const (
	fhirUCUM             = "http://unitsofmeasure.org"
	fhirDataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
)

type fhirScrubber struct {
	opts   FHIROptions
	now    time.Time
	latest time.Time // the latest of now and every date in the input
	rep    FHIRReport
}

// fhirWhere is where a value sits.
type fhirWhere struct {
	rt        string // resourceType of the innermost resource
	key       string // name of the element holding the value
	contained bool   // a resource in contained
}

// collectLatest finds the latest date of the input (before any change),
// against which birth dates are checked for the over-89 rule.
func (s *fhirScrubber) collectLatest(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			s.collectLatest(c, k)
		}
	case []any:
		for _, c := range x {
			s.collectLatest(c, key)
		}
	case string:
		if fhirStructural[key] || key == "birthDate" || key == "bornDate" {
			return
		}
		if _, end, ok := fhirDateRange(x, key); ok && end.After(s.latest) {
			s.latest = end
		}
	}
}

// fhirDateRange reads a FHIR date of any precision as the span it may
// denote.
func fhirDateRange(v, key string) (start, end time.Time, ok bool) {
	m := fhirDate.FindStringSubmatch(v)
	if m == nil || (m[3] == "" && !fhirDateKey.MatchString(key)) {
		return time.Time{}, time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	switch {
	case m[2] == "":
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0), true
	case m[3] == "":
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return time.Time{}, time.Time{}, false
		}
		start = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), true
	}
	d, err := time.Parse("2006-01-02", v[:10])
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return d, d.AddDate(0, 0, 1), true
}

// date generalises or shifts one date; ok is false for a string that is
// not one.
func (s *fhirScrubber) date(v, key string) (string, bool) {
	start, _, ok := fhirDateRange(v, key)
	if !ok {
		return "", false
	}
	if s.opts.DateShiftDays == 0 {
		if v != v[:4] {
			s.rep.DatesGeneralised++
		}
		return v[:4], true
	}
	shifted := start.AddDate(0, 0, s.opts.DateShiftDays)
	if shifted.Year() < 1 || shifted.Year() > 9999 {
		return "", false
	}
	s.rep.DatesShifted++
	switch {
	case len(v) == 4:
		return shifted.Format("2006"), true
	case len(v) == 7:
		return shifted.Format("2006-01"), true
	}
	return shifted.Format("2006-01-02") + v[10:], true // time of day and zone kept
}

// over89 says whether someone born on birth is, or in some date of the
// input was, 90 or older (a year-only birth date is taken at its
// earliest).
func (s *fhirScrubber) over89(birth string) bool {
	start, _, ok := fhirDateRange(birth, "birthDate")
	if !ok {
		return false
	}
	return !start.AddDate(90, 0, 0).After(s.latest)
}

// pseudonym is the keyed pseudonym of a value: 128 bits of
// HMAC-SHA-256(Key, domain || value).
func (s *fhirScrubber) pseudonym(v string) []byte {
	m := hmac.New(sha256.New, s.opts.Key)
	m.Write([]byte("medchain deid fhir id v1\x00"))
	m.Write([]byte(v))
	return m.Sum(nil)[:16]
}

// idPseudonym is a FHIR id (32 hex digits) for v.
func (s *fhirScrubber) idPseudonym(v string) string {
	s.rep.Pseudonymised++
	return hex.EncodeToString(s.pseudonym(v))
}

// uuidPseudonym is a urn:uuid (an RFC 9562 version 8 UUID) for v.
func (s *fhirScrubber) uuidPseudonym(v string) string {
	b := s.pseudonym(strings.ToLower(v))
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	s.rep.Pseudonymised++
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// oidPseudonym is a 2.25 OID (a DICOM UID) for v.
func (s *fhirScrubber) oidPseudonym(v string) string {
	s.rep.Pseudonymised++
	return "2.25." + new(big.Int).SetBytes(s.pseudonym(v)).String()
}

// reference maps a reference (or fullUrl) to its pseudonym; ok is false
// for a form that cannot be mapped (a conditional reference, a URL that
// is not RESTful), which is then removed. Relative and absolute forms of
// one resource, and its id, map alike, so Bundle resolution still works.
func (s *fhirScrubber) reference(v string) (string, bool) {
	switch {
	case strings.HasPrefix(v, "#"):
		if v == "#" {
			return v, true // the containing resource
		}
		return "#" + s.idPseudonym(v), true
	case fhirUUID.MatchString(v):
		return s.uuidPseudonym(v), true
	case fhirOID.MatchString(v):
		return "urn:oid:" + s.oidPseudonym(v), true
	}
	m := fhirRef.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	p := m[2] + "/" + s.idPseudonym(m[2]+"/"+m[3])
	if m[1] != "" {
		p = FHIRPseudonymBase + p
	}
	return p, true
}

// suspicious says whether a kept string holds an identifying value: an
// email address, URL, IP address, phone or social security number, a run
// of seven or more digits, or a date.
func fhirSuspicious(v string) bool {
	if fhirEmail.MatchString(v) || fhirURL.MatchString(v) || fhirSSN.MatchString(v) ||
		fhirPhone.MatchString(v) || fhirDigits.MatchString(v) || fhirDateText.MatchString(v) {
		return true
	}
	for _, t := range fhirIPToken.FindAllString(v, -1) {
		if strings.Count(t, ".") != 3 && strings.Count(t, ":") < 2 {
			continue
		}
		if net.ParseIP(t) != nil || net.ParseIP(strings.Trim(t, ".:")) != nil {
			return true
		}
	}
	return false
}

// value scrubs v, held by element w.key; keep is false when v goes.
func (s *fhirScrubber) value(v any, w fhirWhere) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, s.object(x, w)
	case []any:
		out := x[:0]
		for _, c := range x {
			cw := w
			cw.contained = w.key == "contained"
			if nc, keep := s.value(c, cw); keep {
				out = append(out, nc)
			} else if c != nil {
				s.rep.Removed++
			}
		}
		return out, len(out) > 0
	case string:
		if fhirStructural[w.key] {
			return x, true
		}
		if d, ok := s.date(x, w.key); ok {
			return d, true
		} else if fhirDate.MatchString(x) && len(x) > 7 {
			return nil, false // a date that cannot be shifted
		}
		return x, !fhirSuspicious(x)
	case json.Number:
		return x, true
	}
	return v, true
}

func (s *fhirScrubber) remove(m map[string]any, k string) {
	if _, ok := m[k]; ok {
		delete(m, k)
		s.rep.Removed++
	}
	delete(m, "_"+k)
}

func fhirHasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// object scrubs m in place; keep is false when m goes whole.
func (s *fhirScrubber) object(m map[string]any, w fhirWhere) bool {
	rt, isResource := m["resourceType"].(string)
	_, valueIsString := m["value"].(string)
	url, _ := m["url"].(string)
	isExtension := url != "" && !isResource && (m["extension"] != nil || fhirHasValue(m))
	isCoding := !isResource && fhirHasAny(m, "system", "code")
	switch {
	case isResource:
		w.rt = rt
	case isExtension:
		for _, r := range fhirRemovedExtensions {
			if url == r {
				return false
			}
		}
	case fhirHasAny(m, "family", "given"): // HumanName
		return false
	case valueIsString && m["code"] == nil && fhirHasAny(m, "system", "type", "assigner", "use", "period", "rank"):
		return false // Identifier or ContactPoint
	case fhirHasAny(m, "authorString", "authorReference") || (fhirHasAny(m, "time") && fhirHasAny(m, "text") && len(m) <= 4):
		return false // Annotation
	case fhirHasAny(m, "who") && fhirHasAny(m, "when", "sigFormat"): // Signature
		return false
	case fhirHasAny(m, "line", "city", "district", "postalCode", "state", "country"): // Address
		s.address(m, w)
		return len(m) > 0
	}
	if !isExtension && (fhirHasAny(m, "contentType", "hash", "creation") || m["data"] != nil && m["origin"] == nil) { // Attachment, Binary (not SampledData)
		for _, k := range []string{"data", "url", "title", "hash"} {
			s.remove(m, k)
		}
	}
	s.age(m, w)
	if isResource {
		if id, ok := m["id"].(string); ok {
			if w.contained {
				m["id"] = s.idPseudonym("#" + id)
			} else {
				m["id"] = s.idPseudonym(rt + "/" + id)
			}
		}
	}

	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, present := m[k]
		if !present { // removed with its element
			continue
		}
		if strings.HasPrefix(k, "_") {
			if _, ok := m[k[1:]]; !ok && fhirRemovedBase(k[1:], m) {
				delete(m, k)
				continue
			}
		}
		str, isString := v.(string)
		switch {
		case k == "id" && isResource:
			continue
		case fhirRemovedKey(k, w.rt, w.key):
			s.remove(m, k)
			continue
		case k == "text" && !isString, // Narrative
			(k == "description" || k == "summary") && isString,
			k == "display" && !isCoding: // a reference's display
			s.remove(m, k)
			continue
		case k == "id" && isString:
			m[k] = s.idPseudonym("#" + str)
			continue
		case k == "reference" && isString, k == "fullUrl" && isString,
			k == "location" && isString && w.key == "response":
			if p, ok := s.reference(str); ok {
				m[k] = p
			} else {
				s.remove(m, k)
			}
			continue
		case k == "url" && isExtension:
			continue
		case k == "url" && isString && w.key == "request": // Bundle.entry.request
			target, _, _ := strings.Cut(str, "?")
			if p, ok := s.reference(target); ok {
				m[k] = p
			} else if fhirTypeName.MatchString(target) {
				m[k] = target
			} else {
				s.remove(m, k)
			}
			continue
		case k == "uid" && isString:
			m[k] = s.oidPseudonym(str)
			continue
		case k == "address" && isString: // Endpoint.address and the like
			s.remove(m, k)
			continue
		case (k == "birthDate" || k == "bornDate") && isString && s.over89(str):
			delete(m, k)
			m["_"+k] = map[string]any{"extension": []any{map[string]any{"url": fhirDataAbsentReason, "valueCode": "masked"}}}
			s.rep.AgesAggregated++
			continue
		case k == "meta":
			if mm, ok := v.(map[string]any); ok {
				for mk := range mm {
					if !fhirMetaKept[mk] {
						delete(mm, mk)
						s.rep.Removed++
					}
				}
			}
		}
		nv, keep := s.value(v, fhirWhere{rt: w.rt, key: k})
		if keep {
			m[k] = nv
		} else {
			s.remove(m, k)
		}
	}
	if isExtension && m["extension"] == nil && !fhirHasValue(m) {
		return false // its value went
	}
	return len(m) > 0
}

// fhirRemovedKey says whether element k goes wherever it is.
func fhirRemovedKey(k, rt, parentKey string) bool {
	if k == "name" && rt == "Parameters" && (parentKey == "parameter" || parentKey == "part") {
		return false
	}
	if strings.HasSuffix(k, "Identifier") {
		return true
	}
	for _, r := range FHIRRemoved {
		if k == r {
			return true
		}
	}
	return false
}

// fhirRemovedBase says whether the primitive extension _k goes because
// element k went (or was a removed kind).
func fhirRemovedBase(k string, m map[string]any) bool {
	return fhirRemovedKey(k, "", "") || k == "text" || k == "description" || k == "display" ||
		k == "summary" || k == "address" || k == "data" || k == "url" || k == "title" || k == "hash"
}

func fhirHasValue(m map[string]any) bool {
	for k := range m {
		if strings.HasPrefix(k, "value") {
			return true
		}
	}
	return false
}

// address keeps use, type, state, country and period, and a US ZIP code
// cut to three digits.
func (s *fhirScrubber) address(m map[string]any, w fhirWhere) {
	country, _ := m["country"].(string)
	for k := range m {
		if !fhirAddressKept[k] {
			delete(m, k)
			if !strings.HasPrefix(k, "_") {
				s.rep.Removed++
			}
		}
	}
	if pc, ok := m["postalCode"].(string); ok {
		zip := fhirZIP.FindStringSubmatch(strings.TrimSpace(pc))
		if zip != nil && fhirUSCountry(country) {
			z3 := zip[1]
			for _, r := range FHIRRestrictedZIP3 {
				if z3 == r {
					z3 = "000"
				}
			}
			m["postalCode"] = z3
			s.rep.PostalCodes++
		} else {
			s.remove(m, "postalCode")
		}
	} else {
		s.remove(m, "postalCode")
	}
	for _, k := range []string{"state", "country", "use", "type", "period"} {
		if v, ok := m[k]; ok {
			if nv, keep := s.value(v, fhirWhere{rt: w.rt, key: k}); keep {
				m[k] = nv
			} else {
				s.remove(m, k)
			}
		}
	}
}

// fhirUSCountry says whether an address's country is the United States
// (an address without a country is taken to be in the US when its postal
// code has the form of a ZIP code).
func fhirUSCountry(c string) bool {
	c = strings.ToUpper(strings.NewReplacer(".", "", " ", "").Replace(c))
	switch c {
	case "", "US", "USA", "UNITEDSTATES", "UNITEDSTATESOFAMERICA", "840":
		return true
	}
	return false
}

// fhirAgeYears are the age units, in years.
var fhirAgeYears = map[string]float64{
	"a": 1, "yr": 1, "yrs": 1, "year": 1, "years": 1, "y": 1,
	"mo": 1.0 / 12, "month": 1.0 / 12, "months": 1.0 / 12,
	"wk": 7 / 365.25, "week": 7 / 365.25, "weeks": 7 / 365.25,
	"d": 1 / 365.25, "day": 1 / 365.25, "days": 1 / 365.25,
}

// age makes an age (an Age, or a Quantity in an age unit) over 89 "90 or
// older": value 90 years, comparator ">=" (a Range bound, which takes no
// comparator, is just 90).
func (s *fhirScrubber) age(m map[string]any, w fhirWhere) {
	n, ok := m["value"].(json.Number)
	if !ok {
		return
	}
	val, err := n.Float64()
	if err != nil {
		return
	}
	unit, _ := m["code"].(string)
	if unit == "" {
		unit, _ = m["unit"].(string)
	}
	per, ok := fhirAgeYears[strings.ToLower(unit)]
	if !ok || val*per <= 89 {
		return
	}
	m["value"] = json.Number("90")
	if per != 1 {
		m["unit"], m["code"], m["system"] = "years", "a", fhirUCUM
	}
	if w.key == "low" || w.key == "high" {
		delete(m, "comparator")
	} else {
		m["comparator"] = ">="
	}
	s.rep.AgesAggregated++
}
